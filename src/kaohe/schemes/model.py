"""The pydantic models of a scheme file (考核方案): items, rules, bands, grades, PK.

Band edges are explicit: a band holds values ``>= min`` (or ``> above``); bands are listed
best first and the first that holds wins; a band with neither edge catches the rest.
A rule's ``target`` is a number or the name of one of the scheme's ``params``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kaohe.datafile import FieldProblem
from kaohe.suggest import unknown

Direction = Literal["higher", "lower"]
Op = Literal[">", ">=", "<", "<=", "==", "!="]
Target = float | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Band(_Strict):
    """A band's edge is a number or the name of a scheme parameter (打字速度: the seed's two
    thresholds, 50 and 80 字/分, are parameters a manager can move)."""

    min: float | str | None = Field(None, description="the band holds values >= min")
    above: float | str | None = Field(None, description="the band holds values > above")
    points: float = 0
    label: str | None = None

    @model_validator(mode="after")
    def _one_edge(self) -> Band:
        if self.min is not None and self.above is not None:
            raise FieldProblem(("above",), "a band has either min (>=) or above (>), not both")
        return self

    @property
    def edge(self) -> float | str | None:
        return self.min if self.min is not None else self.above

    def resolved(self, params: Mapping[str, float]) -> Band:
        """The band with a parameter edge replaced by the parameter's value."""
        if not isinstance(self.edge, str):
            return self
        key = "min" if self.min is not None else "above"
        return self.model_copy(update={key: float(params[self.edge])})

    def holds(self, value: float) -> bool:
        value = round(value, 9)  # 6.0 / 5 must land on the 1.2 edge
        if self.min is not None:
            return value >= float(self.min)
        if self.above is not None:
            return value > float(self.above)
        return True


def check_bands(bands: list[Any], field: str) -> None:
    """Best first: edges strictly descending, only the last band without an edge. Bands
    with parameter edges are checked by the scheme, with the parameters' defaults."""
    if any(isinstance(b.edge, str) for b in bands):
        return
    edges = [b.edge for b in bands]
    for i, edge in enumerate(edges):
        if edge is None and i != len(edges) - 1:
            raise FieldProblem((field, i), "only the last band may have no min/above")
        if i and edge is not None and edges[i - 1] is not None and edge > edges[i - 1]:
            raise FieldProblem((field, i), f"bands go best first: {edge} after {edges[i - 1]}")
        if i and edge is not None and edge == edges[i - 1] and bands[i].min is None:
            raise FieldProblem((field, i), f"band edge {edge} repeats")


def _num(edge: float | str) -> str:
    return edge if isinstance(edge, str) else f"{edge:g}"


def band_text(bands: list[Any], i: int) -> str:
    """A band as the seeds write it: 'x ≥ 90', '80 ≤ x < 90', 'x > 1.2', 'x < 60'."""
    band, upper = bands[i], bands[i - 1] if i else None
    low = (
        f"{_num(band.min)} ≤"
        if band.min is not None
        else f"{_num(band.above)} <"
        if band.above is not None
        else None
    )
    high = None
    if upper is not None and upper.edge is not None:
        high = f"< {_num(upper.min)}" if upper.min is not None else f"≤ {_num(upper.above)}"
    if low and high:
        return f"{low} x {high}"
    if low:
        return f"x {'≥' if band.min is not None else '>'} {_num(band.edge)}"
    return f"x {high}" if high else "all"


class Condition(_Strict):
    metric: str
    op: Op
    value: Target


Missing = Literal["auto", "zero", "drop", "median"]


class _Rule(_Strict):
    id: str | None = None
    label: str | None = None
    # auto: a metric kaohe computes is null only when it has nothing to measure (no ratings,
    # no service orders: an empty denominator), so the item is dropped and the total
    # re-scaled; a manual input left empty scores 0 (issue 15: no missing denominator is
    # scored as a failure)
    missing: Missing = "auto"


