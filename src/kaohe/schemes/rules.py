"""Scoring rules: one item of a scheme applied to one agent's metric values.

Every result carries its explanation: the rule, the inputs, the band or normalisation used,
the points, and what the item's ``missing`` policy did when its value was null.
"""

from __future__ import annotations

import functools
import operator
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kaohe.errors import UsageError
from kaohe.schemes.model import (
    Condition,
    DeductPerCount,
    DeductPerPoint,
    Fixed,
    PenaltyIf,
    Target,
    Tiers,
    Weighted,
    When,
    band_text,
)
from kaohe.units import Unit

OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass
class ItemResult:
    id: str
    label: str
    rule: str
    points: float
    max_points: float
    inputs: dict[str, Any] = field(default_factory=dict)
    band: str | None = None
    normalisation: str | None = None
    missing: str | None = None  # the policy applied when the value was null
    dropped: bool = False
    explanation: str = ""


@dataclass
class Context:
    """What a rule may look up besides the agent's own row."""

    params: Mapping[str, float]
    population: Mapping[str, list[float]]  # metric -> non-null values of the scored agents
    direction: Callable[[str], str] = lambda metric: "higher"
    # whether kaohe computes the metric (null = nothing to measure) or it is typed in
    computed: Callable[[str], bool] = field(default_factory=lambda: engine_metric)

    def target(self, target: Target | None) -> float | None:
        if target is None:
            return None
        return float(self.params[target]) if isinstance(target, str) else float(target)


@functools.cache
def metric_direction(metric: str) -> str:
    """The registry's direction of a metric; 'higher' for ids the engine does not know."""
    from kaohe.engine.registry import get

    try:
        return "lower" if get(metric).direction == "lower" else "higher"
    except UsageError:
        return "higher"


@functools.cache
def engine_metric(metric: str) -> bool:
    """Whether the engine's registry defines the metric."""
    from kaohe.engine.registry import get

    try:
        get(metric)
    except UsageError:
        return False
    return True


def metric_unit(metric: str) -> Unit | None:
    """The registry's unit of a metric; None for ids the engine does not know (imported
    values)."""
    from kaohe.engine.registry import get

    try:
        return get(metric).unit
    except UsageError:
        return None


def metric_label(metric: str, lang: str = "zh") -> str | None:
    """The registry's name of a metric; None for ids the engine does not know."""
    from kaohe.engine.registry import get

    try:
        return get(metric).label(lang)
    except UsageError:
        return None


def holds(condition: Condition, row: Mapping[str, Any], ctx: Context) -> bool | None:
    """The condition on the row; None when the metric is null."""
    value = row.get(condition.metric)
    if value is None:
        return None
    return OPS[condition.op](float(value), ctx.target(condition.value))


def evaluate(rule: Any, row: Mapping[str, Any], ctx: Context) -> ItemResult:
    if isinstance(rule, When):
        return _when(rule, row, ctx)
    value_id = rule.count if isinstance(rule, DeductPerCount) else rule.metric
    value = row.get(value_id)
    base = ItemResult(
        rule.id or "",
        rule.label or rule.id or value_id,
        rule.rule,
        0.0,
        rule.max_points,
        {value_id: value},
    )
    if value is None:
        value = _apply_missing(rule, value_id, ctx, base)
        if value is None:
            return base
        base.inputs[value_id] = value
    return SCORERS[type(rule)](rule, float(value), ctx, base)


def _apply_missing(rule: Any, metric: str, ctx: Context, out: ItemResult) -> float | None:
    policy = rule.missing
    why = ""
    if policy == "auto":
        computed = ctx.computed(metric)
        policy = "drop" if computed else "zero"
        why = " (nothing to measure)" if computed else " (not given)"
    out.missing = policy
    values = ctx.population.get(metric) or []
    if policy == "median" and values:
        median = statistics.median(values)
        out.explanation = f"{metric} is null: population median {median:g} used; "
        return median
    if policy == "drop":
        out.dropped = True
        out.explanation = f"{metric} is null{why}: item dropped, the others re-weighted"
    else:
        out.missing = "zero"
        out.explanation = f"{metric} is null{why}: 0 points"
    return None


def _when(rule: When, row: Mapping[str, Any], ctx: Context) -> ItemResult:
    cond = rule.condition
    ok = holds(cond, row, ctx)
    branch = rule.then if ok else rule.otherwise
    inner = evaluate(
        branch.model_copy(update={"id": rule.id, "label": rule.label, "missing": branch.missing}),
        row,
        ctx,
    )
    inner.rule = f"when→{inner.rule}"
    inner.max_points = rule.max_points
    inner.inputs = {cond.metric: row.get(cond.metric), **inner.inputs}
    chosen = "then" if ok else "else"
    test = f"{cond.metric} {cond.op} {ctx.target(cond.value):g}"
    truth = "null" if ok is None else str(ok)
    inner.explanation = f"{test} is {truth} → {chosen} ({branch.rule}): {inner.explanation}"
    return inner


