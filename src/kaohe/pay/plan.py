"""Pay plans (薪资方案) as YAML: lines of formulas, pools, PK rewards and notices.

A plan is data (kaohe/pay/presets/*.yaml, or a user's file of the same shape; see
docs of :func:`kaohe.pay.payslip.pay`). Every formula is parsed when the plan is loaded, and
every name it reads must be known — a plan parameter, a declared input, a roster field, a
metric id, an earlier line or a pool, or one of the dotted families ``team.<metric>``,
``score.<total|grade|penalty|reward|item id>``, ``rank.<metric>`` (and ``shop.<metric>`` in a
pool's amount) — so a typo is an error naming the file, line and field, not a silent zero.
"""

from __future__ import annotations

import functools
from collections.abc import Set as AbstractSet
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)

from kaohe import schema
from kaohe.datafile import FieldProblem, exists, node_line, parse_model
from kaohe.errors import UsageError
from kaohe.pay.formula import Formula, FormulaError, Name, compile_formula, names, parse

IDENT = r"^[a-z][a-z0-9_]*$"
ROSTER_FIELDS = tuple(schema.AGENTS.column_names)
SCORE_FIELDS = ("total", "grade", "penalty", "reward")  # besides the scheme's item ids
Loc = tuple[int | str, ...]


def _as_text(value: Any) -> Any:
    """YAML reads ``formula: 100`` as a number and ``eligible: true`` as a bool."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


FormulaText = Annotated[str, BeforeValidator(_as_text)]


class Param(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: float
    name: str = Field("", description="中文 label")
    unit: str = ""


class Line(BaseModel):
    """A named amount: the formula's value, rounded (half up) to ``round`` decimals."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=IDENT)
    name: str = Field(min_length=1, description="中文 name shown on the payslip")
    formula: FormulaText
    round: int = Field(2, ge=0, le=4)
    in_total: bool = Field(True, description="false for a component summed by a later line")
    applies: FormulaText | None = Field(None, description="condition; the line is 0 when false")
    note: str = ""


class Pool(BaseModel):
    """An amount per shop (``shop.<metric>`` names) split equally among its eligible agents."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=IDENT)
    name: str = Field(min_length=1)
    amount: FormulaText = Field(description="formula over shop.<metric> and parameters")
    eligible: FormulaText = Field("true", description="condition on the agent")
    round: int = Field(2, ge=0, le=4)
    in_total: bool = True
    note: str = ""


class SharedCost(BaseModel):
    """A cost the agent and the supervisor bear together (seed 002 惩罚部分: 客服订单备注错误导致
    发货过程中产生费用，所有的费用由客服主管以及客服承担; 特殊要求…疏忽…所产生的费用由客服主管和客服
    共同承担). The agent's payslip carries −amount × agent_share of their own cost; the
    supervisor's (roster level supervisor, same team) −Σ the team's amounts × (1 − agent_share)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=IDENT)
    name: str = Field(min_length=1)
    amount: FormulaText = Field(description="the cost the agent caused (formula, agent scope)")
    agent_share: FormulaText = Field("0.5", description="the agent's fraction (0–1)")
    bears: Literal["both", "agent", "supervisor"] = Field(
        "both", description="which side this plan pays (another plan may pay the other)"
    )
    round: int = Field(2, ge=0, le=4)
    note: str = ""


class PkReward(BaseModel):
    """Reward for places 1, 2, 3 … of the PK ranking of one metric (ties share a place)."""

    model_config = ConfigDict(extra="forbid")
    metric: str = Field(pattern=IDENT)
    name: str | None = None
    rewards: list[float] = Field(min_length=1, max_length=10)


