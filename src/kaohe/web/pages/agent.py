"""The agent page: every KPI of the catalogue with its formula and explanation, daily trends,
sessions, QA findings and the payslip. An agent opens only their own page; a lead only their
team's; anyone else's answers 404 like an unknown agent."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from kaohe.engine.periods import Period, parse_period
from kaohe.errors import KaoheError
from kaohe.spreadsheet import Column
from kaohe.units import INFO, chart_scale, header
from kaohe.web import views
from kaohe.web.auth import User, can_see_agent, sees_buyer_pii
from kaohe.web.cache import cached
from kaohe.web.i18n import translate
from kaohe.web.render import render

router = APIRouter()

HEADLINE = ("received_buyers", "avg_response_s", "reply_rate", "consult_to_pay_rate")
DEFAULT_PLAN = "jd_commission"
SESSIONS_SHOWN = 100
NOT_FOUND = "未找到该客服 / agent not found"


def agent_or_404(st: Any, user: User, agent: str) -> str:
    """The agent when the user may see them and the store knows them; else the same 404."""
    from kaohe.engine.explain import agent_known

    if not can_see_agent(user, agent, st) or not agent_known(st, agent):
        raise HTTPException(404, NOT_FOUND)
    return agent


# ---------------------------------------------------------------- data


def agent_kpis(
    st: Any, agent: str, period: Period, lang: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every metric of the catalogue for the agent: id, label, section, unit, value, formula."""
    from kaohe.engine import compute_kpis
    from kaohe.engine.registry import all_metrics

    row = compute_kpis(st, by="agent", period=period, agents=[agent], params=params)[0]
    return [
        {
            "id": m.id,
            "label": m.label(lang),
            "section": m.section,
            "unit": m.unit,
            "unit_label": INFO[m.unit].label(lang),
            "value": row.get(m.id),
            "formula": m.formula,
        }
        for m in all_metrics()
    ]


