"""An agent's score item by item, as a manager reads it: the figure with its unit, the target
it is measured against, the points out of the item's maximum, the band, and how the points
came about in words with the arithmetic beside them ("转化率 40% ÷ 目标 50% = 80%；30 分 ×
80% = 24 分").

Built from the scoring result (kaohe.schemes.score.AgentScore) and the scheme's rules; no
figure is computed here that the rules did not compute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kaohe.schemes.model import (
    Condition,
    DeductPerCount,
    DeductPerPoint,
    Fixed,
    PenaltyIf,
    Scheme,
    Tiers,
    Weighted,
    When,
)
from kaohe.schemes.rules import OPS, ItemResult, metric_label, metric_unit
from kaohe.schemes.score import AgentScore
from kaohe.units import Unit, format_value

OP_ZH = {">": "高于", ">=": "不低于", "<": "低于", "<=": "不高于", "==": "等于", "!=": "不等于"}
NOT_OP = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}


@dataclass
class ItemLine:
    """One item of an agent's score, ready to show."""

    id: str
    label: str  # the item (转化率)
    metric: str
    figure: str  # the metric's name (询单→最终付款转化率)
    unit: Unit | None
    value: float | None
    target: float | None  # what the figure is measured against (a target, the team mean)
    target_kind: str | None  # target | mean | median
    points: float
    max_points: float
    band: str | None
    dropped: bool
    how: str  # in words, with the arithmetic

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.unit)

    @property
    def target_text(self) -> str:
        return "" if self.target is None else format_value(self.target, self.unit)

    def target_label(self, lang: str = "zh") -> str:
        """目标 / 团队均值 / 团队中位数 (what `target` is)."""
        names = {
            "target": ("目标", "target"),
            "mean": ("团队均值", "team mean"),
            "median": ("团队中位数", "team median"),
        }
        zh, en = names.get(self.target_kind or "target", names["target"])
        return en if lang == "en" else zh

    @property
    def short(self) -> float:
        """Points the item is short of its maximum (what matters most sorts first)."""
        return 0.0 if self.dropped else max(0.0, self.max_points - self.points)


def breakdown(
    scheme: Scheme, scored: AgentScore, params: Mapping[str, float], lang: str = "zh"
) -> list[ItemLine]:
    """The agent's items in the scheme's order; `params`: the scheme parameters the score
    was computed with (ScoreResult.params)."""
    rules = {item.id: item for item in scheme.items}
    return [_line(scheme, rules[i.id], i, params, lang) for i in scored.items if i.id in rules]


def _target_kind(rule: Any, item: ItemResult) -> str | None:
    if "reference" in item.inputs and isinstance(rule, Weighted):
        return rule.normalise.stat
    return "target" if "target" in item.inputs else None


def _line(
    scheme: Scheme, rule: Any, item: ItemResult, params: Mapping[str, float], lang: str
) -> ItemLine:
    chosen, prefix = _branch(rule, item, params, lang)
    metric = _value_metric(chosen)
    unit = metric_unit(metric) or ("points" if isinstance(chosen, Fixed) else None)
    value = item.inputs.get(metric)
    target = item.inputs.get("target", item.inputs.get("reference"))
    words = _words(chosen, item, value, unit, lang)
    return ItemLine(
        item.id,
        item.label,
        metric,
        metric_label(metric, lang) or scheme.inputs.get(metric) or metric,
        unit,
        None if value is None else float(value),
        None if target is None else float(target),
        _target_kind(chosen, item),
        item.points,
        item.max_points,
        item.band,
        item.dropped,
        prefix + words,
    )


def _value_metric(rule: Any) -> str:
    return str(rule.count if isinstance(rule, DeductPerCount) else rule.metric)


def _branch(rule: Any, item: ItemResult, params: Mapping[str, float], lang: str) -> tuple[Any, str]:
    """A `when` item: the branch that applied and the condition in words; else the rule."""
    if not isinstance(rule, When):
        return rule, ""
    cond: Condition = rule.condition
    seen = item.inputs.get(cond.metric)
    target = float(params[cond.value]) if isinstance(cond.value, str) else float(cond.value)
    held = None if seen is None else OPS[cond.op](float(seen), target)
    branch = rule.then if held else rule.otherwise
    name = metric_label(cond.metric, lang) or cond.metric
    unit = metric_unit(cond.metric)
    shown = format_value(seen, unit, lang)
    edge = format_value(target, unit, lang)
    op = cond.op if held else NOT_OP[cond.op]
    if lang == "en":
        return branch, f"{name} {shown} {op} {edge}: "
    return branch, f"{name} {shown}，{OP_ZH[op]} {edge}："


def _pts(points: float, lang: str) -> str:
    return format_value(round(points, 2), "points", lang)


def _words(rule: Any, item: ItemResult, value: Any, unit: Unit | None, lang: str) -> str:
    if item.dropped or value is None:
        return _missing(item, lang)
    v = format_value(value, unit, lang)
    if isinstance(rule, Weighted):
        return _weighted(rule, item, v, unit, lang)
    if isinstance(rule, Tiers):
        return _tiers(rule, item, v, unit, lang)
    if isinstance(rule, DeductPerPoint):
        return _deduct_per_point(rule, item, v, unit, lang)
    if isinstance(rule, DeductPerCount):
        return _deduct_per_count(rule, item, v, lang)
    if isinstance(rule, PenaltyIf):
        return _penalty(rule, item, v, unit, lang)
    if isinstance(rule, Fixed):
        most = _pts(rule.points, lang)
        if lang == "en":
            return f"entered {v}, at most {most} → {_pts(item.points, lang)}"
        return f"录入 {v}，最多 {most} → {_pts(item.points, lang)}"
    return item.explanation