class Tiers(_Rule):
    rule: Literal["tiers"]
    metric: str
    target: Target | None = Field(None, description="compare value / target with the bands")
    bands: list[Band] = Field(min_length=1)

    @model_validator(mode="after")
    def _bands(self) -> Tiers:
        check_bands(self.bands, "bands")
        return self

    @property
    def max_points(self) -> float:
        return max(b.points for b in self.bands)


class DeductPerPoint(_Rule):
    rule: Literal["deduct_per_point"]
    metric: str
    target: Target
    points: float = Field(gt=0)
    per_point: float = Field(gt=0, description="points off per percentage point short")
    floor: float = 0
    direction: Direction = "higher"

    @property
    def max_points(self) -> float:
        return self.points


class DeductPerCount(_Rule):
    rule: Literal["deduct_per_count"]
    count: str = Field(description="metric id of the counted events")
    points: float = Field(gt=0)
    per_count: float = Field(gt=0)
    floor: float = 0

    @property
    def max_points(self) -> float:
        return self.points


class PenaltyIf(_Rule):
    rule: Literal["penalty_if"]
    metric: str
    target: Target
    when: Literal["above", "below"] = "above"
    penalty: float = Field(gt=0)

    @property
    def max_points(self) -> float:
        return 0.0


class Normalise(_Strict):
    method: Literal["target", "team", "rank", "range"]
    target: Target | None = None
    stat: Literal["mean", "median"] = "mean"
    floor: float | None = None
    ceiling: float | None = None
    cap: float = Field(100, description="normalised values above this are capped")

    @model_validator(mode="after")
    def _needs(self) -> Normalise:
        if self.method == "target" and self.target is None:
            raise FieldProblem(("target",), "normalisation 'target' needs a target")
        if self.method == "range":
            if self.floor is None or self.ceiling is None:
                raise FieldProblem(("floor",), "normalisation 'range' needs floor and ceiling")
            if self.ceiling <= self.floor:
                raise FieldProblem(("ceiling",), "ceiling must be above floor")
        return self


class Weighted(_Rule):
    rule: Literal["weighted"]
    metric: str
    weight: float = Field(gt=0, description="points at a normalised value of 100")
    normalise: Normalise
    direction: Direction | None = Field(None, description="default: the metric's direction")

    @property
    def max_points(self) -> float:
        return self.weight


class Fixed(_Rule):
    rule: Literal["fixed"]
    metric: str = Field(description="manual input (metric_values) holding the points")
    points: float = Field(gt=0, description="the most points the input may give")

    @property
    def max_points(self) -> float:
        return self.points


class When(_Rule):
    rule: Literal["when"]
    condition: Condition = Field(alias="if")
    then: AnyRule
    otherwise: AnyRule = Field(alias="else")

    @property
    def max_points(self) -> float:
        return max(self.then.max_points, self.otherwise.max_points)


AnyRule = Annotated[
    Tiers | DeductPerPoint | DeductPerCount | PenaltyIf | Weighted | Fixed | When,
    Field(discriminator="rule"),
]
When.model_rebuild()


class Param(_Strict):
    default: float
    label: str = ""


class Population(_Strict):
    """Who the scheme covers; role/level/team/shops need a roster (or those keys on the rows)."""

    roles: list[str] = Field(default_factory=list)
    levels: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)
    agents: list[str] = Field(default_factory=list)
    shops: list[str] = Field(default_factory=list)


class Exempt(_Strict):
    start: date
    end: date
    label: str = ""


class MinSample(_Strict):
    metric: str
    min: float


class Grade(_Strict):
    min: float | None = None
    above: float | None = None
    label: str
    consequence: str = ""
    meets_standard: bool = True
    penalty: float = Field(0, description="amount (¥) owed at this grade")
    reward: float = Field(0, description="amount (¥) earned at this grade")
    improvement_months: int = 0
    award_eligible: bool = False

    @property
    def edge(self) -> float | None:
        return self.min if self.min is not None else self.above

    def holds(self, value: float) -> bool:
        return Band(min=self.min, above=self.above).holds(value)


class PkMetric(_Strict):
    metric: str
    label: str | None = None
    direction: Direction | None = None
    wilson_trials: str | None = Field(
        None, description="rank a rate by its Wilson lower bound with this metric as trials"
    )


