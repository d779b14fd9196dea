"""Reading the compliance presets (kaohe/compliance/presets/*.yaml): validated with pydantic,
metric references checked against the engine registry; a mistake names file, line, field."""

from __future__ import annotations

import functools
from importlib import resources

from kaohe.compliance.model import Preset
from kaohe.datafile import node_line, parse_model
from kaohe.errors import ConfigError, UsageError
from kaohe.suggest import unknown

WHAT = "a compliance preset must be a mapping (id, name, platforms, checks, ...)"


def parse_preset_text(text: str, file: str) -> Preset:
    """Validate one preset YAML; unknown metrics or parts are errors naming the line."""
    preset, node = parse_model(Preset, text, file, WHAT)
    problems = [(loc, metric_problem(ref)) for loc, ref in _metric_refs(preset)]
    problems += _named_problems(preset)
    for loc, problem in problems:
        if problem:
            raise ConfigError(
                problem, file=file, line=node_line(node, loc), field=".".join(str(p) for p in loc)
            )
    return preset


def _named_problems(preset: Preset) -> list[tuple[tuple[int | str, ...], str | None]]:
    """The scheme (source scheme) and QA rules (source qa_hits) a preset names must exist."""
    from kaohe.qa.rules import rule_names
    from kaohe.schemes import list_schemes

    out: list[tuple[tuple[int | str, ...], str | None]] = []
    if preset.scheme:
        ids = {s.id for s in list_schemes()}
        if preset.scheme not in ids:
            out.append((("scheme",), unknown("方案", "scheme", preset.scheme, ids)))
    rules = rule_names()
    for rule in preset.rules:
        if rule not in rules:
            out.append((("rules", rule), unknown("质检规则", "QA rule", rule, rules)))
    return out


def _metric_refs(preset: Preset) -> list[tuple[tuple[int | str, ...], str]]:
    refs: list[tuple[tuple[int | str, ...], str]] = []
    if preset.gate:
        refs.append((("gate", "metric"), preset.gate.metric))
    for i, check in enumerate(preset.checks):
        if check.source == "metric":
            refs.append((("checks", i, "metric"), check.metric))
        if check.alternative:
            refs.append((("checks", i, "alternative", "metric"), check.alternative.metric))
    return refs


def metric_problem(ref: str) -> str | None:
    """Why `ref` (metric or metric.part) names nothing the engine computes, else None."""
    from kaohe.engine.registry import REGISTRY, all_metrics

    all_metrics()
    metric_id, _, part = ref.partition(".")
    metric = REGISTRY.get(metric_id)
    if metric is None:
        return unknown("指标", "metric", metric_id, REGISTRY) + " (docs/metrics.md lists them)"
    names = [p.name for p in metric.parts_for(metric.params)]
    if part and part not in names:
        return unknown(f"{metric_id} 的分项", f"part of {metric_id}", part, names)
    return None


def _preset_dir():  # noqa: ANN202 - importlib Traversable
    return resources.files("kaohe.compliance").joinpath("presets")


@functools.cache
def _presets() -> tuple[Preset, ...]:
    files = sorted(
        (f for f in _preset_dir().iterdir() if f.name.endswith((".yaml", ".yml"))),
        key=lambda f: f.name,
    )
    return tuple(
        parse_preset_text(f.read_text("utf-8"), f"kaohe/compliance/presets/{f.name}") for f in files
    )


# the order of the spec's table (platform by platform)
ORDER = (
    "pdd_effective_reply",
    "pdd_daily_reply",
    "pdd_aftersales",
    "kuaishou_3min",
    "kuaishou_good_rate",
    "kuaishou_attitude",
    "kuaishou_disputes",
    "jd_first_30s",
    "jd_hangup",
    "jd_aftersales",
    "jd_deadlines",
    "taobao_response",
    "tmall_redlines",
    "late_shipment",
)


def list_presets() -> list[Preset]:
    """Every shipped preset, in the spec's order (others after, by id)."""
    rank = {p: i for i, p in enumerate(ORDER)}
    return sorted(
        (p.model_copy(deep=True) for p in _presets()),
        key=lambda p: (rank.get(p.id, len(ORDER)), p.id),
    )


def load_preset(preset_id: str) -> Preset:
    for preset in list_presets():
        if preset.id == preset_id:
            return preset
    known = [p.id for p in list_presets()]
    raise UsageError(unknown("合规规则", "compliance preset", preset_id, known))
