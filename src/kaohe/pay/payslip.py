"""Computing payslips from a pay plan: a pure function of plain inputs, no store access.

Inputs of :func:`pay`:

* ``rows``: one dict per agent, ``{"agent": "a1", "sales_amount": 1000.0, ...}`` — metric
  values as ``compute_kpis(by="agent")`` returns them, plus any manual inputs the plan
  declares (``flexible_bonus``, ...), imported through ``metric_values`` or merged by the caller;
* ``roster``: rows of the ``agents`` table (``agent, name, shops, team, role, level,
  base_salary, ...``); ``shops`` may list several shops separated by ``,``/``、``;
* ``scores``: agent -> ``{"total": 86.5, "grade": "达标", "penalty": 0, "reward": 0,
  "items": {item id: points}, "rank": {metric: place}}`` (see :func:`score_inputs`, which
  builds it from a scheme's score result and PK ranking);
* ``shops``: shop -> shop-level metric values (``compute_kpis(by="shop")``), read by pools;
* ``teams``: for ``team_stat: pooled`` plans, roster team -> the metrics computed over the
  team's members as one group (``compute_kpis(by="team")``), and ``None`` -> over everyone
  paid (see :func:`paid_agents`).

Every line keeps its formula, the inputs it read with their values, and its amount.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kaohe.errors import ConfigError, UsageError
from kaohe.pay.formula import Formula, Lookup, Name, Value, round_half_up
from kaohe.pay.plan import ROSTER_FIELDS, Line, Plan, Pool, SharedCost
from kaohe.pay.wording import (
    Glossary,
    Reading,
    cost_text,
    input_unit,
    say_formula,
    say_pk,
    short_label,
)
from kaohe.schema import split_shops
from kaohe.units import Unit, format_value

PROVISIONAL_MARK = "暂估：期间未结算，金额可能变化"


@dataclass
class PayLine:
    id: str
    name: str
    formula: str
    amount: float
    inputs: dict[str, Value] = field(default_factory=dict)
    in_total: bool = True
    notes: list[str] = field(default_factory=list)
    amounts: set[str] = field(default_factory=set)  # inputs that are earlier lines (yuan)
    wording: str = ""  # the line in plain Chinese with its figures (kaohe.pay.wording)

    def explain(self) -> str:
        """``个人提成 = 2% * sales_amount; sales_amount = ¥10,000.00 → ¥200.00``"""
        given = line_inputs(self)
        notes = f" ({'; '.join(self.notes)})" if self.notes else ""
        return (
            f"{self.name} = {self.formula}{'; ' + given if given else ''} → "
            f"{format_value(self.amount, 'yuan')}{notes}"
        )


@dataclass
class Payslip:
    agent: str
    name: str | None
    lines: list[PayLine] = field(default_factory=list)
    total: float = 0.0
    provisional: bool = False
    notices: list[str] = field(default_factory=list)

    def line(self, line_id: str) -> PayLine:
        return next(ln for ln in self.lines if ln.id == line_id)

    def amount(self, line_id: str) -> float:
        return self.line(line_id).amount


@dataclass
class PoolShare:
    pool: str
    shop: str
    amount: float
    eligible: list[str]
    share: float
    inputs: dict[str, Value] = field(default_factory=dict)


@dataclass
class PayResult:
    plan_id: str
    plan_name: str
    period: str | None
    provisional: bool
    payslips: list[Payslip] = field(default_factory=list)
    pools: list[PoolShare] = field(default_factory=list)

    def payslip(self, agent: str) -> Payslip:
        return next(p for p in self.payslips if p.agent == agent)

    def table(self) -> list[dict[str, Any]]:
        """The payroll: one row per agent, one column per line name, Chinese headers."""
        out = []
        for slip in self.payslips:
            row: dict[str, Any] = {"客服": slip.agent, "姓名": slip.name}
            row.update({ln.name: ln.amount for ln in slip.lines})
            row["应发合计"] = slip.total
            row["状态"] = "暂估" if slip.provisional else "已结算"
            out.append(row)
        return out


def pay(
    plan: Plan,
    rows: Iterable[Mapping[str, Any]],
    roster: Iterable[Mapping[str, Any]] | None = None,
    scores: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    settled: bool,
    provisional: bool = False,
    shops: Mapping[str, Mapping[str, Any]] | None = None,
    period: str | None = None,
    teams: Mapping[str | None, Mapping[str, Any]] | None = None,
    agents: Collection[str] | None = None,
) -> PayResult:
    """Payslips of every agent the plan applies to (among ``agents`` when given: the plan's
    assigned population, kaohe.assignments). An unsettled period is refused unless
    ``provisional``, which then marks every payslip."""
    if not settled and not provisional:
        which = f"period {period}" if period else "the period"
        raise UsageError(
            f"{which} is not settled: pay runs only on settled periods; run it "
            "provisionally (--provisional) to see an estimate, every payslip "
            "then says so"
        )
    run = _Run(plan, rows, roster or [], scores or {}, shops or {}, teams or {}, agents)
    result = PayResult(plan.id, plan.name, period, provisional)
    result.pools = run.split_pools()
    for agent in run.agents:
        slip = run.payslip(agent)
        if provisional:
            slip.provisional = True
            slip.notices.insert(0, PROVISIONAL_MARK)
        result.payslips.append(slip)
    return result


class _Run:
    """The state of one pay run: who is paid, team means, pool shares."""

    def __init__(
        self,
        plan: Plan,
        rows: Iterable[Mapping[str, Any]],
        roster: Iterable[Mapping[str, Any]],
        scores: Mapping[str, Mapping[str, Any]],
        shops: Mapping[str, Mapping[str, Any]],
        teams: Mapping[str | None, Mapping[str, Any]] | None = None,
        among: Collection[str] | None = None,
    ) -> None:
        self.plan, self.scores, self.shops, self.teams = plan, scores, shops, teams or {}
        self.params = {k: p.default for k, p in plan.params.items()}
        self.lines = plan.all_lines()
        self.formula = {loc: plan.formula(loc) for loc, _, _ in plan.formula_fields()}
        self.rows = {str(r["agent"]): r for r in rows if r.get("agent") is not None}
        self.roster = {str(r["agent"]): r for r in roster if r.get("agent") is not None}
        candidates = list(self.rows) + [a for a in scores if a not in self.rows]
        candidates += [
            a
            for a, r in self.roster.items()
            if a not in self.rows and a not in scores and _active(r)
        ]
        if among is not None:
            wanted = set(among)
            candidates = [a for a in candidates if a in wanted]
        self.agents = [a for a in candidates if self._applies(a)]
        self.team_cache: dict[tuple[str | None, str], tuple[float | None, int]] = {}
        self.shares: dict[str, dict[str, list[PoolShare]]] = {}  # pool -> agent -> splits

    def _applies(self, agent: str) -> bool:
        if not self.plan.applies:
            return True
        return bool(self.formula[("applies",)].evaluate(self._lookup(agent, {}, {})))

    # ------------------------------------------------------------ names

    def _lookup(
        self,
        agent: str,
        done: Mapping[str, float],
        seen: dict[str, Value],
        notes: list[str] | None = None,
    ) -> Lookup:
        def lookup(name: Name) -> Value:
            value = self._resolve(agent, name, done, notes)
            seen.setdefault(name.dotted, value)
            return value

        return lookup

    def _resolve(
        self, agent: str, name: Name, done: Mapping[str, float], notes: list[str] | None
    ) -> Value:
        root, rest = name.path[0], name.path[1:]
        if not rest:
            if root in done:
                return done[root]
            if root in self.params:
                return self.params[root]
            if root in ROSTER_FIELDS and root in self.roster.get(agent, {}):
                return _value(self.roster[agent][root], root == "base_salary")
            return _value(self.rows.get(agent, {}).get(root))
        if root == "team":
            value, note = self._team_value(agent, rest[0])
            note = f"{name.dotted} = {note}"
            if notes is not None and note not in notes:
                notes.append(note)
            return value
        score = self.scores.get(agent, {})
        if root == "rank":
            return _value((score.get("rank") or {}).get(rest[0]))
        if rest[0] in score and rest[0] not in ("items", "rank"):
            return _value(score[rest[0]])
        return _value((score.get("items") or {}).get(rest[0]))

    def _team_of(self, agent: str) -> str | None:
        if self.plan.team_scope == "team":
            return self.roster.get(agent, {}).get("team")
        return None

    def _team_value(self, agent: str, metric: str) -> tuple[float | None, str]:
        """team.<metric>: the mean of the members' values, or (team_stat pooled) the metric
        computed over the members as one group (seed 004 团队转化率: the team's paid buyers ÷
        its inquiries, not a mean of the agents' rates)."""
        team = self._team_of(agent)
        if self.plan.team_stat == "pooled":
            value = _value((self.teams.get(team) or {}).get(metric))
            who = f"team {team}" if team is not None else "everyone paid"
            return value, f"pooled over {who}" if value is not None else f"no value for {who}"
        mean, count = self._team_mean(agent, metric)
        return mean, f"mean over {count} agents"

    def _team_mean(self, agent: str, metric: str) -> tuple[float | None, int]:
        team = self._team_of(agent)
        key = (team, metric)
        if key not in self.team_cache:
            members = [a for a in self.agents if team is None or self._team_of(a) == team]
            values = [
                v
                for a in members
                if isinstance(v := _value(self.rows.get(a, {}).get(metric)), float)
            ]
            self.team_cache[key] = (sum(values) / len(values) if values else None, len(values))
        return self.team_cache[key]

    # ------------------------------------------------------------ pools

    def split_pools(self) -> list[PoolShare]:
        out: list[PoolShare] = []
        for i, pool in enumerate(self.plan.pools):
            self.shares[pool.id] = {}
            eligible = self.formula[("pools", i, "eligible")]
            amount = self.formula[("pools", i, "amount")]
            members = [a for a in self.agents if eligible.evaluate(self._lookup(a, {}, {}))]
            for shop in sorted(self.shops):
                out += self._split(
                    pool, shop, amount, [a for a in members if shop in self._shops_of(a)]
                )
        return out

    def _split(
        self, pool: Pool, shop: str, formula: Formula, members: list[str]
    ) -> list[PoolShare]:
        seen: dict[str, Value] = {}

        def lookup(name: Name) -> Value:
            if name.path[0] == "shop":
                value = _value(self.shops[shop].get(name.path[1]))
            else:
                value = self.params.get(name.path[0])
            seen[name.dotted] = value
            return value

        total = formula.evaluate(lookup)
        if total is None or not members:
            return []
        total = round_half_up(float(total), pool.round)
        share = round_half_up(total / len(members), pool.round)
        split = PoolShare(pool.id, shop, total, members, share, seen)
        for agent in members:
            self.shares[pool.id].setdefault(agent, []).append(split)
        return [split]

    def _shops_of(self, agent: str) -> list[str]:
        listed = self.roster.get(agent, {}).get("shops") or self.rows.get(agent, {}).get("shop")
        if listed:
            return split_shops(listed)
        return list(self.shops) if len(self.shops) == 1 else []

    def _pool_line(self, pool: Pool, agent: str) -> PayLine:
        splits = self.shares[pool.id].get(agent, [])
        amount = round_half_up(sum(s.share for s in splits), pool.round)
        line = PayLine(
            pool.id,
            pool.name,
            f"({pool.amount}) ÷ eligible agents of the shop",
            amount,
            {},
            pool.in_total,
        )
        for s in splits:
            line.inputs.update({f"{s.shop}: {name}": v for name, v in s.inputs.items()})
            line.inputs[f"{s.shop}: eligible agents"] = float(len(s.eligible))
        line.notes = [
            f"{s.shop}: {format_value(s.amount, 'yuan')} ÷ {len(s.eligible)} = "
            f"{format_value(s.share, 'yuan')}"
            for s in splits
        ] or ["not eligible or no shop values: 0"]
        line.wording = self._pool_wording(pool, agent, splits)
        return line

    def _pool_wording(self, pool: Pool, agent: str, splits: list[PoolShare]) -> str:
        glossary = self.glossary(agent)
        tree = self.formula[("pools", self.plan.pools.index(pool), "amount")].tree
        if not splits:
            rule = Reading(glossary, None).say(
                self.formula[("pools", self.plan.pools.index(pool), "eligible")].tree
            )
            return f"不在分摊范围（条件：{rule}）或店铺无数据，¥0.00"
        return "；".join(
            f"{s.shop}：{Reading(glossary, s.inputs).say(tree)} = "
            f"{format_value(s.amount, 'yuan')}，由 {len(s.eligible)} 名客服均分，每人 "
            f"{format_value(s.share, 'yuan')}"
            for s in splits
        )

    # ------------------------------------------------------------ payslips

    def glossary(self, agent: str) -> Glossary:
        """How this agent's payslip names things (their team for team.<metric>)."""
        items = (self.scores.get(agent) or {}).get("item_labels") or {}
        team = self._team_of(agent) if self.plan.team_stat == "pooled" else None
        return Glossary(self.plan, items, team)

    def payslip(self, agent: str) -> Payslip:
        name = self.roster.get(agent, {}).get("name")
        slip = Payslip(agent, name)
        done: dict[str, float] = {}
        # pools and shared costs are computed first (a line may read them) but printed after
        # the written lines: a payslip starts with 底薪, not with a share of the shop's sales
        shares: list[PayLine] = []
        for pool in self.plan.pools:
            shares.append(self._pool_line(pool, agent))
            done[pool.id] = shares[-1].amount
        for i, cost in enumerate(self.plan.shared_costs):
            shares.append(self._shared_line(i, cost, agent))
            done[cost.id] = shares[-1].amount
        for i, line in enumerate(self.lines):
            base = (
                ("lines", i)
                if i < len(self.plan.lines)
                else ("pk_rewards", i - len(self.plan.lines))
            )
            field_name = "formula" if base[0] == "lines" else "rewards"
            pay_line = self._line(agent, line, base, field_name, done)
            done[line.id] = pay_line.amount
            slip.lines.append(pay_line)
        slip.lines += shares
        slip.total = round_half_up(sum(ln.amount for ln in slip.lines if ln.in_total), 2)
        for i, notice in enumerate(self.plan.notices):
            if self.formula[("notices", i, "when")].evaluate(self._lookup(agent, done, {})):
                slip.notices.append(notice.text)
        return slip

    # ------------------------------------------------------------ shared costs

    def _is_supervisor(self, agent: str) -> bool:
        return str(self.roster.get(agent, {}).get("level") or "") == "supervisor"

    def _cost_of(self, i: int, member: str, seen: dict[str, Value]) -> tuple[float, float]:
        """(the cost the member caused, the member's share) — 0 when not given."""
        amount = self.formula[("shared_costs", i, "amount")].evaluate(
            self._lookup(member, {}, seen)
        )
        share = self.formula[("shared_costs", i, "agent_share")].evaluate(
            self._lookup(member, {}, {})
        )
        if share is None or not 0 <= float(share) <= 1:
            raise ConfigError(
                f"shared cost {self.plan.shared_costs[i].id!r}: agent_share must be 0–1, "
                f"got {share!r} / 客服承担比例须在 0–1 之间"
            )
        return float(amount or 0.0), float(share)

    def _shared_line(self, i: int, cost: SharedCost, agent: str) -> PayLine:
        seen: dict[str, Value] = {}
        line = PayLine(cost.id, cost.name, "", 0.0, seen, True, [])
        if self._is_supervisor(agent):
            team = self.roster.get(agent, {}).get("team")
            members = [
                a
                for a, r in self.roster.items()
                if team and r.get("team") == team and a != agent and not self._is_supervisor(a)
            ]
            line.formula = f"−Σ team ({cost.amount}) × (1 − {cost.agent_share})"
            if cost.bears == "agent" or not members:
                line.notes.append("not borne here" if members else "no team members: 0")
                line.wording = "由客服承担，主管不承担，¥0.00" if members else "组内没有客服，¥0.00"
                return line
            total = caused = 0.0
            for member in members:
                amount, share = self._cost_of(i, member, {})
                seen[f"{member}: {cost.amount}"] = amount
                total += amount * (1 - share)
                caused += amount
            line.amount = round_half_up(-total, cost.round)
            line.notes.append(f"supervisor's share of {len(members)} team members' costs")
            line.wording = (
                f"组内 {len(members)} 名客服的费用合计 {format_value(caused, 'yuan')}，主管承担其余"
                f"部分 = {format_value(line.amount, 'yuan')}"
            )
            return line
        line.formula = f"−({cost.amount}) × {cost.agent_share}"
        if cost.bears == "supervisor":
            line.notes.append("the supervisor's side only: 0 here")
            line.wording = "由主管承担，¥0.00"
            return line
        amount, share = self._cost_of(i, agent, seen)
        seen["agent_share"] = share
        line.amount = round_half_up(-amount * share, cost.round)
        line.wording = cost_text(short_label(cost.name), amount, share, line.amount)
        return line

    def _line(
        self,
        agent: str,
        line: Line,
        base: tuple[Any, ...],
        field_name: str,
        done: Mapping[str, float],
    ) -> PayLine:
        seen: dict[str, Value] = {}
        notes: list[str] = []
        out = PayLine(line.id, line.name, line.formula, 0.0, seen, line.in_total, notes)
        glossary = self.glossary(agent)
        if line.applies:
            applies = self.formula[(*base, "applies")]
            if not applies.evaluate(self._lookup(agent, done, seen, notes)):
                notes.append(f"does not apply ({line.applies})")
                rule = Reading(glossary, seen).say(applies.tree)
                out.wording = f"不适用（条件：{rule}，不成立），¥0.00"
                return out
        formula = self.formula[(*base, field_name)]
        value = formula.evaluate(self._lookup(agent, done, seen, notes))
        out.amounts = {name for name in seen if name in done}
        out.wording = self._wording(base, formula.tree, value, out, glossary)
        if isinstance(value, str):
            raise ConfigError(
                f"line {line.id!r} gives the text {value!r}, not an amount",
                file=formula.file,
                line=formula.line,
                field=formula.field,
            )
        if value is None:
            notes.append(_missing_note(seen))
            return out
        out.amount = round_half_up(float(value), line.round)
        out.wording = self._wording(base, formula.tree, value, out, glossary)
        return out

    def _wording(
        self, base: tuple[Any, ...], tree: Any, value: Value, out: PayLine, glossary: Glossary
    ) -> str:
        if base[0] == "pk_rewards":
            pk = self.plan.pk_rewards[base[1]]
            place = out.inputs.get(f"rank.{pk.metric}")
            return say_pk(pk.metric, place, pk.rewards, out.amount)
        reading = Reading(glossary, out.inputs, out.amounts)
        missing = [glossary.label(k) for k, v in out.inputs.items() if v is None]
        return say_formula(tree, out.amount, reading, missing, None if value is None else value)


def _missing_note(seen: Mapping[str, Value]) -> str:
    missing = [k for k, v in seen.items() if v is None]
    if missing:
        return f"no value for {', '.join(missing)}: 0"
    return "division by zero: 0"


def _value(raw: Any, numeric: bool = False) -> Value:
    """A plain value for formulas: numbers as float, text kept (numeric fields parsed)."""
    if raw is None or isinstance(raw, float):
        return raw
    if isinstance(raw, bool | int | Decimal):
        return float(raw)
    if numeric:
        try:
            return float(raw)
        except (TypeError, ValueError):
            return None
    return str(raw)


def _active(record: Mapping[str, Any]) -> bool:
    return str(record.get("active", True)).lower() not in ("false", "0", "否", "no")


def line_inputs(line: PayLine, sep: str = "; ") -> str:
    """The names a line read with their values, each in its unit: ``sales_amount =
    ¥10,000.00; reply_rate = 98.5%``."""
    return sep.join(
        f"{name} = {_show(value, 'yuan' if name in line.amounts else input_unit(name))}"
        for name, value in line.inputs.items()
    )


def _show(value: Value, unit: Unit | None = None) -> str:
    if isinstance(value, float):
        if unit is not None:
            return format_value(value, unit)
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return "no value" if value is None else repr(value) if isinstance(value, str) else str(value)


def paid_agents(
    plan: Plan,
    rows: Iterable[Mapping[str, Any]],
    roster: Iterable[Mapping[str, Any]] | None = None,
    scores: Mapping[str, Mapping[str, Any]] | None = None,
    agents: Collection[str] | None = None,
) -> list[str]:
    """The agents :func:`pay` would pay (for pooled team figures over everyone paid)."""
    return _Run(plan, rows, roster or [], scores or {}, {}, None, agents).agents


def score_inputs(
    result: Any,
    pk: Mapping[str, Iterable[Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The ``scores`` argument of :func:`pay` from a scheme's score result (agents with
    total, grade and items) and a PK ranking (metric -> entries with agent and place).
    ``lowest_total`` / ``highest_total`` are the lowest and highest month of the period (a
    quarter of a `cycle: month` scheme; the total itself for one month); ``team_lowest`` /
    ``team_mean`` the same for the team score of a supervisor scheme."""
    out: dict[str, dict[str, Any]] = {}
    for a in getattr(result, "agents", []):
        grade = getattr(a, "grade", None)
        by_month = getattr(a, "months", None) or {"": a.total}
        months = [v for v in by_month.values() if v is not None]
        team = [v for v in (getattr(a, "team_months", None) or {}).values() if v is not None]
        out[a.agent] = {
            "total": a.total,
            "lowest_total": _lowest(by_month, months),
            "highest_total": max(months) if months else None,
            "team_lowest": _lowest(getattr(a, "team_months", None), team),
            "team_mean": sum(team) / len(team) if team else None,
            "grade": grade.label if grade else None,
            "penalty": getattr(grade, "penalty", 0.0) if grade else 0.0,
            "reward": getattr(grade, "reward", 0.0) if grade else 0.0,
            "items": {
                i.id: None if getattr(i, "dropped", False) else i.points
                for i in getattr(a, "items", [])
            },
            "rank": {},
        }
    for metric, entries in (pk or {}).items():
        for e in entries:
            out.setdefault(e.agent, {"rank": {}}).setdefault("rank", {})[metric] = e.place
    return out


def _lowest(by_month: Mapping[str, Any] | None, values: list[float]) -> float | None:
    """The lowest month; None when a month has no value (连续: every month must count)."""
    if not by_month or len(values) < len(by_month):
        return None
    return min(values)