class Notice(BaseModel):
    """A sentence printed on the payslip when the condition holds (a consequence, not money)."""

    model_config = ConfigDict(extra="forbid")
    when: FormulaText
    text: str = Field(min_length=1)


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    name: str = Field(min_length=1, description="中文 name")
    description: str = ""
    source: str = Field("", description="where the rules come from (seed)")
    applies: FormulaText | None = Field(None, description="condition on the agent: who is paid")
    team_scope: Literal["population", "team"] = Field(
        "population", description="team.<metric>: over everyone paid, or the roster team"
    )
    team_stat: Literal["mean", "pooled"] = Field(
        "mean",
        description="team.<metric>: the mean of the members' values, or the metric computed "
        "over the members as one group (a rate: the team's numerator ÷ denominator)",
    )
    params: dict[str, Param] = Field(default_factory=dict)
    inputs: dict[str, str] = Field(
        default_factory=dict, description="manual or imported input id -> 中文 meaning"
    )
    pools: list[Pool] = Field(default_factory=list)
    shared_costs: list[SharedCost] = Field(default_factory=list)
    lines: list[Line] = Field(default_factory=list)
    pk_rewards: list[PkReward] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)
    _formulas: dict[Loc, Formula] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _param_shorthand(cls, data: Any) -> Any:
        """``params: {bonus_base: 2}`` is short for ``{bonus_base: {default: 2}}``."""
        if isinstance(data, dict) and isinstance(data.get("params"), dict):
            data = {
                **data,
                "params": {
                    k: {"default": v} if isinstance(v, int | float) else v
                    for k, v in data["params"].items()
                },
            }
        return data

    @model_validator(mode="after")
    def _check(self) -> Plan:
        self._check_ids()
        for loc, text, scope in self.formula_fields():
            try:
                tree = parse(text)
            except FormulaError as exc:
                raise FieldProblem(loc, f"formula {text!r}: {exc}") from None
            self._check_names(loc, tree, scope)
        return self

    def _check_ids(self) -> None:
        seen: set[str] = set()
        reserved = set(self.params) | set(self.inputs) | set(ROSTER_FIELDS) | _metric_ids()
        located: list[tuple[Loc, str]] = [
            (("pools", i, "id"), p.id) for i, p in enumerate(self.pools)
        ]
        located += [(("shared_costs", i, "id"), c.id) for i, c in enumerate(self.shared_costs)]
        located += [(("lines", i, "id"), ln.id) for i, ln in enumerate(self.lines)]
        located += [
            (("pk_rewards", i, "metric"), pk_line(pk).id) for i, pk in enumerate(self.pk_rewards)
        ]
        for loc, ident in located:
            if ident in seen:
                raise FieldProblem(loc, f"duplicate id {ident!r}")
            if ident in reserved:
                raise FieldProblem(
                    loc,
                    f"id {ident!r} is already a parameter, input, "
                    "roster field or metric; choose another",
                )
            seen.add(ident)

    def formula_fields(self) -> list[tuple[Loc, str, str]]:
        """(location, formula text, scope) of every formula, in evaluation order."""
        out: list[tuple[Loc, str, str]] = []
        if self.applies:
            out.append((("applies",), self.applies, "agent"))
        for i, pool in enumerate(self.pools):
            out += [
                (("pools", i, "amount"), pool.amount, "shop"),
                (("pools", i, "eligible"), pool.eligible, "agent"),
            ]
        for i, cost in enumerate(self.shared_costs):
            out += [
                (("shared_costs", i, "amount"), cost.amount, "cost"),
                (("shared_costs", i, "agent_share"), cost.agent_share, "cost"),
            ]
        for i, line in enumerate(self.all_lines()):
            base: Loc = ("lines", i) if i < len(self.lines) else ("pk_rewards", i - len(self.lines))
            field = "formula" if base[0] == "lines" else "rewards"
            out.append(((*base, field), line.formula, f"line:{i}"))
            if line.applies:
                out.append(((*base, "applies"), line.applies, f"line:{i}"))
        out += [(("notices", i, "when"), n.when, "notice") for i, n in enumerate(self.notices)]
        return out

    def _check_names(self, loc: Loc, tree: Any, scope: str) -> None:
        known = self._bare_names(scope)
        metrics = _metric_ids() | set(self.inputs)
        for name in names(tree):
            problem = _name_problem(name, scope, known, metrics)
            if problem:
                raise FieldProblem(loc, problem)

    def _bare_names(self, scope: str) -> set[str]:
        if scope == "shop":
            return set(self.params)
        known = set(self.params) | set(self.inputs) | set(ROSTER_FIELDS) | _metric_ids()
        costs = {c.id for c in self.shared_costs}
        if scope.startswith("line:"):
            upto = int(scope.split(":")[1])
            known |= {p.id for p in self.pools} | costs | {ln.id for ln in self.all_lines()[:upto]}
        elif scope == "notice":
            known |= {p.id for p in self.pools} | costs | {ln.id for ln in self.all_lines()}
        return known

    def all_lines(self) -> list[Line]:
        """The written lines, then one line per PK reward."""
        return self.lines + [pk_line(pk) for pk in self.pk_rewards]

    def printed(self) -> list[tuple[str, str]]:
        """(id, name) of every payslip line in the order payslips and pay tables print them:
        the written lines and PK rewards, then the pools, then the shared costs."""
        lines = [(ln.id, ln.name) for ln in self.all_lines()]
        return (
            lines
            + [(p.id, p.name) for p in self.pools]
            + [(c.id, c.name) for c in self.shared_costs]
        )

    def formula(self, loc: Loc) -> Formula:
        """The compiled formula at ``loc`` (e.g. ``("lines", 2, "formula")``)."""
        if loc not in self._formulas:
            text = next(t for where, t, _ in self.formula_fields() if where == loc)
            self._formulas[loc] = compile_formula(text, field=_dotted(loc))
        return self._formulas[loc]

    def locate(self, file: str, node: yaml.Node | None) -> Plan:
        """Remember the file and lines of the formulas, for errors while paying."""
        for loc, text, _ in self.formula_fields():
            yaml_loc = loc if loc[0] != "pk_rewards" else loc[:2]
            self._formulas[loc] = compile_formula(
                text, file, node_line(node, yaml_loc), _dotted(loc)
            )
        return self


