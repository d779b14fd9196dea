"""Reading the assessment through the API: KPIs, scheme scores, pay, platform compliance and
QA findings, each scoped and masked for the caller's role exactly as the pages do it
(kaohe.web.auth.visible_agents, sees_buyer_pii). Values come from the library (engine,
schemes, pay, compliance, QA); results are cached per data version like the pages'."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from kaohe.web import views
from kaohe.web.api.security import ApiUser, ManagerUser, scope_of
from kaohe.web.auth import sees_buyer_pii
from kaohe.web.cache import cached
from kaohe.web.deps import StoreDep, parse_period_text

router = APIRouter(tags=["data"])

PeriodQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=32,
        description="期间 / period: 2026-10, 2026-Q4, 2026-W43, 2026-10-05, last30",
    ),
]


class Rows(BaseModel):
    """A table: one object per row; the keys are those of the library's output."""

    period: str
    settled: bool | None = Field(None, description="期间是否已结算 / whether figures are final")
    notes: list[str] = Field(default_factory=list)
    rows: list[dict[str, Any]]


def _not_found(what_zh: str, what_en: str, wanted: str, known: list[str]) -> HTTPException:
    from kaohe.suggest import unknown

    return HTTPException(404, unknown(what_zh, what_en, wanted, known))


def _in_scope(rows: list[dict[str, Any]], scope: set[str] | None) -> list[dict[str, Any]]:
    return rows if scope is None else [r for r in rows if r.get("agent") in scope]


def _requested_agents(agents: list[str], scope: set[str] | None) -> list[str] | None:
    """The agents to compute: those asked for within the scope (an agent the caller may not
    see is unknown to them: 404), else the whole scope."""
    if scope is None:
        return agents or None
    hidden = [a for a in agents if a not in scope]
    if hidden:
        raise HTTPException(404, f"未知客服 / unknown agent: {hidden[0]!r}")
    return agents or sorted(scope)


@router.get("/kpis", response_model=Rows, summary="指标 / metric values for a period")
def kpis(
    request: Request,
    user: ApiUser,
    st: StoreDep,
    period: PeriodQuery,
    by: Annotated[str, Query(max_length=100, description="agent,team,shop,platform,day or all")] = (
        "agent"
    ),
    metrics: Annotated[str | None, Query(max_length=4000, description="metric ids, a,b")] = None,
    agent: Annotated[list[str], Query(description="only these agents")] = [],  # noqa: B006
) -> Rows:
    from kaohe.engine.compute import make_request
    from kaohe.engine.facts import answer
    from kaohe.engine.settle import settled

    chosen = parse_period_text(period)
    overrides = views.overrides(request)
    ids = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    scope = scope_of(user, st)
    agents = _requested_agents(list(agent), scope)
    if scope is not None and not agents:
        return Rows(period=period, rows=[], notes=["没有可见的客服 / no agent visible to you"])
    request_ = make_request(by, chosen, ids, overrides, agents)
    shown = tuple(agents) if agents is not None else None
    key = ("api.kpis", period, request_.by, tuple(m.id for m in request_.metrics), shown)
    rows = cached(request, st, key, chosen.end, lambda: answer(st, request_))
    done = settled(chosen, overrides, metrics=request_.metrics)
    return Rows(period=period, settled=done, rows=[_plain(r) for r in rows])


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO text, everything else as the engine gave it."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}


@router.get("/scores", response_model=Rows, summary="考核评分 / a scheme's scores and ranks")
def scores(
    request: Request,
    user: ApiUser,
    st: StoreDep,
    period: PeriodQuery,
    scheme: Annotated[str, Query(max_length=100, description="scheme preset id")] = (
        "presales_standard"
    ),
) -> Rows:
    from kaohe.schemes import list_schemes, with_params
    from kaohe.schemes.fetch import is_settled, score_period
    from kaohe.schemes.score import result_rows

    chosen = parse_period_text(period)
    found = {s.id: s for s in list_schemes()}
    if scheme not in found:
        raise _not_found("方案", "scheme", scheme, list(found))
    params = views.params(request, owners=[found[scheme]])
    loaded = with_params(found[scheme], params.of(found[scheme]))
    result = cached(
        request,
        st,
        ("api.scores", scheme, period),
        chosen.end,
        lambda: score_period(st, loaded, period, params.engine),
    )
    rows = _in_scope([_plain(r) for r in result_rows(result)], scope_of(user, st))
    done = is_settled(loaded, period, params.engine)
    return Rows(period=period, settled=done, notes=list(result.notes), rows=rows)


