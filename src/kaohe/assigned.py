"""Score and pay by the assignments (kaohe.assignments): each population with its own scheme
and pay plan, ranks and team figures within it. The one place `kaohe score`/`kaohe pay`
without --scheme/--plan, the web's payslip page, the reports and the demo get them from."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from kaohe.assignments import Assignments, Populations, members, needs, populations

Params = Callable[[Any], Mapping[str, Any]]  # the owner's (plan's, scheme's) parameter values


@dataclass
class PlanPay:
    """One plan's payslips over its population, and the scheme results they read."""

    plan: Any  # kaohe.pay Plan
    agents: list[str]
    result: Any  # kaohe.pay PayResult
    scored: Any = None  # kaohe.schemes ScoreResult, when the plan reads scores
    why: dict[str, str] = field(default_factory=dict)  # agent -> the rule that chose the plan


@dataclass
class SchemeScore:
    scheme: Any
    agents: list[str]
    result: Any  # kaohe.schemes ScoreResult


def pay_assigned(
    store: Any,
    assignments: Assignments,
    period: str,
    provisional: bool,
    engine: Mapping[str, Any] | None = None,
    owner_params: Params | None = None,
    scheme_ref: str | None = None,
    for_agents: Collection[str] | None = None,
) -> tuple[list[PlanPay], Populations]:
    """Every assigned plan paid over its population (in file order); with `for_agents`, only
    the populations that hold one of them (still paid whole: pools and team figures are the
    population's). A plan reading scheme results (score., rank.) reads `scheme_ref`, else its
    agents' assigned scheme (one plan population with several schemes is paid once per
    scheme)."""
    from kaohe.pay import load_plan
    from kaohe.pay.fetch import needs_scores, pay_period
    from kaohe.pay.plan import with_params

    needs(assignments, "plan", None)
    people = members(store)
    plans = populations(assignments, people, "plan")
    schemes = populations(assignments, people, "scheme")
    out = []
    for ref, agents in plans.groups.items():
        if for_agents is not None and not set(agents) & set(for_agents):
            continue
        plan = load_plan(assignments.resolve(ref))
        if owner_params is not None:
            plan = with_params(plan, dict(owner_params(plan)))
        by_scheme: dict[str | None, list[str]] = {}
        for agent in agents:
            scheme = (scheme_ref or schemes.of(agent)) if needs_scores(plan) else None
            by_scheme.setdefault(scheme, []).append(agent)
        for scheme, group in by_scheme.items():
            reading = _scheme(assignments, scheme, owner_params)
            result, scored = pay_period(
                store, plan, period, reading, provisional, engine, agents=group
            )
            why = {a: plans.why[a].why for a in group}
            out.append(PlanPay(plan, group, result, scored, why))
    return out, plans


def score_assigned(
    store: Any,
    assignments: Assignments,
    period: str,
    engine: Mapping[str, Any] | None = None,
    owner_params: Params | None = None,
) -> tuple[list[SchemeScore], Populations]:
    """Every assigned scheme scored over its population (ranks within it)."""
    from kaohe.schemes.fetch import score_period

    needs(assignments, "scheme", None)
    found = populations(assignments, members(store), "scheme")
    out = []
    for ref, agents in found.groups.items():
        scheme = _scheme(assignments, ref, owner_params)
        out.append(SchemeScore(scheme, agents, score_period(store, scheme, period, engine, agents)))
    return out, found


def _scheme(assignments: Assignments, ref: str | None, owner_params: Params | None) -> Any:
    from kaohe.schemes import load_scheme, with_params

    if ref is None:
        return None
    scheme = load_scheme(assignments.resolve(ref))
    return with_params(scheme, dict(owner_params(scheme))) if owner_params else scheme


def assigned_refs(assignments: Assignments) -> tuple[list[Any], list[Any]]:
    """The plans and schemes the assignments name, loaded (for resolving --set parameters)."""
    from kaohe.pay import load_plan
    from kaohe.schemes import load_scheme

    plans = [load_plan(assignments.resolve(r)) for r in assignments.refs("plan")]
    schemes = [load_scheme(assignments.resolve(r)) for r in assignments.refs("scheme")]
    return plans, schemes
