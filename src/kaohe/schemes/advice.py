"""What would move an agent up: the smallest change in one figure that reaches the next grade
("转化率再提高 2.1 个百分点即可达到 合格"), and for an agent with too little data how much more
the scheme needs before it scores them.

The agent is re-scored by the scheme's own rules (kaohe.schemes.rules) with one figure moved
and everything else held: the other agents' figures, the parameters, the grade bands. A
figure the team mean or a rank compares with moves in the population too (the agent's own
value is part of it). The needed change is found by bisection on the figure (every rule is
monotone in its figure when the rest is held) and rounded up to the unit's step
(kaohe.units.STEPS), then checked: reaching the grade with the rounded value is guaranteed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kaohe.schemes.model import (
    DeductPerCount,
    DeductPerPoint,
    Fixed,
    PenaltyIf,
    Scheme,
    Tiers,
    Weighted,
    When,
)
from kaohe.schemes.rules import Context, metric_direction, metric_label, metric_unit
from kaohe.schemes.score import INSUFFICIENT, SCORED, AgentScore, Scoring, total_of
from kaohe.units import STEPS, Unit, format_change, format_value

BISECTIONS = 48
RATIO_CEILING = 1.0  # a rate cannot pass 100 %
POINTS_CEILING = 100.0  # QA and service scores are on 0–100


@dataclass
class Step:
    """One figure moved alone far enough to reach `grade`."""

    item: str  # the scheme item's id
    label: str  # the item's label (转化率)
    metric: str
    unit: Unit | None
    value: float  # the figure today
    needed: float  # the figure that reaches the grade
    grade: str

    @property
    def change(self) -> float:
        return self.needed - self.value

    @property
    def effort(self) -> float:
        """The change relative to the figure (how the smallest step is chosen)."""
        scale = max(abs(self.value), abs(self.needed), 1e-9)
        return abs(self.change) / scale

    def text(self, lang: str = "zh") -> str:
        """转化率再提高 2.1 个百分点即可达到 合格 / …"""
        size = format_change(self.change, self.unit, lang)
        target = format_value(self.needed, self.unit, lang)
        if lang == "en":
            verb = "rise" if self.change > 0 else "fall"
            return f"{self.label} to {verb} by {size} (to {target}) reaches {self.grade}"
        verb = _verb_zh(self.unit, self.change > 0)
        return f"{self.label}再{verb} {size}（到 {target}）即可达到 {self.grade}"


def _verb_zh(unit: Unit | None, up: bool) -> str:
    if unit in ("seconds", "minutes", "hours", "days"):
        return "延长" if up else "缩短"
    if unit == "ratio":
        return "提高" if up else "降低"
    return "增加" if up else "减少"


@dataclass
class Advice:
    """What reaches the next grade: `steps` (each alone enough, smallest first), `grade`
    None at the top grade; `sample` for an agent not scored for too little data."""

    agent: str
    grade: str | None = None
    steps: list[Step] = field(default_factory=list)
    sample: Step | None = None  # 数据不足: the sample figure the scheme needs

    @property
    def best(self) -> Step | None:
        return self.steps[0] if self.steps else None

    def text(self, lang: str = "zh") -> str:
        """The one line a page shows."""
        if self.sample is not None:
            return _sample_text(self.sample, lang)
        if self.grade is None:
            return "Already at the top grade" if lang == "en" else "已是最高等级"
        if self.best is None:
            if lang == "en":
                return f"No single figure alone reaches {self.grade}: several must improve"
            return f"单项提升无法达到 {self.grade}，需多项同时改善"
        return self.best.text(lang)


def _sample_text(step: Step, lang: str) -> str:
    size = format_change(step.change, step.unit, lang)
    need = format_value(step.needed, step.unit, lang)
    if lang == "en":
        return f"Too little data: {step.label} needs {size} more (at least {need}) to be scored"
    return f"数据不足：{step.label}还差 {size}（至少 {need}）才参加评分"


def advise(scheme: Scheme, base: Scoring, scored: AgentScore) -> Advice:
    """The advice for one agent of a scoring (kaohe.schemes.score.scoring) and their score."""
    out = Advice(scored.agent)
    row = base.rows.get(scored.agent, {"agent": scored.agent})
    if scored.status == INSUFFICIENT and scheme.min_sample is not None:
        out.sample = _sample_step(scheme, row)
        return out
    if scored.status != SCORED or scored.total is None or scored.grade is None:
        return out
    better = _next_grade(scheme, scored.grade.label)
    if better is None:
        return out
    out.grade = scheme.grades[better].label
    steps = []
    for item in scheme.items:
        for metric in _moved_metrics(item, row):
            step = _step(scheme, base, row, item, metric, better)
            if step is not None:
                steps.append(step)
    out.steps = sorted(_smallest_per_metric(steps), key=lambda s: (s.effort, s.item))
    return out


def _next_grade(scheme: Scheme, label: str) -> int | None:
    """The index of the grade just above `label` (grades are listed best first)."""
    labels = [g.label for g in scheme.grades]
    at = labels.index(label) if label in labels else None
    return None if not at else at - 1


def _moved_metrics(item: Any, row: Mapping[str, Any]) -> list[str]:
    """The figures an item scores (a `when` item: its branches', not the condition's) that
    the agent has a value of."""
    if isinstance(item, When):
        names = [m for m in (_value_metric(item.then), _value_metric(item.otherwise)) if m]
    else:
        names = [_value_metric(item)]
    return [m for m in dict.fromkeys(names) if m and row.get(m) is not None]


def _value_metric(rule: Any) -> str:
    if isinstance(rule, When):
        return ""
    return str(rule.count if isinstance(rule, DeductPerCount) else rule.metric)


def _better_up(rule: Any, metric: str) -> bool:
    """Whether a higher figure scores better under the rule."""
    if isinstance(rule, When):
        inner = rule.then if _value_metric(rule.then) == metric else rule.otherwise
        return _better_up(inner, metric)
    if isinstance(rule, Weighted):
        return (rule.direction or metric_direction(metric)) != "lower"
    if isinstance(rule, DeductPerPoint):
        return rule.direction != "lower"
    if isinstance(rule, DeductPerCount):
        return False
    if isinstance(rule, PenaltyIf):
        return rule.when == "below"
    return isinstance(rule, Tiers | Fixed) or metric_direction(metric) != "lower"


def _step(
    scheme: Scheme, base: Scoring, row: Mapping[str, Any], item: Any, metric: str, grade: int
) -> Step | None:
    value = float(row[metric])
    unit = metric_unit(metric) or _item_unit(item)
    up = _better_up(item, metric)
    reaches = _reaches(scheme, base, row, metric, value, grade)
    far = _far_end(base, metric, value, unit, up)
    if far == value or not reaches(far):
        return None
    near, end = value, far  # reaches(end) holds, reaches(near) does not
    for _ in range(BISECTIONS):
        middle = (near + end) / 2
        near, end = (near, middle) if reaches(middle) else (middle, end)
    needed = _rounded(value, end, unit, up)
    while not reaches(needed) and (needed < far if up else needed > far):
        needed = needed + _step_of(unit) if up else needed - _step_of(unit)
    needed = min(needed, far) if up else max(needed, far)
    if not reaches(needed):
        return None
    label = item.label or item.id or metric
    return Step(item.id or metric, label, metric, unit, value, needed, scheme.grades[grade].label)


def _reaches(
    scheme: Scheme, base: Scoring, row: Mapping[str, Any], metric: str, value: float, grade: int
) -> Any:
    """figure → whether the agent's total with the figure moved lands in `grade` or better."""
    wanted = scheme.grades[grade]
    others = list(base.ctx.population.get(metric, []))
    if value in others:
        others.remove(value)  # the agent's own figure, replaced by the moved one

    def check(moved: float) -> bool:
        ctx = Context(
            base.ctx.params,
            {**base.ctx.population, metric: [*others, moved]},
            base.ctx.direction,
            base.ctx.computed,
        )
        return wanted.holds(total_of(scheme, {**row, metric: moved}, ctx))

    return check