@router.get("/pay", response_model=Rows, summary="薪资 / payslips line by line")
def pay(
    request: Request,
    user: ApiUser,
    st: StoreDep,
    period: PeriodQuery,
    plan: Annotated[str, Query(max_length=100, description="pay plan preset id")],
    scheme: Annotated[str | None, Query(max_length=100, description="scheme preset id")] = None,
    provisional: bool = False,
) -> Rows:
    from kaohe.pay.fetch import pay_period
    from kaohe.pay.plan import list_plans
    from kaohe.pay.plan import with_params as plan_with
    from kaohe.schemes import list_schemes
    from kaohe.schemes import with_params as scheme_with

    chosen = parse_period_text(period)
    plans = {p.id: p for p in list_plans()}
    schemes = {s.id: s for s in list_schemes()}
    if plan not in plans:
        raise _not_found("薪资方案", "pay plan", plan, list(plans))
    if scheme is not None and scheme not in schemes:
        raise _not_found("方案", "scheme", scheme, list(schemes))
    owners = [plans[plan], *([schemes[scheme]] if scheme else [])]
    params = views.params(request, owners=owners)
    loaded = plan_with(plans[plan], params.of(plans[plan]))
    read = scheme_with(schemes[scheme], params.of(schemes[scheme])) if scheme else None

    def compute() -> Any:
        return pay_period(st, loaded, period, read, provisional, params.engine)[0]

    key = ("api.pay", plan, scheme, period, provisional)
    result = cached(request, st, key, chosen.end, compute)
    rows = [
        {
            "agent": s.agent,
            "name": s.name,
            "total": s.total,
            "provisional": s.provisional,
            "lines": [{"id": ln.id, "name": ln.name, "amount": ln.amount} for ln in s.lines],
        }
        for s in result.payslips
    ]
    return Rows(
        period=period, settled=not result.provisional, rows=_in_scope(rows, scope_of(user, st))
    )


@router.get(
    "/compliance", response_model=Rows, summary="平台考核 / platform compliance (admin, supervisor)"
)
def compliance(request: Request, user: ManagerUser, st: StoreDep, period: PeriodQuery) -> Rows:
    from kaohe.compliance.report import consequence_text, result_threshold_text
    from kaohe.web.pages.overview import cached_checks

    parse_period_text(period)
    pii = sees_buyer_pii(user)
    rows = [
        {
            "preset": r.preset,
            "check": r.check,
            "subject": r.subject,
            "cycle": r.cycle,
            "status": r.status,
            "value": r.value,
            "threshold": result_threshold_text(r, views.lang_of(request)),
            "consequence": consequence_text(r, views.lang_of(request)),
            "cases_total": r.cases_total,
            "cases": [views.masked_row(_plain(c), pii) for c in r.cases[:20]],
        }
        for r in cached_checks(request, st, period)
    ]
    return Rows(period=period, rows=rows)


@router.get("/findings", response_model=Rows, summary="质检发现 / QA findings (masked)")
def findings(
    request: Request,
    user: ApiUser,
    st: StoreDep,
    period: PeriodQuery,
    agent: Annotated[str | None, Query(max_length=200)] = None,
    severity: Annotated[str | None, Query(pattern="^(info|minor|major|redline)$")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Rows:
    from kaohe.qa.findings import findings as stored_findings

    chosen = parse_period_text(period)
    scope = scope_of(user, st)
    if agent is not None and scope is not None and agent not in scope:
        raise HTTPException(404, f"未知客服 / unknown agent: {agent!r}")
    masked = not sees_buyer_pii(user)
    key = ("api.findings", period, agent, severity, masked)
    rows = cached(
        request,
        st,
        key,
        chosen.end,
        lambda: stored_findings(st, chosen, agent, severity, masked=masked),
    )
    rows = _in_scope(rows, scope)
    notes = [] if rows else ["没有符合条件的发现 / no finding matches"]
    return Rows(period=period, notes=notes, rows=rows[:limit])