def pk_line(pk: PkReward) -> Line:
    """A PK reward as a formula line: place 1 → rewards[0], place 2 → rewards[1], …"""
    rank = f"rank.{pk.metric}"
    formula = "0"
    for place in range(len(pk.rewards), 0, -1):
        formula = f"if({rank} == {place}, {pk.rewards[place - 1]:g}, {formula})"
    name = pk.name or f"PK奖励·{_metric_label(pk.metric)}"
    return Line(id=f"pk_{pk.metric}", name=name, formula=formula, round=2)


def _name_problem(
    name: Name, scope: str, known: AbstractSet[str], metrics: AbstractSet[str]
) -> str | None:
    root, rest = name.path[0], name.path[1:]
    if not rest:
        if root in known:
            return None
        where = (
            "a parameter or shop.<metric>"
            if scope == "shop"
            else ("a parameter, input, roster field, metric id or an earlier line")
        )
        return f"unknown name {root!r}: not {where}{_suggest(root, known)}"
    if len(rest) > 1:
        return f"{name.dotted!r}: at most one dot (e.g. team.avg_order_value)"
    part = rest[0]
    if root == "shop":
        if scope != "shop":
            return f"{name.dotted!r}: shop.<metric> is only for a pool's amount"
        return None if part in metrics else f"unknown shop metric {part!r}{_suggest(part, metrics)}"
    if scope == "shop":
        return f"{name.dotted!r}: a pool's amount reads shop.<metric> and parameters only"
    if root in ("team", "rank"):
        return (
            None
            if part in metrics
            else f"unknown metric {part!r} in {name.dotted!r}{_suggest(part, metrics)}"
        )
    if root == "score":
        return None  # item ids belong to the scheme; a missing one is reported when paying
    return (
        f"{name.dotted!r}: dotted names start with team., score., rank. or shop. "
        "(no attribute access)"
    )


def _suggest(word: str, candidates: AbstractSet[str]) -> str:
    from kaohe.suggest import closest

    close = closest(word, candidates, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


@functools.cache
def _metric_ids() -> frozenset[str]:
    from kaohe.engine import registry

    return frozenset(m.id for m in registry.all_metrics())


def _metric_label(metric: str) -> str:
    from kaohe.engine import registry

    if metric in _metric_ids():
        return registry.get(metric).zh.split(" (")[0]
    return metric


# ---------------------------------------------------------------- loading


def parse_plan_text(text: str, file: str) -> Plan:
    """Validate one plan YAML; errors name file, line and field."""
    what = "a pay plan file must be a mapping (id, name, lines, ...)"
    plan, node = parse_model(Plan, text, file, what)
    return plan.locate(file, node)


def _preset_dir() -> Any:
    return resources.files("kaohe.pay").joinpath("presets")


@functools.cache
def _presets() -> tuple[Plan, ...]:
    folder = _preset_dir()
    files = sorted(
        (f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))), key=lambda f: f.name
    )
    return tuple(
        parse_plan_text(f.read_text("utf-8"), f"kaohe/pay/presets/{f.name}") for f in files
    )


def list_plans() -> list[Plan]:
    """The shipped pay plans, by id."""
    return sorted(_presets(), key=lambda p: p.id)


def load_plan(id_or_path: str, params: dict[str, float] | None = None) -> Plan:
    """A shipped plan by id, or a user's YAML file; ``params`` override parameter defaults."""
    plan = next((p for p in _presets() if p.id == id_or_path), None)
    if plan is None:
        path = Path(id_or_path)
        if path.suffix.lower() not in (".yaml", ".yml") and not exists(path):
            from kaohe.suggest import unknown

            found = unknown("薪资方案", "pay plan", id_or_path, [p.id for p in list_plans()])
            raise UsageError(f"{found}（或一个 .yaml 文件 / or a .yaml file）")
        if not exists(path, file=True):
            raise UsageError(f"pay plan file not found: {id_or_path}")
        plan = parse_plan_text(path.read_text("utf-8"), str(path))
    return with_params(plan, params or {})


def with_params(plan: Plan, params: dict[str, float]) -> Plan:
    """A copy of ``plan`` whose parameter defaults are ``params`` (unknown names refused)."""
    missing = sorted(set(params) - set(plan.params))
    if missing:
        from kaohe.suggest import unknown

        raise UsageError(
            unknown(f"参数（{plan.id}）", f"parameter of {plan.id}", missing[0], plan.params)
        )
    copy = plan.model_copy(deep=True)
    for name, value in params.items():
        copy.params[name] = copy.params[name].model_copy(update={"default": float(value)})
    copy._formulas = dict(plan._formulas)
    return copy