def _missing(item: ItemResult, lang: str) -> str:
    if item.dropped:
        if lang == "en":
            return "no data (nothing to measure): left out, the other items scaled to full marks"
        return "无数据（没有可衡量的）：本项不计，其余各项按满分比例折算"
    if lang == "en":
        return "not entered: 0 points"
    return "未录入：记 0 分"


def _weighted(rule: Weighted, item: ItemResult, v: str, unit: Unit | None, lang: str) -> str:
    n = rule.normalise
    norm = float(item.inputs.get("normalised") or 0.0)
    pct = f"{norm:.1f}%".replace(".0%", "%")
    tail = f"{rule.weight:g} 分 × {pct} = {_pts(item.points, lang)}"
    tail_en = f"{rule.weight:g} × {pct} = {_pts(item.points, lang)}"
    lower = (rule.direction or "") == "lower" or (rule.direction is None and _lower(rule.metric))
    ref = item.inputs.get("target", item.inputs.get("reference"))
    r = format_value(ref, unit, lang) if ref is not None else ""
    if n.method == "range":
        span = f"{format_value(n.floor, unit, lang)}–{format_value(n.ceiling, unit, lang)}"
        if lang == "en":
            return (
                f"{v} on the range {span}{' (lower is better)' if lower else ''} = {pct}; {tail_en}"
            )
        return f"{v} 在 {span} 区间{'（越低越好）' if lower else ''}折算为 {pct}；{tail}"
    if n.method == "rank":
        if lang == "en":
            return f"{v} beats {pct} of the team; {tail_en}"
        return f"{v} 超过团队中 {pct} 的人；{tail}"
    what_zh = (
        "目标" if n.method == "target" else ("团队中位数" if n.stat == "median" else "团队均值")
    )
    what_en = "target" if n.method == "target" else f"team {n.stat}"
    cap = f"{n.cap:g}%"
    if lang == "en":
        shown = f"{what_en} {r} ÷ {v}" if lower else f"{v} ÷ {what_en} {r}"
        return f"{shown} = {pct} (capped at {cap}); {tail_en}"
    shown = f"{what_zh} {r} ÷ {v}" if lower else f"{v} ÷ {what_zh} {r}"
    return f"{shown} = {pct}（封顶 {cap}）；{tail}"


def _lower(metric: str) -> bool:
    from kaohe.schemes.rules import metric_direction

    return metric_direction(metric) == "lower"


def _tiers(rule: Tiers, item: ItemResult, v: str, unit: Unit | None, lang: str) -> str:
    band = item.band or ("no band" if lang == "en" else "无")
    ratio = item.inputs.get("ratio")
    target = item.inputs.get("target")
    shown = v
    if target is not None and ratio is not None:
        t = format_value(target, unit, lang)
        shown = f"{v} ÷ {'target' if lang == 'en' else '目标'} {t} = {ratio:.2f}"
    if lang == "en":
        return f"{shown} falls in band {band} → {_pts(item.points, lang)}"
    return f"{shown} 落在「{band}」档 → {_pts(item.points, lang)}"


def _deduct_per_point(
    rule: DeductPerPoint, item: ItemResult, v: str, unit: Unit | None, lang: str
) -> str:
    target = float(item.inputs.get("target") or 0.0)
    value = float(item.inputs.get(rule.metric) or 0.0)
    gap = (target - value) if rule.direction == "higher" else (value - target)
    short = max(0.0, round(gap * 100, 9))
    t = format_value(target, unit, lang)
    off = rule.per_point * short
    if lang == "en":
        return (
            f"{v} against target {t}: {short:.1f} points short × {rule.per_point:g} = −{off:g}; "
            f"{rule.points:g} − {off:g} (floor {rule.floor:g}) = {_pts(item.points, lang)}"
        )
    return (
        f"{v}，目标 {t}，差 {short:.1f} 个百分点 × 每点扣 {rule.per_point:g} 分 = 扣 {off:g} 分；"
        f"{rule.points:g} − {off:g}（最低 {rule.floor:g}）= {_pts(item.points, lang)}"
    )


def _deduct_per_count(rule: DeductPerCount, item: ItemResult, v: str, lang: str) -> str:
    count = float(item.inputs.get(rule.count) or 0.0)
    off = rule.per_count * count
    if lang == "en":
        return (
            f"{v} × {rule.per_count:g} off {rule.points:g} (floor {rule.floor:g}) = "
            f"{_pts(item.points, lang)}"
        )
    return (
        f"{v} 次 × 每次扣 {rule.per_count:g} 分 = 扣 {off:g} 分；{rule.points:g} − {off:g}"
        f"（最低 {rule.floor:g}）= {_pts(item.points, lang)}"
    )


def _penalty(rule: PenaltyIf, item: ItemResult, v: str, unit: Unit | None, lang: str) -> str:
    t = format_value(item.inputs.get("target"), unit, lang)
    hit = item.points < 0
    if lang == "en":
        side = "above" if rule.when == "above" else "below"
        return f"{v} {'is' if hit else 'is not'} {side} {t} → {_pts(item.points, lang)}"
    side = "高于" if rule.when == "above" else "低于"
    if hit:
        return f"{v} {side} {t} → 扣 {rule.penalty:g} 分"
    return f"{v} 未{side} {t} → 不扣分"