def _far_end(base: Scoring, metric: str, value: float, unit: Unit | None, up: bool) -> float:
    """The furthest a figure may be moved: 0 going down; going up, 100 % for a rate, 100
    points for a score, else well past the best in the population."""
    if not up:
        return 0.0
    if unit == "ratio":
        return max(RATIO_CEILING, value)
    if unit == "points":
        return max(POINTS_CEILING, value)
    best = max(base.ctx.population.get(metric) or [value])
    return max(value * 4, best * 2, value + 10 * _step_of(unit))


def _step_of(unit: Unit | None) -> float:
    return STEPS[unit] if unit is not None else 1.0


def _rounded(value: float, needed: float, unit: Unit | None, up: bool) -> float:
    """The needed figure with the change rounded up (away from today's) to the unit's step."""
    step = _step_of(unit)
    change = abs(needed - value) / step
    steps = math.ceil(round(change, 6))
    return value + steps * step if up else value - steps * step


def _item_unit(item: Any) -> Unit | None:
    """An input figure the registry does not know: a manual score is in points."""
    return "points" if isinstance(item, Fixed) else None


def _smallest_per_metric(steps: list[Step]) -> list[Step]:
    """One step per figure (two items reading one figure move together)."""
    best: dict[str, Step] = {}
    for step in steps:
        if step.metric not in best or step.effort < best[step.metric].effort:
            best[step.metric] = step
    return list(best.values())


def _sample_step(scheme: Scheme, row: Mapping[str, Any]) -> Step:
    ms = scheme.min_sample
    assert ms is not None
    value = float(row.get(ms.metric) or 0.0)
    label = metric_label(ms.metric, "zh") or scheme.inputs.get(ms.metric) or ms.metric
    return Step(ms.metric, label, ms.metric, metric_unit(ms.metric), value, ms.min, "")
