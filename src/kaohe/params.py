"""The one parameter resolver: defaults → `kaohe.toml [metrics.params]` → `--set` / a web form.

Every command, page, report and the demo asks this module for its parameters, so an agent's
KPI page, their score, their pay and the compliance checks read one definition. A key means
the same everywhere:

* `name` — a parameter of the metric engine (a global one such as `session_gap`, or a metric
  parameter such as `window`) for every metric that has it, and the parameter of that name of
  the scheme or pay plan the command reads (`satisfaction_target`);
* `metric.name` — that metric's parameter only (`sales_amount.window`);
* `scheme.name` / `plan.name` — that scheme's or plan's parameter only;
* `PRESET.threshold`, `PRESET.margin`, `PRESET.warn_hours`, `PRESET.CHECK.threshold` — a
  compliance preset's setting (`kaohe check`, the overview's compliance panel);
  `PRESET.enabled` (true/false) switches a preset off (e.g. 快手 服务态度差比例).

`kaohe.toml [metrics.params]` holds engine parameters (nested tables are dotted keys). An
unknown key, or a value of the wrong kind, is a ConfigError (exit 1) naming the key, with a
"did you mean".
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kaohe.errors import ConfigError
from kaohe.suggest import unknown

PRESET_KEYS = ("threshold", "margin", "warn_hours", "enabled")
FILE_SECTION = "metrics.params"
# engine parameters that must be above zero (a zero gap or horizon makes every metric empty)
POSITIVE = frozenset({"session_gap", "reply_horizon"})


@dataclass(frozen=True)
class Params:
    """Resolved overrides, by what reads them."""

    engine: dict[str, Any] = field(default_factory=dict)  # `name` / `metric.name` keys
    owned: dict[str, float] = field(default_factory=dict)  # scheme and plan parameters
    presets: dict[str, float] = field(default_factory=dict)  # compliance preset settings

    def of(self, owner: Any) -> dict[str, float]:
        """The overrides of one scheme or plan: its plain names and `owner.name` keys."""
        declared = set(owner.params)
        out = {k: v for k, v in self.owned.items() if k in declared}
        prefix = f"{owner.id}."
        out.update({k[len(prefix) :]: v for k, v in self.owned.items() if k.startswith(prefix)})
        return out


def resolve_params(
    file_params: Mapping[str, Any] | None = None,
    sets: Sequence[str] | Mapping[str, Any] = (),
    *,
    owners: Iterable[Any] = (),
    presets: Iterable[Any] = (),
    file: str | None = None,
) -> Params:
    """Resolve and check every override. `file_params`: the kaohe.toml `[metrics.params]`
    table (from `file`); `sets`: `key=value` texts (or a parsed mapping) from `--set` or a
    form; `owners`: the schemes and pay plans the caller reads; `presets`: the compliance
    presets it runs."""
    from kaohe.config import parse_overrides

    engine: dict[str, Any] = {}
    for key, value in flatten(file_params or {}).items():
        where = f"{FILE_SECTION}.{key}"
        if engine_kinds(key) is None:
            raise ConfigError(_unknown(key, [], []), file=file, field=where)
        engine[key] = check_value(key, value, file=file, where=where)
    given = parse_overrides(sets) if not isinstance(sets, Mapping) else dict(sets)
    owners = list(owners)
    preset_list = list(presets)
    owned: dict[str, float] = {}
    chosen: dict[str, float] = {}
    for key, value in given.items():
        hits = _place(key, owners, preset_list)
        if not hits:
            raise ConfigError(_unknown(key, owners, preset_list), field=key)
        if "engine" in hits:
            engine[key] = check_value(key, value, where=key)
        if "owned" in hits:
            owned[key] = _number(key, value)
        if "preset" in hits:
            chosen[key] = _switch(key, value) if key.endswith(".enabled") else _number(key, value)
    return Params(engine, owned, chosen)


def _place(key: str, owners: list[Any], presets: list[Any]) -> set[str]:
    """Where a `--set` key belongs: engine, owned (scheme/plan) and/or preset."""
    hits: set[str] = set()
    if engine_kinds(key) is not None:
        hits.add("engine")
    if any(_owns(owner, key) for owner in owners):
        hits.add("owned")
    if presets and _preset_key(key, presets):
        hits.add("preset")
    return hits


def _owns(owner: Any, key: str) -> bool:
    head, dot, name = key.partition(".")
    if not dot:
        return key in owner.params
    return head == owner.id and name in owner.params


def _preset_key(key: str, presets: list[Any]) -> bool:
    """`PRESET.setting` or `PRESET.CHECK.setting` of one of the presets run. A key that names
    a preset but no known setting or check raises (it can only be a typo)."""
    parts = key.split(".")
    preset = next((p for p in presets if p.id == parts[0]), None)
    if preset is None or len(parts) not in (2, 3):
        return False
    if parts[-1] not in PRESET_KEYS:
        raise ConfigError(
            unknown("合规设置", "compliance setting", parts[-1], PRESET_KEYS), field=key
        )
    checks = {c.id for c in preset.checks}
    if len(parts) == 3 and parts[1] not in checks:
        raise ConfigError(
            unknown(f"检查项（{preset.id}）", f"check of {preset.id}", parts[1], checks), field=key
        )
    return True


def _unknown(key: str, owners: list[Any], presets: list[Any]) -> str:
    """The message for a key that names nothing: the closest metric, parameter, scheme,
    plan or preset."""
    head, dot, name = key.partition(".")
    metrics = _metric_params()
    if not dot:
        plain = set(_plain_params()) | {p for o in owners for p in o.params}
        return unknown("参数", "parameter", key, plain)
    if head in metrics:
        return unknown(f"参数（{head}）", f"parameter of {head}", name, metrics[head])
    owner = next((o for o in owners if o.id == head), None)
    if owner is not None:
        return unknown(f"参数（{head}）", f"parameter of {head}", name, owner.params)
    heads = set(metrics) | {o.id for o in owners} | {p.id for p in presets}
    return unknown("指标或方案", "metric, scheme or preset", head, heads)


def _switch(key: str, value: Any) -> float:
    """`PRESET.enabled`: on (1.0) or off (0.0), as a form or `--set` writes it."""
    text = str(value).strip().lower()
    if text in ("true", "1", "1.0", "yes", "on", "是"):
        return 1.0
    if text in ("false", "0", "0.0", "no", "off", "否"):
        return 0.0
    raise ConfigError(
        f"请填 true 或 false，实际为 {value!r} / true or false, got {value!r}", field=key
    )


def _number(key: str, value: Any) -> float:
    """A scheme, plan or preset setting: a number (a form sends it as text)."""
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"应为数字，实际为 {value!r} / must be a number, got {value!r}", field=key
        ) from None


# ---------------------------------------------------------------- the engine's parameters


@functools.cache
def _metric_params() -> dict[str, dict[str, Any]]:
    """metric id → its resolvable parameters (the global ones and its own, with defaults)."""
    from kaohe.engine.params import GLOBAL_DEFAULTS
    from kaohe.engine.registry import all_metrics

    return {m.id: {**GLOBAL_DEFAULTS, **m.params} for m in all_metrics()}


@functools.cache
def _plain_params() -> dict[str, tuple[Any, ...]]:
    """Plain parameter name → the defaults it has (globally and in every metric that does not
    fix it)."""
    from kaohe.engine.params import GLOBAL_DEFAULTS
    from kaohe.engine.registry import all_metrics

    out: dict[str, list[Any]] = {k: [v] for k, v in GLOBAL_DEFAULTS.items()}
    for metric in all_metrics():
        for name, default in metric.params.items():
            if name not in metric.fixed:
                out.setdefault(name, []).append(default)
    return {k: tuple(v) for k, v in out.items()}


@functools.cache
def _all_defaults() -> dict[str, tuple[Any, ...]]:
    """Parameter name → every default it has, named instances included (its kinds)."""
    out: dict[str, tuple[Any, ...]] = dict(_plain_params())
    for params in _metric_params().values():
        for name, default in params.items():
            out[name] = (*out.get(name, ()), default)
    return out


def engine_kinds(key: str) -> set[str] | None:
    """The kinds of value an engine key takes (number, text, bool, list, table, window),
    from its defaults; None when the key names no engine parameter."""
    head, dot, name = key.partition(".")
    if dot:
        params = _metric_params().get(head)
        if params is None or name not in params:
            return None
        return _kinds(_all_defaults().get(name, ()) + (params[name],))
    if key not in _plain_params():
        return None
    return _kinds(_all_defaults()[key])


def _kinds(defaults: Iterable[Any]) -> set[str]:
    return {_kind(d) for d in defaults if d is not None}


def _kind(value: Any) -> str:
    from kaohe.engine.params import parse_window

    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "table"
    try:
        return "window" if parse_window(str(value)) is not None else "text"
    except ConfigError:
        return "text"


KIND_TEXT = {
    "number": ("数字", "a number"),
    "bool": ("true 或 false", "true or false"),
    "list": ("列表 (['a', 'b'] 或 a,b)", "a list (['a', 'b'] or a,b)"),
    "table": ("表 ({city = 3})", "a table ({city = 3})"),
    "window": ("每日时段 (08:00-23:00)", "daily hours (08:00-23:00)"),
    "text": ("文字", "text"),
}


def check_value(key: str, value: Any, file: str | None = None, where: str | None = None) -> Any:
    """The value, normalised (a,b → a list), when it fits the key's kinds; else ConfigError
    naming the key."""
    kinds = engine_kinds(key) or set()
    name = key.rpartition(".")[2]
    given = _kind(value) if value is not None else None
    if not kinds or given in kinds:
        if given == "number":
            _check_bound(name, value, file, where or key)
        return value
    if "list" in kinds and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if "window" in kinds and given == "text" and str(value).strip().lower() in ("", "all", "全天"):
        return value
    if "number" in kinds and name in TEXT_NUMBERS and isinstance(value, str):
        try:
            TEXT_NUMBERS[name](value)
        except ConfigError as exc:
            message = str(exc).split(": ", 1)[-1]  # without its own field
            raise ConfigError(message, file=file, field=where or key) from None
        return value
    expected = sorted(kinds)
    zh = " 或 ".join(KIND_TEXT[k][0] for k in expected)
    en = " or ".join(KIND_TEXT[k][1] for k in expected)
    raise ConfigError(
        f"应为{zh}，实际为 {value!r} / must be {en}, got {value!r}", file=file, field=where or key
    )


def _check_bound(name: str, value: float, file: str | None, where: str) -> None:
    positive = name in POSITIVE
    if value < 0 or (positive and value == 0):
        bound = "> 0" if positive else "≥ 0"
        raise ConfigError(f"应 {bound} / must be {bound}, got {value!r}", file=file, field=where)


def _window_hours(value: Any) -> float:
    from kaohe.engine.attribution import window_hours

    return window_hours(value)


# parameters whose numbers may also be written as durations ("36h", "2d")
TEXT_NUMBERS = {"window": _window_hours}


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`[metrics.params]` with nested tables (`[metrics.params.jd_first_30s_rate] seconds =
    20`) as dotted keys; a table-valued parameter (`promise_days = {city = 3}`) stays whole."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and not prefix and key in _metric_params():
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = dict(value) if isinstance(value, Mapping) else value
    return out