class Pk(_Strict):
    metrics: list[PkMetric] = Field(min_length=1)
    places: int = Field(3, ge=1)
    rewards: list[float] = Field(default_factory=list, description="amount for place 1, 2, …")
    min_sample: MinSample | None = None
    z: float = Field(1.96, gt=0)


class TeamScore(_Strict):
    """The team's score a supervisor scheme reads (seed 002 客服团队评分): the mean total of
    the supervisor's roster team (the agents of the same team, the supervisor excluded) under
    the first of `schemes` that covers each agent, for the same month."""

    metric: str = Field("team_mean_score", description="the name the items read it by")
    schemes: list[str] = Field(min_length=1, description="the agents' scheme ids")


class Scheme(_Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1, description="Chinese name shown to users")
    description: str = ""
    source: str = ""
    full_marks: float | None = Field(
        None, description="满分: the items' points must add up to it (checked when given)"
    )
    params: dict[str, Param] = Field(default_factory=dict)
    inputs: dict[str, str] = Field(
        default_factory=dict,
        description="figures imported into metric_values that are no engine metric "
        "(manual scores, platform figures): id → 中文 meaning",
    )
    population: Population = Field(default_factory=Population)
    gate: Condition | None = None
    exempt: list[Exempt] = Field(default_factory=list)
    min_sample: MinSample | None = None
    items: list[AnyRule] = Field(min_length=1)
    grades: list[Grade] = Field(default_factory=list)
    pk: Pk | None = None
    cycle: Literal["period", "month"] = Field(
        "period",
        description="month: scored month by month; a longer period (2026-Q4) combines the "
        "months (total = their mean; lowest and highest month kept)",
    )
    team_score: TeamScore | None = None

    @model_validator(mode="after")
    def _check(self) -> Scheme:
        seen: set[str] = set()
        for i, item in enumerate(self.items):
            if not item.id:
                raise FieldProblem(("items", i, "id"), "every item needs an id")
            if item.id in seen:
                raise FieldProblem(("items", i, "id"), f"item id {item.id!r} repeats")
            seen.add(item.id)
            self._check_targets(item, ("items", i))
        if self.gate:
            self._check_target(self.gate.value, ("gate", "value"))
        check_bands(self.grades, "grades")
        self._check_metrics()
        self._check_population()
        self._check_full_marks()
        return self

    def _check_metrics(self) -> None:
        """Every metric named is an engine metric, a platform report's figure or a declared
        input: a typo would score the item 0 for everyone."""
        from kaohe.engine.registry import all_metrics

        computed = {m.id for m in all_metrics()}
        for name in self.inputs:
            if name in computed:
                raise FieldProblem(
                    ("inputs", name),
                    f"{name} 由 kaohe 计算，不是手工录入项；请从 inputs 中删去 / "
                    f"{name} is computed by kaohe (an imported figure still wins where the "
                    "metric says so): remove it from inputs",
                )
        known = known_metric_ids() | set(self.inputs)
        for loc, metric in self.metric_refs():
            if metric not in known:
                message = unknown("指标", "metric", metric, known)
                raise FieldProblem(
                    loc,
                    f"{message}; 手工录入的指标请在 inputs 中声明 / declare a manual figure "
                    "under inputs",
                )

    def metric_refs(self) -> list[tuple[tuple[int | str, ...], str]]:
        """(location, metric id) of every metric the scheme names."""
        refs: list[tuple[tuple[int | str, ...], str]] = []
        for i, item in enumerate(self.items):
            refs += _rule_refs(item, ("items", i))
        for name, extra in (("gate", self.gate), ("min_sample", self.min_sample)):
            if extra is not None:
                refs.append(((name, "metric"), extra.metric))
        if self.pk:
            for j, m in enumerate(self.pk.metrics):
                refs.append((("pk", "metrics", j, "metric"), m.metric))
                if m.wilson_trials:
                    refs.append((("pk", "metrics", j, "wilson_trials"), m.wilson_trials))
            if self.pk.min_sample:
                refs.append((("pk", "min_sample", "metric"), self.pk.min_sample.metric))
        return refs

    def _check_population(self) -> None:
        """Roles and levels are the roster's closed lists (schema.ROLES, schema.LEVELS)."""
        from kaohe import schema

        for name, labels in (("roles", schema.ROLES), ("levels", schema.LEVELS)):
            allowed = set(labels.values())
            for i, value in enumerate(getattr(self.population, name)):
                if value not in allowed:
                    what = ("角色", "role") if name == "roles" else ("级别", "level")
                    raise FieldProblem(("population", name, i), unknown(*what, value, allowed))

    def _check_full_marks(self) -> None:
        if self.full_marks is None or abs(self.max_total - self.full_marks) < 1e-9:
            return
        parts = " + ".join(f"{item.id} {item.max_points:g}" for item in self.items)
        raise FieldProblem(
            ("full_marks",),
            f"考核项分值合计 {self.max_total:g}（{parts}），不等于满分 {self.full_marks:g} / the "
            f"items add up to {self.max_total:g} points ({parts}), not the declared "
            f"full_marks {self.full_marks:g}",
        )

    def _check_targets(self, rule: Any, loc: tuple[int | str, ...]) -> None:
        if isinstance(rule, When):
            self._check_target(rule.condition.value, (*loc, "if", "value"))
            self._check_targets(rule.then, (*loc, "then"))
            self._check_targets(rule.otherwise, (*loc, "else"))
            return
        self._check_target(getattr(rule, "target", None), (*loc, "target"))
        if isinstance(rule, Weighted):
            self._check_target(rule.normalise.target, (*loc, "normalise", "target"))
        if isinstance(rule, Tiers):
            for i, band in enumerate(rule.bands):
                self._check_target(band.edge, (*loc, "bands", i, "min"))
            defaults = {k: p.default for k, p in self.params.items()}
            check_bands([b.resolved(defaults) for b in rule.bands], "bands")

    def _check_target(self, target: Target | None, loc: tuple[int | str, ...]) -> None:
        if isinstance(target, str) and target not in self.params:
            raise FieldProblem(loc, unknown("参数", "parameter", target, self.params))

    @property
    def max_total(self) -> float:
        return sum(item.max_points for item in self.items)

    def metric_ids(self) -> list[str]:
        """Every metric the scheme reads, in first-use order."""
        ids: list[str] = []
        for item in self.items:
            ids += rule_metrics(item)
        for extra in (self.gate, self.min_sample, self.pk and self.pk.min_sample):
            if extra is not None:
                ids.append(extra.metric)
        if self.pk:
            ids += [m.metric for m in self.pk.metrics]
            ids += [m.wilson_trials for m in self.pk.metrics if m.wilson_trials]
        return list(dict.fromkeys(ids))


def _rule_refs(rule: Any, loc: tuple[int | str, ...]) -> list[tuple[tuple[int | str, ...], str]]:
    if isinstance(rule, When):
        return [
            ((*loc, "if", "metric"), rule.condition.metric),
            *_rule_refs(rule.then, (*loc, "then")),
            *_rule_refs(rule.otherwise, (*loc, "else")),
        ]
    field = "count" if isinstance(rule, DeductPerCount) else "metric"
    return [((*loc, field), getattr(rule, field))]


@functools.cache
def known_metric_ids() -> frozenset[str]:
    """Metric ids a scheme may read without declaring them: the engine's metrics and the
    figures the platform report presets import into metric_values."""
    from kaohe.engine.registry import all_metrics
    from kaohe.ingest.presets import builtin_presets

    reported = {m for p in builtin_presets() if p.kind == "report" for m in p.metrics}
    return frozenset({m.id for m in all_metrics()} | reported)


def rule_metrics(rule: Any) -> list[str]:
    if isinstance(rule, When):
        return [rule.condition.metric, *rule_metrics(rule.then), *rule_metrics(rule.otherwise)]
    return [rule.count if isinstance(rule, DeductPerCount) else rule.metric]