def _tiers(rule: Tiers, value: float, ctx: Context, out: ItemResult) -> ItemResult:
    target = ctx.target(rule.target)
    x = value / target if target else value
    if target:
        out.inputs.update(target=target, ratio=x)
    bands = [b.resolved(ctx.params) for b in rule.bands]
    i = next((i for i, b in enumerate(bands) if b.holds(x)), None)
    if i is None:
        out.band, out.explanation = "below every band", out.explanation + f"{x:g}: no band, 0"
        return out
    band = bands[i]
    out.points, out.band = band.points, band.label or band_text(bands, i)
    shown = f"{value:g} / {target:g} = {x:g}" if target else f"{value:g}"
    out.explanation += f"{shown} in band {band_text(bands, i)} → {band.points:g}"
    return out


def _deduct_per_point(
    rule: DeductPerPoint, value: float, ctx: Context, out: ItemResult
) -> ItemResult:
    target = ctx.target(rule.target)
    gap = (target - value) if rule.direction == "higher" else (value - target)
    short = max(0.0, round(gap * 100, 9))  # percentage points
    out.points = max(rule.floor, rule.points - rule.per_point * short)
    out.inputs["target"] = target
    out.explanation += (
        f"{value:g} vs target {target:g}: {short:g} points short × "
        f"{rule.per_point:g} → {rule.points:g} − {rule.per_point * short:g}, "
        f"floor {rule.floor:g} → {out.points:g}"
    )
    return out


def _deduct_per_count(
    rule: DeductPerCount, value: float, ctx: Context, out: ItemResult
) -> ItemResult:
    out.points = max(rule.floor, rule.points - rule.per_count * value)
    out.explanation += (
        f"{value:g} × {rule.per_count:g} off {rule.points:g}, floor {rule.floor:g} → {out.points:g}"
    )
    return out


def _penalty_if(rule: PenaltyIf, value: float, ctx: Context, out: ItemResult) -> ItemResult:
    target = ctx.target(rule.target)
    hit = value > target if rule.when == "above" else value < target
    out.points = -rule.penalty if hit else 0.0
    out.inputs["target"] = target
    side = ">" if rule.when == "above" else "<"
    out.explanation += f"{value:g} {side} {target:g} is {hit} → {out.points:g}"
    return out


def _fixed(rule: Fixed, value: float, ctx: Context, out: ItemResult) -> ItemResult:
    out.points = min(max(value, 0.0), rule.points)
    out.explanation += f"given {value:g}, at most {rule.points:g} → {out.points:g}"
    return out


def _weighted(rule: Weighted, value: float, ctx: Context, out: ItemResult) -> ItemResult:
    lower = (rule.direction or ctx.direction(rule.metric)) == "lower"
    norm, how, reference = normalise(rule, value, lower, ctx)
    out.points = rule.weight * norm / 100
    out.normalisation = how
    out.inputs["normalised"] = norm
    if reference is not None:  # the target, or the team's mean or median
        out.inputs["target" if rule.normalise.method == "target" else "reference"] = reference
    out.explanation += f"{how}; {rule.weight:g} × {norm:g} / 100 → {out.points:g}"
    return out


def normalise(
    rule: Weighted, value: float, lower: bool, ctx: Context
) -> tuple[float, str, float | None]:
    """The value on 0–100 (capped), how it was obtained and what it was compared with (the
    target, or the team's mean or median; None for range and rank); lower-is-better
    inverts."""
    n = rule.normalise
    inv = " (lower is better)" if lower else ""
    if n.method == "range":
        assert n.floor is not None and n.ceiling is not None  # the model requires both
        span = n.ceiling - n.floor
        frac = (n.ceiling - value) / span if lower else (value - n.floor) / span
        norm = min(max(frac * 100, 0.0), 100.0)
        return norm, f"range {n.floor:g}–{n.ceiling:g}{inv}: {value:g} → {norm:g}", None
    if n.method == "rank":
        norm = percentile(value, ctx.population.get(rule.metric) or [value], lower)
        return norm, f"rank{inv}: {value:g} at percentile {norm:g}", None
    if n.method == "target":
        ref, what = ctx.target(n.target), "target"
    else:
        values = ctx.population.get(rule.metric) or [value]
        ref = statistics.median(values) if n.stat == "median" else statistics.fmean(values)
        what = f"team {n.stat}"
    ratio = _ratio(ref, value) if lower else _ratio(value, ref)
    norm = min(ratio * 100, n.cap)
    shown = f"{ref:g} / {value:g}" if lower else f"{value:g} / {ref:g}"
    return norm, f"{what} {ref:g}{inv}: {shown} × 100, cap {n.cap:g} → {norm:g}", ref


def _ratio(num: float, den: float) -> float:
    if den == 0:
        return 1.0 if num == 0 else float("inf")
    return max(num / den, 0.0)


def percentile(value: float, values: list[float], lower: bool = False) -> float:
    """Share (0–100) of the other agents this value beats; ties count half; alone → 100.
    ``values`` is the population, normally including the agent's own value."""
    others = list(values)
    if value in others:
        others.remove(value)
    if not others:
        return 100.0
    beaten = sum(1 for v in others if (v > value if lower else v < value))
    ties = sum(1 for v in others if v == value)
    return 100.0 * (beaten + 0.5 * ties) / len(others)


SCORERS: dict[type, Callable[[Any, float, Context, ItemResult], ItemResult]] = {
    Tiers: _tiers,
    DeductPerPoint: _deduct_per_point,
    DeductPerCount: _deduct_per_count,
    PenaltyIf: _penalty_if,
    Weighted: _weighted,
    Fixed: _fixed,
}