def by_section(kpis: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    sections: dict[str, list[dict[str, Any]]] = {}
    for kpi in kpis:
        sections.setdefault(kpi["section"], []).append(kpi)
    return list(sections.items())


def trend_charts(
    st: Any, agent: str, period: Period, lang: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """One daily line chart (ECharts option) per headline metric; rates in percent."""
    from kaohe.engine import compute_kpis
    from kaohe.engine.registry import get
    from kaohe.web.charts import line

    rows = compute_kpis(
        st,
        by=("agent", "day"),
        period=period,
        agents=[agent],
        metrics=list(HEADLINE),
        params=params,
    )
    by_day = {r["day"]: r for r in rows}
    days = [d.isoformat() for d in period.days]
    charts = []
    for metric_id in HEADLINE:
        metric = get(metric_id)
        scale = chart_scale(metric.unit)
        empty = 0 if metric.unit == "count" else None  # a day without chats: none received
        values = [
            empty
            if by_day.get(d, {}).get(metric_id) is None
            else round(by_day[d][metric_id] * scale, 2)
            for d in days
        ]
        title = header(metric.label(lang), metric.unit, lang) + (" (%)" if scale == 100 else "")
        option = line(days, {metric.label(lang): values}, title)
        option["legend"] = {"show": False}  # one series: the title names it
        charts.append(option)
    return charts


def payslip(
    st: Any,
    agent: str,
    period: str,
    plan_id: str,
    scheme: str | None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The agent's payslip of a plan (provisional, marked 暂估, when the period is not settled)
    under the engine parameters `params`: lines with their explanation, total; or the reason
    there is none."""
    from kaohe.pay import list_plans
    from kaohe.pay.fetch import needs_scores, pay_period
    from kaohe.schemes import list_schemes

    # presets only: a plan or scheme name from the URL is never a path on the server
    plan = next((p for p in list_plans() if p.id == plan_id), None)
    if plan is None or (scheme and scheme not in {s.id for s in list_schemes()}):
        return {
            "plan": plan_id,
            "error": f"未知的方案 / unknown plan or scheme: {plan_id!r} {scheme or ''}".rstrip(),
        }
    if needs_scores(plan) and not scheme:
        from kaohe.web.pages.schemes import DEFAULT_CURRENT

        scheme = DEFAULT_CURRENT
    try:
        slips, _ = pay_period(st, plan, period, scheme, True, params)
    except KaoheError as exc:
        return {"plan": plan_id, "error": str(exc)}
    slip = next((s for s in slips.payslips if s.agent == agent), None)
    if slip is None:
        return {"plan": plan_id, "plan_name": slips.plan_name, "missing": True}
    lines = [
        {
            "id": ln.id,
            "name": ln.name,
            "amount": ln.amount,
            "in_total": ln.in_total,
            "explain": ln.explain(),
        }
        for ln in slip.lines
    ]
    return {
        "plan": plan_id,
        "plan_name": slips.plan_name,
        "lines": lines,
        "total": slip.total,
        "provisional": slip.provisional,
        "notices": slip.notices,
    }


def plans() -> list[tuple[str, str]]:
    from kaohe.pay import list_plans

    return [(p.id, p.name) for p in list_plans()]


# ---------------------------------------------------------------- downloads


def _download(
    request: Request, st: Any, user: User, agent: str, period: str, table: str
) -> Response:
    lang = views.lang_of(request)
    pii = sees_buyer_pii(user)
    t = lambda key: translate(key, lang)  # noqa: E731
    name = f"{agent.replace(':', '_')}_{period}"
    cols: list[Column | tuple[str, str]]
    if table == "sessions":
        rows = views.agent_sessions(st, agent, parse_period(period), pii, views.overrides(request))
        cols = [
            ("shop", t("common.shop")),
            ("buyer", t("session.buyer")),
            ("start", t("session.start")),
            ("end", t("session.end")),
            ("messages", t("session.messages")),
            ("hits", t("session.hits")),
        ]
    elif table == "findings":
        rows = _findings(st, agent, parse_period(period), pii)
        cols = [
            ("time", t("conv.time")),
            ("session", t("session.session")),
            ("rule", t("finding.rule")),
            ("category", t("finding.category")),
            ("severity", t("finding.severity")),
            ("text", t("finding.text")),
        ]
    elif table == "payslip":
        slip = payslip(
            st,
            agent,
            period,
            request.query_params.get("plan") or DEFAULT_PLAN,
            request.query_params.get("scheme"),
            views.overrides(request),
        )
        rows = slip.get("lines", [])
        cols = [
            ("name", t("agent.line")),
            Column("amount", t("agent.amount"), "yuan"),
            ("explain", t("agent.how")),
        ]
    else:
        rows = agent_kpis(st, agent, parse_period(period), lang, views.overrides(request))
        cols = [
            ("id", "id"),
            ("label", t("agent.metric")),
            Column("value", t("agent.value"), unit_key="unit"),
            ("unit_label", t("agent.unit")),
            ("formula", t("agent.formula")),
        ]
        table = "kpis"
    return views.export(st, user, rows, cols, f"{name}_{table}.xlsx", f"agent {agent}")


def _findings(st: Any, agent: str, period: Period, pii: bool) -> list[dict[str, Any]]:
    from kaohe.qa.findings import findings

    rows = findings(st, period, agent=agent, masked=not pii)
    times = (
        dict(
            st.con.execute(
                "SELECT msg_key, time FROM qa_findings WHERE agent = ? AND msg_key IN "
                "(SELECT unnest(?))",
                [agent, [r["msg_id"] for r in rows]],
            ).fetchall()
        )
        if rows
        else {}
    )
    return [{**r, "time": views.when(times.get(r["msg_id"]))} for r in rows]


# ---------------------------------------------------------------- routes


@router.get("/agents/me")
def my_page(request: Request, user: views.UserDep) -> Response:
    if not user.agent:
        raise HTTPException(404, NOT_FOUND)
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/agents/{quote(user.agent, safe='')}{query}", status_code=303)


@router.get("/agents/{agent}")
def agent_page(
    request: Request, agent: str, user: views.UserDep, st: views.StoreDep, period: views.PeriodDep
) -> Response:
    agent_or_404(st, user, agent)
    if views.wants_xlsx(request):
        return _download(
            request, st, user, agent, period, request.query_params.get("table", "kpis")
        )
    lang = views.lang_of(request)
    params = views.overrides(request)
    chosen = parse_period(period)
    pii = sees_buyer_pii(user)
    plan_id = request.query_params.get("plan") or DEFAULT_PLAN
    scheme = request.query_params.get("scheme")

    def compute() -> dict[str, Any]:
        sessions = views.agent_sessions(st, agent, chosen, pii, params)
        return {
            "agent": agent,
            "period": period,
            "name": _name(st, agent),
            "sections": by_section(agent_kpis(st, agent, chosen, lang, params)),
            "charts": trend_charts(st, agent, chosen, lang, params),
            "sessions": sessions[:SESSIONS_SHOWN],
            "sessions_total": len(sessions),
            "sessions_shown": SESSIONS_SHOWN,
            "findings": _findings(st, agent, chosen, pii),
            "payslip": payslip(st, agent, period, plan_id, scheme, params),
            "plans": plans(),
            "plan": plan_id,
            "settled": _settled(chosen, params),
        }

    # what the page shows depends on these alone (the data version is added by `cached`)
    key = ("agent_page", agent, period, lang, pii, plan_id, scheme, repr(sorted(params.items())))
    return render(request, "agent.html", cached(request, st, key, chosen.end, compute))


@router.get("/agents/{agent}/explain/{metric}")
def explain_page(
    request: Request,
    agent: str,
    metric: str,
    user: views.UserDep,
    st: views.StoreDep,
    period: views.PeriodDep,
) -> Response:
    from kaohe.engine.explain import explain
    from kaohe.engine.registry import REGISTRY, all_metrics

    agent_or_404(st, user, agent)
    all_metrics()
    if metric not in REGISTRY:
        raise HTTPException(404, f"未知指标 / unknown metric {metric!r}")
    result = explain(st, metric, agent, parse_period(period), views.overrides(request))
    pii = sees_buyer_pii(user)
    rows = [views.masked_row(r, pii) for r in result["rows"]]
    if views.wants_xlsx(request):
        cols = [(k, k) for k in (rows[0] if rows else {})]
        return views.export(
            st, user, rows, cols, f"{metric}_{period}_rows.xlsx", f"explain {metric} {agent}"
        )
    return render(
        request,
        "_w2_agent_explain.html",
        {
            "agent": agent,
            "period": period,
            "x": result,
            "rows": rows,
            "unit": REGISTRY[metric].unit,
            "label": REGISTRY[metric].label(views.lang_of(request)),
        },
    )


def _name(st: Any, agent: str) -> str | None:
    row = st.con.execute("SELECT name FROM agents WHERE agent = ?", [agent]).fetchone()
    return row[0] if row else None


def _settled(period: Period, params: dict[str, Any]) -> bool:
    from kaohe.engine.settle import settled

    return settled(period, params)
