"""Applying a scheme to per-agent metric rows: items, total, grade and consequences.

A pure function of plain inputs (rows like ``compute_kpis`` returns, an optional roster like
the ``agents`` table), so a scheme can be run on any period, or two schemes compared, without
a store. Population statistics (team mean/median, rank, the ``median`` missing policy) are over
the agents actually scored: selected, through the gate, with enough sample.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kaohe.engine.periods import Period, parse_period
from kaohe.errors import UsageError
from kaohe.schema import split_shops
from kaohe.schemes.model import Condition, Population, Scheme, band_text, rule_metrics
from kaohe.schemes.ranking import PkEntry, pk_rank
from kaohe.schemes.rules import Context, ItemResult, evaluate, holds, metric_direction
from kaohe.units import format_value

SCORED, INSUFFICIENT, GATED_OUT = "scored", "insufficient_data", "gated_out"
STATUS_ZH = {SCORED: "已评分", INSUFFICIENT: "数据不足", GATED_OUT: "不适用"}


@dataclass
class GradeResult:
    label: str
    band: str  # which band the total fell in, e.g. '80 ≤ x < 90'
    consequence: str = ""
    meets_standard: bool = True
    penalty: float = 0.0
    reward: float = 0.0
    improvement_months: int = 0
    award_eligible: bool = False


@dataclass
class AgentScore:
    agent: str
    name: str | None
    status: str
    items: list[ItemResult] = field(default_factory=list)
    total: float | None = None
    max_total: float = 0.0
    grade: GradeResult | None = None
    notes: list[str] = field(default_factory=list)
    # per month of the period (one entry unless a `cycle: month` scheme ran on a quarter):
    # the total, and the team score the items read (schemes with `team_score`)
    months: dict[str, float | None] = field(default_factory=dict)
    team_months: dict[str, float | None] = field(default_factory=dict)

    def item(self, item_id: str) -> ItemResult:
        return next(i for i in self.items if i.id == item_id)

    def explain(self) -> str:
        """Every item (rule, explanation, points), the total and the grade, one per line."""
        who = f"{self.agent} {self.name}" if self.name else self.agent
        lines = [f"{who} [{STATUS_ZH[self.status]}]"]
        for i in self.items:
            pts = "dropped" if i.dropped else _out_of(i.points, i.max_points)
            lines.append(f"  {i.label} ({i.rule}): {i.explanation} = {pts}")
        if self.total is not None:
            lines.append(f"  总分 {_out_of(self.total, self.max_total)}")
        if self.grade:
            g = self.grade
            lines.append(f"  等级 {g.label} ({g.band}) {g.consequence}".rstrip())
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _out_of(points: float, most: float) -> str:
    """``88.26 / 100分``: points in the unit of kaohe.units."""
    return f"{format_value(points, 'points', with_unit=False)} / {format_value(most, 'points')}"


@dataclass
class ScoreResult:
    scheme_id: str
    scheme_name: str
    period: str
    params: dict[str, float]
    exempt: bool = False
    agents: list[AgentScore] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def agent(self, agent: str) -> AgentScore:
        return next(a for a in self.agents if a.agent == agent)

    def table(self) -> list[dict[str, Any]]:
        """One flat row per agent: item points by item label, total, grade (for export)."""
        out = []
        for a in self.agents:
            row: dict[str, Any] = {"客服": a.agent, "姓名": a.name, "状态": STATUS_ZH[a.status]}
            row.update({i.label: None if i.dropped else round(i.points, 2) for i in a.items})
            row["总分"] = None if a.total is None else round(a.total, 2)
            row["等级"] = a.grade.label if a.grade else None
            out.append(row)
        return out


@dataclass
class Scoring:
    """What scoring a scheme's agents reads: each covered agent's metric row, their status
    (scored, 数据不足, gated out) and the context every rule is evaluated in (parameters,
    the population's figures for team means and ranks)."""

    rows: dict[str, dict[str, Any]]
    statuses: dict[str, str]
    ctx: Context


def scoring(
    scheme: Scheme,
    rows: list[dict[str, Any]],
    roster: list[dict[str, Any]] | None,
    params: Mapping[str, float] | None = None,
    direction: Callable[[str], str] = metric_direction,
) -> Scoring:
    """The population, statuses and context of a scheme on `rows` (see `score`)."""
    values = {name: p.default for name, p in scheme.params.items()}
    values.update(params or {})
    by_agent = _population(scheme, rows, roster)
    ctx0 = Context(values, {}, direction)
    statuses = {agent: _status(scheme, row, ctx0) for agent, row in by_agent.items()}
    scored = [row for agent, row in by_agent.items() if statuses[agent] == SCORED]
    return Scoring(
        by_agent, statuses, Context(values, _population_values(scheme, scored), direction)
    )


def total_of(scheme: Scheme, row: Mapping[str, Any], ctx: Context) -> float:
    """An agent's total on the scheme's items (dropped items re-weighted), no grade."""
    return _total([evaluate(item, row, ctx) for item in scheme.items], scheme.max_total, [])


def score(
    scheme: Scheme,
    rows: list[dict[str, Any]],
    roster: list[dict[str, Any]] | None,
    period: str,
    params: Mapping[str, float] | None = None,
    direction: Callable[[str], str] = metric_direction,
) -> ScoreResult:
    """Score every agent of the scheme's population; ``params`` override the defaults."""
    base = scoring(scheme, rows, roster, params, direction)
    result = ScoreResult(scheme.id, scheme.name, period, dict(base.ctx.params))
    if _exempt(scheme, period, result):
        return result
    if not base.rows:
        result.notes.append(empty_population_note(scheme, rows, roster))
    names = {r["agent"]: r.get("name") for r in roster or [] if r.get("agent")}
    for agent, row in base.rows.items():
        scored = _score_agent(scheme, agent, names.get(agent), row, base.statuses[agent], base.ctx)
        scored.months = {period: scored.total}
        if scheme.team_score:
            team = row.get(scheme.team_score.metric)
            scored.team_months = {period: None if team is None else float(team)}
        result.agents.append(scored)
    return result


def team_means(
    results: Iterable[ScoreResult], roster: Iterable[Mapping[str, Any]]
) -> dict[str, tuple[float, int]]:
    """Team → (mean total, agents) over the agents' scheme results of one period (seed 002
    客服团队评分): each agent counts once, under the first result that scored them (status
    scored, not insufficient data); supervisors and agents without a roster team are left
    out."""
    info = {r["agent"]: r for r in roster if r.get("agent")}
    taken: set[str] = set()
    totals: dict[str, list[float]] = {}
    for result in results:
        for a in result.agents:
            who = info.get(a.agent, {})
            if a.agent in taken or a.status != SCORED or a.total is None:
                continue
            taken.add(a.agent)
            if who.get("team") and who.get("level") != "supervisor":
                totals.setdefault(str(who["team"]), []).append(a.total)
    return {team: (sum(v) / len(v), len(v)) for team, v in totals.items()}


def combine_months(scheme: Scheme, period: str, monthly: list[ScoreResult]) -> ScoreResult:
    """A `cycle: month` scheme over a longer period (a quarter): each agent's total is the
    mean of the months they were scored in, graded on that mean; `months` keeps every month's
    total and `team_months` the team score of each month, so pay rules can ask for 连续1季度
    (every month) as well as the quarter's mean."""
    out = ScoreResult(scheme.id, scheme.name, period, monthly[0].params if monthly else {})
    agents = list(dict.fromkeys(a.agent for r in monthly for a in r.agents))
    for agent in agents:
        per_month = [(r.period, _find(r, agent)) for r in monthly]
        out.agents.append(_combined(scheme, agent, per_month))
    out.notes = [f"{r.period}: {note}" for r in monthly for note in r.notes]
    return out


def _find(result: ScoreResult, agent: str) -> AgentScore | None:
    return next((a for a in result.agents if a.agent == agent), None)


def _combined(
    scheme: Scheme, agent: str, per_month: list[tuple[str, AgentScore | None]]
) -> AgentScore:
    present = [a for _, a in per_month if a is not None]
    scored = [a for a in present if a.status == SCORED and a.total is not None]
    status = SCORED if scored else present[0].status
    out = AgentScore(agent, present[0].name, status, max_total=scheme.max_total)
    out.months = {
        m: (a.total if a is not None and a.status == SCORED else None) for m, a in per_month
    }
    out.team_months = {m: (a.team_months.get(m) if a is not None else None) for m, a in per_month}
    out.items = [
        _mean_item(item.id, [a.item(item.id) for a in scored]) for item in present[0].items
    ]
    if scored:
        out.total = round(sum(a.total for a in scored) / len(scored), 9)  # type: ignore[misc]
        out.grade = grade(scheme, out.total)
        shown = ", ".join(f"{m} {t:g}" for m, t in out.months.items() if t is not None)
        out.notes.append(f"mean of {len(scored)} months ({shown}) = {out.total:g}")
    missing = [m for m, t in out.months.items() if t is None]
    if missing:
        out.notes.append(f"not scored in {', '.join(missing)}")
    return out


def _mean_item(item_id: str, items: list[ItemResult]) -> ItemResult:
    kept = [i for i in items if not i.dropped]
    if not items:
        return ItemResult(item_id, item_id, "", 0.0, 0.0, dropped=True, explanation="no month")
    first = items[0]
    points = sum(i.points for i in kept) / len(kept) if kept else 0.0
    return ItemResult(
        item_id,
        first.label,
        first.rule,
        points,
        first.max_points,
        dropped=not kept,
        explanation=f"mean of {len(kept)} months: {points:g}",
    )


def _score_agent(
    scheme: Scheme, agent: str, name: str | None, row: Mapping[str, Any], status: str, ctx: Context
) -> AgentScore:
    out = AgentScore(agent, name, status, max_total=scheme.max_total)
    if status == GATED_OUT:
        out.notes.append(f"gate {_cond_text(scheme.gate, ctx)} does not hold")
        return out
    out.items = [evaluate(item, row, ctx) for item in scheme.items]
    out.total = _total(out.items, scheme.max_total, out.notes)
    if status == INSUFFICIENT:
        ms = scheme.min_sample
        out.notes.append(f"insufficient data: {ms.metric} = {row.get(ms.metric)} < {ms.min:g}")
        return out
    out.grade = grade(scheme, out.total)
    return out


def _total(items: list[ItemResult], max_total: float, notes: list[str]) -> float:
    kept = [i for i in items if not i.dropped]
    points = sum(i.points for i in kept)
    kept_max = sum(i.max_points for i in kept)
    if len(kept) == len(items) or kept_max <= 0:
        return round(points, 9)
    scale = max_total / kept_max
    dropped = ", ".join(i.id for i in items if i.dropped)
    notes.append(f"dropped {dropped}: {points:g} × {max_total:g} / {kept_max:g}")
    return round(points * scale, 9)


def grade(scheme: Scheme, total: float) -> GradeResult | None:
    """The first grade band (best first) holding the total, with its consequences."""
    for i, g in enumerate(scheme.grades):
        if g.holds(total):
            return GradeResult(
                g.label,
                band_text(scheme.grades, i),
                g.consequence,
                g.meets_standard,
                g.penalty,
                g.reward,
                g.improvement_months,
                g.award_eligible,
            )
    return None


def compare(a: ScoreResult, b: ScoreResult) -> list[dict[str, Any]]:
    """Two schemes side by side on the same period (what-if): one row per agent of either;
    ``_a`` columns are the first result, ``_b`` the second, difference = b − a."""
    agents = list(dict.fromkeys([x.agent for x in a.agents] + [x.agent for x in b.agents]))
    left = {x.agent: x for x in a.agents}
    right = {x.agent: x for x in b.agents}
    rows = []
    for agent in agents:
        x, y = left.get(agent), right.get(agent)
        tx, ty = (x.total if x else None), (y.total if y else None)
        rows.append(
            {
                "agent": agent,
                "name": (x or y).name,
                "total_a": tx,
                "grade_a": x.grade.label if x and x.grade else None,
                "total_b": ty,
                "grade_b": y.grade.label if y and y.grade else None,
                "difference": None if tx is None or ty is None else round(ty - tx, 9),
            }
        )
    return rows


# ---------------------------------------------------------------- population


def _population(
    scheme: Scheme, rows: list[dict[str, Any]], roster: list[dict[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """Agent -> metric row for every agent the scheme covers (roster agents without data get
    an empty row, so the missing policies apply)."""
    info = {r["agent"]: r for r in roster or [] if r.get("agent")}
    data = {r["agent"]: r for r in rows if r.get("agent")}
    agents = list(
        dict.fromkeys([*data, *(a for a, r in info.items() if r.get("active", True) is not False)])
    )
    out = {}
    for agent in agents:
        who = {**data.get(agent, {}), **info.get(agent, {})}
        if _covers(scheme.population, agent, who, roster is not None):
            out[agent] = data.get(agent, {"agent": agent})
    return out


def population_rows(
    scheme: Scheme, rows: list[dict[str, Any]], roster: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """The metric rows of the agents the scheme covers (its `population`), in input order:
    what its PK compares — a 综合组 agent never wins a 售前 PK."""
    covered = _population(scheme, rows, roster)
    return [r for r in rows if r.get("agent") in covered]


def scheme_pk(
    scheme: Scheme, rows: list[dict[str, Any]], roster: list[dict[str, Any]] | None
) -> dict[str, list[PkEntry]]:
    """The scheme's PK tables (metric id → entries, best first) over its population; {}
    when the scheme has no PK."""
    if scheme.pk is None:
        return {}
    return pk_rank(population_rows(scheme, rows, roster), scheme.pk)


def empty_population_note(
    scheme: Scheme, rows: list[dict[str, Any]], roster: list[dict[str, Any]] | None
) -> str:
    """Why a scheme scored nobody: who it covers, and how many agents with figures (or on the
    roster) fall outside it."""
    pop = scheme.population
    wanted = [
        f"{key}: {', '.join(values)}"
        for key, values in (
            ("roles", pop.roles),
            ("levels", pop.levels),
            ("teams", pop.teams),
            ("agents", pop.agents),
            ("shops", pop.shops),
        )
        if values
    ]
    who = "; ".join(wanted) or "all"
    with_data = len({r["agent"] for r in rows if r.get("agent")})
    on_roster = len(roster or [])
    return (
        f"方案 {scheme.id} 的考核对象（{who}）中没有人：有数据的 {with_data} 名客服、名单上的 "
        f"{on_roster} 人都不在其中 / nobody is in scheme {scheme.id}'s population ({who}): "
        f"the {with_data} agents with figures and the {on_roster} on the roster are all "
        "outside it"
    )


def _covers(pop: Population, agent: str, who: Mapping[str, Any], has_roster: bool) -> bool:
    """Without a roster a role/level/team/shop selection is skipped unless the row has it."""
    if pop.agents and agent not in pop.agents:
        return False
    for wanted, key in ((pop.roles, "role"), (pop.levels, "level"), (pop.teams, "team")):
        if wanted and (has_roster or who.get(key) is not None) and who.get(key) not in wanted:
            return False
    if pop.shops and (has_roster or _shops(who)) and not set(_shops(who)) & set(pop.shops):
        return False
    return True


def _shops(who: Mapping[str, Any]) -> list[str]:
    return split_shops(who.get("shops") or who.get("shop"))


def _status(scheme: Scheme, row: Mapping[str, Any], ctx: Context) -> str:
    if scheme.gate and not holds(scheme.gate, row, ctx):
        return GATED_OUT
    ms = scheme.min_sample
    if ms and (row.get(ms.metric) is None or float(row[ms.metric]) < ms.min):
        return INSUFFICIENT
    return SCORED


def _population_values(
    scheme: Scheme,
    rows: Iterable[Mapping[str, Any]],
) -> dict[str, list[float]]:
    metrics = {m for item in scheme.items for m in rule_metrics(item)}
    rows = list(rows)
    return {m: [float(r[m]) for r in rows if r.get(m) is not None] for m in metrics}


def _cond_text(cond: Condition | None, ctx: Context) -> str:
    return "" if cond is None else f"{cond.metric} {cond.op} {ctx.target(cond.value):g}"


# ---------------------------------------------------------------- exempt periods


def _exempt(scheme: Scheme, period: str, result: ScoreResult) -> bool:
    """True when the period lies inside an exempt range; a partial overlap is noted."""
    if not scheme.exempt:
        return False
    span = _period_span(period)
    if span is None:
        return False
    for ex in scheme.exempt:
        if ex.start <= span.start and span.end <= ex.end:
            result.exempt = True
            result.notes.append(f"period {period} exempt: {ex.label} {ex.start}–{ex.end}")
            return True
        if ex.start <= span.end and span.start <= ex.end:
            result.notes.append(
                f"period {period} overlaps exempt {ex.label} {ex.start}–{ex.end}; scored as given"
            )
    return False


def _period_span(period: str) -> Period | None:
    try:
        return parse_period(period, today=date.today())
    except UsageError:  # a free-form label: no exemption applies
        return None


def ranks(result: ScoreResult) -> dict[str, int]:
    """Agent → place by total among the agents scored with enough data (ties share the
    place); agents with too little data (数据不足) or gated out have none: a total from a
    handful of chats must not stand first."""
    ranked = [a for a in result.agents if a.status == SCORED and a.total is not None]
    totals = sorted((a.total for a in ranked), reverse=True)  # type: ignore[misc]
    first_place: dict[float, int] = {}  # 1 + how many totals are higher
    for i, total in enumerate(totals):
        first_place.setdefault(total, i + 1)
    return {a.agent: first_place[a.total] for a in ranked}  # type: ignore[index]


def result_rows(result: ScoreResult) -> list[dict[str, Any]]:
    """The machine shape of cli.md: one row per agent with total, grade, rank (see `ranks`:
    only agents scored with enough data) and the points of every item by item id."""
    places = ranks(result)
    rows = []
    for a in result.agents:
        row: dict[str, Any] = {
            "agent": a.agent,
            "name": a.name,
            "status": a.status,
            "total": None if a.total is None else round(a.total, 2),
            "grade": a.grade.label if a.grade else None,
            "band": a.grade.band if a.grade else None,
            "consequence": a.grade.consequence if a.grade else None,
            "rank": places.get(a.agent),
        }
        row.update({i.id: None if i.dropped else round(i.points, 2) for i in a.items})
        rows.append(row)
    return sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or 0, r["agent"]))
