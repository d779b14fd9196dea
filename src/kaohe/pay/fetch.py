"""What a pay plan needs from a store: agent and shop metrics, manual inputs, the roster.

Metric ids the engine knows come from ``kaohe.engine.compute_kpis``; declared inputs and other
ids from ``metric_values`` rows whose period is the pay period (e.g. ``2026-10``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kaohe.errors import UsageError
from kaohe.pay.formula import names, parse
from kaohe.pay.plan import Plan
from kaohe.schemes.fetch import imported_values, merge_imported

if TYPE_CHECKING:
    from kaohe.store import Store


def plan_names(plan: Plan) -> list[tuple[str, ...]]:
    """The dotted names every formula of the plan reads."""
    out: list[tuple[str, ...]] = []
    for _, text, _ in plan.formula_fields():
        out += [n.path for n in names(parse(text))]
    return list(dict.fromkeys(out))


def needs_scores(plan: Plan) -> bool:
    return any(path[0] in ("score", "rank") for path in plan_names(plan))


def agent_rows(
    store: Store, plan: Plan, period: str, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Per agent: the engine metrics and imported inputs the plan's formulas read."""
    from kaohe.engine import compute_kpis
    from kaohe.engine.registry import REGISTRY, all_metrics

    all_metrics()
    wanted = {p[-1] for p in plan_names(plan) if p[0] not in ("shop", "score")}
    engine_ids = sorted(w for w in wanted if w in REGISTRY)
    rows = (
        {
            str(r["agent"]): dict(r)
            for r in compute_kpis(
                store, by="agent", period=period, metrics=engine_ids, params=params
            )
        }
        if engine_ids
        else {}
    )
    imported = sorted(wanted | set(plan.inputs))
    merge_imported(rows, imported_values(store, imported, period))
    return list(rows.values())


def shop_rows(
    store: Store, plan: Plan, period: str, params: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Per shop: the engine metrics pools read as ``shop.<metric>``."""
    from kaohe.engine import compute_kpis
    from kaohe.engine.registry import REGISTRY

    ids = sorted({p[1] for p in plan_names(plan) if p[0] == "shop" and p[1] in REGISTRY})
    if not ids:
        return {}
    rows = compute_kpis(store, by="shop", period=period, metrics=ids, params=params)
    return {str(r["shop"]): r for r in rows if r.get("shop") is not None}


def team_rows(
    store: Store,
    plan: Plan,
    period: str,
    paid: list[str],
    params: Mapping[str, Any] | None = None,
    roster: list[dict[str, Any]] | None = None,
) -> dict[str | None, dict[str, Any]]:
    """For a `team_stat: pooled` plan, the `team.<metric>` values computed over each roster
    team's members as one group (key: the team), and over everyone paid (key None: the
    population, and an agent without a team). With the `roster` the payslips read, the
    population is left out when pooling by team and every agent paid has a team (no payslip
    reads it: a run over the whole month saved)."""
    from kaohe.engine import compute_kpis

    ids = sorted({p[1] for p in plan_names(plan) if p[0] == "team"})
    if plan.team_stat != "pooled" or not ids:
        return {}
    out: dict[str | None, dict[str, Any]] = {}
    if plan.team_scope == "team":
        for row in compute_kpis(store, by="team", period=period, metrics=ids, params=params):
            if row.get("team") is not None:
                out[str(row["team"])] = row
    teams = {str(r["agent"]): r.get("team") for r in roster or [] if r.get("agent") is not None}
    everyone_has_a_team = all(teams.get(a) is not None for a in paid)
    if paid and not (plan.team_scope == "team" and roster is not None and everyone_has_a_team):
        out[None] = compute_kpis(
            store, by=(), period=period, metrics=ids, agents=paid, params=params
        )[0]
    return out


def pay_period(
    store: Store,
    plan: Any,
    period: str,
    scheme_ref: Any,
    provisional: bool,
    params: Mapping[str, Any] | None = None,
    agents: list[str] | None = None,
) -> tuple[Any, Any]:
    """Payslips of a plan for a period of a store's data, and the scheme results they read
    (None when the plan reads none). `scheme_ref`: a scheme id, file or loaded Scheme;
    `params`: the engine overrides every figure is computed under; `agents`: only these
    (the plan's assigned population, kaohe.assigned), everyone the plan applies to when None."""
    from kaohe.engine.settle import settled_reading
    from kaohe.pay.payslip import paid_agents, pay, score_inputs
    from kaohe.schemes import load_scheme
    from kaohe.schemes.fetch import metric_rows, roster_rows, score_period
    from kaohe.schemes.score import scheme_pk

    scores = result = None
    if needs_scores(plan):
        if not scheme_ref:
            raise UsageError(
                f"plan {plan.id} reads scheme results (score., rank.): give --scheme ID|FILE"
            )
        scheme = load_scheme(scheme_ref) if isinstance(scheme_ref, str) else scheme_ref
        result = score_period(store, scheme, period, params, agents)
        figures = metric_rows(store, scheme, period, params)
        pk = scheme_pk(scheme, figures, roster_rows(store)) if scheme.pk else None
        scores = score_inputs(result, pk)
    done = settled_reading(period, [p[-1] for p in plan_names(plan)], params)
    if not (done or provisional):
        _refuse(plan, period)
    rows, roster = agent_rows(store, plan, period, params), roster_rows(store)
    slips = pay(
        plan,
        rows,
        roster,
        scores,
        settled=done,
        provisional=provisional and not done,
        shops=shop_rows(store, plan, period, params),
        period=period,
        teams=team_rows(
            store, plan, period, paid_agents(plan, rows, roster, scores, agents), params, roster
        ),
        agents=agents,
    )
    return slips, result


def _refuse(plan: Any, period: str) -> None:
    raise UsageError(
        f"period {period} is not settled yet for plan {plan.id} (orders can still "
        "be paid or refunded): pay it later, or with --provisional (marked 暂估)"
    )
