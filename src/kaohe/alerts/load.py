"""Reading alert rule files and routing files through the one YAML loader (kaohe.datafile): a
mistake names file, line and field; an unknown metric, part, preset or channel says which
one was meant."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kaohe.alerts.model import Routing, RuleFile, suggest
from kaohe.datafile import Loc, error_location, node_line, parse_model
from kaohe.errors import ConfigError

RULES_WHAT = "预警规则文件应为映射 / an alert rule file must be a mapping (id, name, rules)"
ROUTING_WHAT = "预警路由文件应为映射 / an alert routing file must be a mapping (id, routes, ...)"
Ref = tuple[Loc, str]


def locate(exc: ValidationError) -> tuple[Loc, str]:
    """pydantic's location without the discriminator's tag (rules.0.rating.parts → rules.0
    .parts), so the line found is the field's."""
    loc, msg = error_location(exc)
    kinds = set(_kinds())
    cleaned = tuple(
        p for i, p in enumerate(loc) if not (i > 0 and isinstance(loc[i - 1], int) and p in kinds)
    )
    err = exc.errors()[0]
    if err["type"] == "extra_forbidden" and cleaned:
        msg = f"unknown field {str(cleaned[-1])!r}{suggest(str(cleaned[-1]), _fields())}"
    if err["type"] == "union_tag_invalid":
        tag = str((err.get("ctx") or {}).get("tag", ""))
        cleaned, msg = (*cleaned, "kind"), f"unknown kind {tag!r}{suggest(tag, _kinds())}"
    return cleaned, msg


def _fields() -> set[str]:
    """Every field name a rule or routing file may use."""
    from kaohe.alerts import model

    classes = [model.RuleFile, model.Routing, model.Route, model.Step, model.Match, model.Quiet]
    classes += model.RuleBase.__subclasses__()
    return {name for cls in classes for name in cls.model_fields}


def _kinds() -> list[str]:
    from kaohe.alerts.model import KIND_STATES

    return list(KIND_STATES)


def parse_rules_text(text: str, file: str) -> RuleFile:
    rules, node = parse_model(RuleFile, text, file, RULES_WHAT, locate)
    for loc, problem in _rule_problems(rules):
        raise ConfigError(
            problem, file=file, line=node_line(node, loc), field=".".join(map(str, loc))
        )
    return rules


def parse_routing_text(text: str, file: str, channels: Iterable[str]) -> Routing:
    routing, node = parse_model(Routing, text, file, ROUTING_WHAT, locate)
    known = set(channels)
    for loc, name in _channel_refs(routing):
        if name not in known:
            raise ConfigError(
                f"未配置的通道 / unknown channel {name!r}{suggest(name, known)} "
                f"(channels: {', '.join(sorted(known)) or 'none: add [alerts.channels.NAME]'})",
                file=file,
                line=node_line(node, loc),
                field=".".join(map(str, loc)),
            )
    return routing


def _rule_problems(rules: RuleFile) -> list[tuple[Loc, str]]:
    out = []
    for i, rule in enumerate(rules.rules):
        for field, ref in _refs(rule):
            problem = reference_problem(ref)
            if problem:
                out.append(((("rules", i, *field)), problem))
    return out


def _refs(rule: Any) -> list[Ref]:
    refs: list[Ref] = []
    for name in ("metric", "volume"):
        if isinstance(getattr(rule, name, None), str):
            refs.append(((name,), getattr(rule, name)))
    for j, part in enumerate(getattr(rule, "parts", None) or []):
        refs.append((("parts", j), part))
    if rule.kind in ("refund_deadline", "qa_finding") and rule.preset:
        refs.append((("preset",), f"preset:{rule.preset}"))
    if rule.kind == "refund_deadline":
        refs.append((("check",), f"check:{rule.preset}.{rule.check}"))
    for j, preset in enumerate(getattr(rule, "presets", None) or []):
        refs.append((("presets", j), f"preset:{preset}"))
    return refs


def reference_problem(ref: str) -> str | None:
    """Why `ref` (metric, metric.part, preset:ID, check:PRESET.CHECK) names nothing, else None."""
    from kaohe.compliance.load import list_presets
    from kaohe.engine.registry import REGISTRY, all_metrics

    kind, sep, name = ref.partition(":")
    presets = {p.id: p for p in list_presets()}
    if sep and kind == "preset":
        if name not in presets:
            return f"未知的合规预设 / unknown compliance preset {name!r}{suggest(name, presets)}"
        return None
    if sep and kind == "check":
        preset_id, _, check = name.partition(".")
        checks = [c.id for c in presets[preset_id].checks] if preset_id in presets else []
        if check not in checks:
            return f"预设 {preset_id} 没有检查项 / no check {check!r}{suggest(check, checks)}"
        return None
    all_metrics()
    metric_id, _, part = ref.partition(".")
    metric = REGISTRY.get(metric_id)
    if metric is None:
        return (
            f"未知的指标 / unknown metric {metric_id!r}{suggest(metric_id, REGISTRY)} "
            "(docs/metrics.md lists them)"
        )
    names = [p.name for p in metric.parts_for(metric.params)]
    if part and part not in names:
        return (
            f"指标 {metric_id} 没有这一部分 / metric {metric_id!r} has no part {part!r}"
            f"{suggest(part, names)} (parts: {', '.join(names)})"
        )
    return None


def _channel_refs(routing: Routing) -> list[Ref]:
    refs: list[Ref] = [(("leads", team), ch) for team, ch in routing.leads.items()]
    refs += [(("supervisor", i), ch) for i, ch in enumerate(routing.supervisor)]
    refs += [(("digest_channels", i), ch) for i, ch in enumerate(routing.digest_channels)]
    for i, route in enumerate(routing.routes):
        for j, step in enumerate(route.ladder):
            for k, target in enumerate(step.to):
                if target not in ("lead", "supervisor"):
                    refs.append((("routes", i, "ladder", j, "to", k), target))
    return refs


# files by name or path ------------------------------------------------------------------------


def _packaged(folder: str, name: str) -> tuple[str, str] | None:
    file = resources.files("kaohe.alerts").joinpath(folder, f"{name}.yaml")
    if file.is_file():
        return file.read_text("utf-8"), f"kaohe/alerts/{folder}/{name}.yaml"
    return None


def _read(folder: str, name_or_path: str) -> tuple[str, str]:
    packaged = _packaged(folder, name_or_path)
    if packaged is not None:
        return packaged
    path = Path(name_or_path)
    if path.is_file():
        return path.read_text("utf-8"), str(path)
    shipped = sorted(
        f.name.removesuffix(".yaml")
        for f in resources.files("kaohe.alerts").joinpath(folder).iterdir()
        if f.name.endswith(".yaml")
    )
    raise ConfigError(
        f"找不到预警文件 / no such alert {folder} file or preset {name_or_path!r}"
        f"{suggest(name_or_path, shipped)} (shipped: {', '.join(shipped)})"
    )


def load_rules(name_or_path: str = "default") -> RuleFile:
    """A shipped rule set by name (kaohe/alerts/rules/NAME.yaml) or a YAML file."""
    return parse_rules_text(*_read("rules", name_or_path))


def load_routing(name_or_path: str, channels: Iterable[str]) -> Routing:
    """A shipped routing by name (kaohe/alerts/routing/NAME.yaml) or a YAML file."""
    return parse_routing_text(*_read("routing", name_or_path), channels)
