"""The agent page: every KPI of the catalogue with its formula and explanation, daily trends,
sessions, QA findings and the payslip. An agent opens only their own page; a lead only their
team's; anyone else's answers 404 like an unknown agent."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from kaohe.engine.periods import Period, parse_period
from kaohe.errors import KaoheError
from kaohe.spreadsheet import Column
from kaohe.units import INFO, chart_scale, header
from kaohe.web import views
from kaohe.web.auth import User, can_see_agent, sees_buyer_pii
from kaohe.web.cache import cached, cached_on
from kaohe.web.i18n import translate
from kaohe.web.render import render

if TYPE_CHECKING:
    from kaohe.store import Store

router = APIRouter()

HEADLINE = ("received_buyers", "avg_response_s", "reply_rate", "consult_to_pay_rate")
DEFAULT_PLAN = "jd_commission"
SESSIONS_SHOWN = 100
NOT_FOUND = "未找到该客服 / agent not found"


def agent_or_404(st: Store, user: User, agent: str) -> str:
    """The agent when the user may see them and the store knows them; else the same 404."""
    from kaohe.engine.explain import agent_known

    if not can_see_agent(user, agent, st) or not agent_known(st, agent):
        raise HTTPException(404, NOT_FOUND)
    return agent


# ---------------------------------------------------------------- data


def agent_kpis(
    st: Store,
    agent: str,
    period: Period,
    lang: str,
    params: dict[str, Any],
    everyone: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Every metric of the catalogue for the agent: id, label, section, unit, value, formula
    in words and in symbols. `everyone`: `team_kpis` of the same period and parameters, read
    instead of the store (an agent it lacks had no rows in the period: `no_data_row`)."""
    from kaohe.engine import compute_kpis
    from kaohe.engine.registry import all_metrics

    if everyone is not None:
        row = everyone.get(agent) or no_data_row(agent, period, params)
    else:
        row = compute_kpis(st, by="agent", period=period, agents=[agent], params=params)[0]
    return [
        {
            "id": m.id,
            "label": m.label(lang),
            "section": m.section,
            "unit": m.unit,
            "unit_label": INFO[m.unit].label(lang),
            "value": row.get(m.id),
            "words": m.in_words(lang),
            "formula": m.formula,
        }
        for m in all_metrics()
    ]


def team_kpis(st: Store, period: Period, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Agent → every metric of the catalogue, all agents in one run (as long as one agent's:
    what the agent pages precompute after an import)."""
    from kaohe.engine import compute_kpis

    return {r["agent"]: r for r in compute_kpis(st, by="agent", period=period, params=params)}


def no_data_row(agent: str, period: Period, params: dict[str, Any]) -> dict[str, Any]:
    """The catalogue of an agent without a row in the period, as the engine finishes a group
    that has no parts (kaohe.engine.compute.finish): a count of nothing is 0, a ratio or a
    time of nothing is none (shown as "—")."""
    from kaohe.engine.compute import finish, make_request

    return finish(make_request("agent", period, None, params, [agent]), {})[0]


def by_section(kpis: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    sections: dict[str, list[dict[str, Any]]] = {}
    for kpi in kpis:
        sections.setdefault(kpi["section"], []).append(kpi)
    return list(sections.items())


def team_daily(
    st: Store, period: Period, params: dict[str, Any], agents: list[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Agent → the headline metrics per day (the trend charts), every agent (or `agents`) in
    one run."""
    from kaohe.engine import compute_kpis

    rows = compute_kpis(
        st, by=("agent", "day"), period=period, agents=agents, metrics=list(HEADLINE), params=params
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["agent"], []).append(row)
    return out


def trend_charts(
    st: Store,
    agent: str,
    period: Period,
    lang: str,
    params: dict[str, Any],
    everyone: dict[str, list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """One daily line chart (ECharts option) per headline metric; rates in percent.
    `everyone`: `team_daily` of the same period and parameters, read instead of the store."""
    from kaohe.engine.registry import get
    from kaohe.web.charts import line

    if everyone is None:
        everyone = team_daily(st, period, params, [agent])
    by_day = {r["day"]: r for r in everyone.get(agent, [])}
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
    st: Store,
    agent: str,
    period: str,
    plan_id: str | None,
    scheme: str | None,
    params: dict[str, Any] | None = None,
    keep: Callable[[tuple[Any, ...], Callable[[], Any]], Any] | None = None,
    assignments: Any = None,
) -> dict[str, Any]:
    """The agent's payslip (provisional, marked 暂估, when the period is not settled) under the
    engine parameters `params`: of the plan `plan_id`, or without one of the plan the
    assignments give the agent (paid over its whole population, kaohe.assigned); lines with
    their explanation in plain Chinese, total; or the reason there is none. `keep(key,
    compute)`: where the whole team's payslips are kept (the page cache: a plan pays every
    agent at once, so the next agent's page reads the same result)."""
    from kaohe.pay import list_plans
    from kaohe.pay.fetch import needs_scores, pay_period
    from kaohe.schemes import list_schemes

    if not plan_id:
        return _assigned_payslip(st, agent, period, params, assignments, keep)
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
        run = lambda: pay_period(st, plan, period, scheme, True, params)  # noqa: E731
        key = ("payslips", plan_id, period, scheme, repr(sorted((params or {}).items())))
        slips, _ = keep(key, run) if keep is not None else run()
    except KaoheError as exc:
        return {"plan": plan_id, "error": str(exc)}
    return _shown(plan_id, slips, agent)


def _assigned_payslip(
    st: Store,
    agent: str,
    period: str,
    params: dict[str, Any] | None,
    assignments: Any,
    keep: Callable[[tuple[Any, ...], Callable[[], Any]], Any] | None = None,
) -> dict[str, Any]:
    from kaohe.assigned import pay_assigned

    if assignments is None or not assignments.refs("plan"):
        return _assigned_payslip_default(st, agent, period, params, keep)
    try:
        if keep is None:
            runs, _ = pay_assigned(st, assignments, period, True, params, for_agents={agent})
        else:  # every population paid once, kept for the next agent's page
            engine = repr(sorted((params or {}).items()))
            key = ("payslips.assigned", period, engine, repr(assignments.assignments))
            runs, _ = keep(key, lambda: pay_assigned(st, assignments, period, True, params))
    except KaoheError as exc:
        return {"plan": "", "error": str(exc)}
    for run in runs:
        if any(s.agent == agent for s in run.result.payslips):
            return _shown(run.plan.id, run.result, agent)
    return {"plan": "", "missing": True, "plan_name": ""}


def _assigned_payslip_default(
    st: Store,
    agent: str,
    period: str,
    params: dict[str, Any] | None,
    keep: Callable[[tuple[Any, ...], Callable[[], Any]], Any] | None = None,
) -> dict[str, Any]:
    """No assignments file: the default plan, as before assignments existed."""
    return payslip(st, agent, period, DEFAULT_PLAN, None, params, keep)


def _shown(plan_id: str, slips: Any, agent: str) -> dict[str, Any]:
    slip = next((s for s in slips.payslips if s.agent == agent), None)
    if slip is None:
        return {"plan": plan_id, "plan_name": slips.plan_name, "missing": True}
    lines = [
        {
            "id": ln.id,
            "name": ln.name,
            "amount": ln.amount,
            "in_total": ln.in_total,
            "explain": ln.wording or ln.explain(),
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


def assignments_of(request: Request) -> Any:
    """The app's scheme and plan assignments (kaohe.assignments); none without a config."""
    from kaohe.assignments import Assignments, assignments_path, load_assignments

    config = getattr(request.app.state, "config", None)
    return load_assignments(assignments_path(config)) if config else Assignments()


def plans() -> list[tuple[str, str]]:
    from kaohe.pay import list_plans

    return [(p.id, p.name) for p in list_plans()]


# ---------------------------------------------------------------- downloads


def _download(
    request: Request, st: Store, user: User, agent: str, period: str, table: str
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
        rows = [
            {
                **f,
                "rule": f["rule_name"],
                "category": t(f"qacat.{f['category']}") if f.get("category") else "",
                "severity": t(f"severity.{f['severity']}"),
            }
            for f in _findings(st, agent, parse_period(period), pii)
        ]
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
            request.query_params.get("plan"),
            request.query_params.get("scheme"),
            views.overrides(request),
            assignments_of(request),
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
            ("label", t("agent.metric")),
            Column("value", t("agent.value"), unit_key="unit"),
            ("unit_label", t("agent.unit")),
            ("words", t("agent.words")),
            ("formula", t("agent.formula")),
        ]
        table = "kpis"
    return views.export(st, user, rows, cols, f"{name}_{table}.xlsx", f"agent {agent}")


def _findings(st: Store, agent: str, period: Period, pii: bool) -> list[dict[str, Any]]:
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
    from kaohe.qa.rules import rule_names

    names = rule_names()
    return [
        {
            **r,
            "time": views.when(times.get(r["msg_id"])),
            "rule_name": names.get(r["rule"], r["rule"]),
        }
        for r in rows
    ]


def agent_reviews(
    st: Store,
    agent: str,
    period: Period,
    everyone: dict[str, list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """The agent's scored manual reviews of the period, newest first, each with `counted` as
    the metrics read it (kaohe.engine.quality.scored_reviews) and `voided` (an accepted
    appeal took it out). `everyone`: `team_reviews` of the period, read instead."""
    return (everyone if everyone is not None else team_reviews(st, period, agent)).get(agent, [])


def team_reviews(
    st: Store, period: Period, agent: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Agent → `agent_reviews`, every agent (or `agent`) in one query."""
    from types import SimpleNamespace

    from kaohe.engine.quality import scored_reviews
    from kaohe.qa.appeals import voided_reviews

    t = scored_reviews(SimpleNamespace(table=st.ibis().table))
    t = t.filter(t.day.between(period.start, period.end))
    if agent is not None:
        t = t.filter(t.agent == agent)
    columns = ("agent", "review_id", "day", "reviewer", "score", "passed", "counted")
    rows = t.select(*columns).order_by([t.day.desc(), t.review_id]).to_pyarrow().to_pylist()
    voided = voided_reviews(st, [r["review_id"] for r in rows])
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        who = row.pop("agent")
        out.setdefault(who, []).append({**row, "voided": row["review_id"] in voided})
    return out


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
    plan_id = request.query_params.get("plan") or ""
    scheme = request.query_params.get("scheme")
    assignments = assignments_of(request)

    def compute(st: Store) -> dict[str, Any]:
        def keep(key: tuple[Any, ...], run: Callable[[], Any]) -> Any:
            return cached(request, st, key, chosen.end, run)

        everyone = team_views(request, st, period, params)
        sessions = views.agent_sessions(st, agent, chosen, pii, params, everyone["sessions"])
        slip = payslip(st, agent, period, plan_id, scheme, params, keep, assignments)
        return {
            # the scheme's items, grade and 12-month history move only with the data version
            **scheme_score(request, st, agent, period),
            "agent": agent,
            "period": period,
            "name": _name(st, agent),
            "sections": by_section(agent_kpis(st, agent, chosen, lang, params, everyone["kpis"])),
            "charts": trend_charts(st, agent, chosen, lang, params, everyone["daily"]),
            "sessions": sessions[:SESSIONS_SHOWN],
            "sessions_total": len(sessions),
            "sessions_shown": SESSIONS_SHOWN,
            "findings": _findings(st, agent, chosen, pii),
            "reviews": agent_reviews(st, agent, chosen, everyone["reviews"]),
            "payslip": slip,
            "plans": plans(),
            "plan": plan_id,
            "settled": _settled(chosen, params),
        }

    # what the page shows depends on these alone (the data version is added by `cached`)
    key = (
        "agent_page",
        agent,
        period,
        lang,
        pii,
        plan_id,
        scheme,
        repr(sorted(params.items())),
        repr(assignments.assignments),
    )
    page = cached_on(request, st, key, chosen.end, compute)
    # (one query on the appeals, whose decisions the data version does not follow)
    changed = changed_lines(st, agent, period, page["payslip"])
    return render(request, "agent.html", {**page, "changed": changed})


def team_views(request: Any, st: Store, period: str, params: dict[str, Any]) -> dict[str, Any]:
    """Every agent's KPI catalogue, sessions, daily headline metrics and manual reviews of the
    period, one run each per data version (kaohe.web.cache): an agent's page picks its own
    (computed for one agent, each takes about as long as for all of them). Precomputed after
    an import (`warm`)."""
    chosen = parse_period(period)
    engine = repr(sorted(params.items()))
    return {
        "kpis": cached_on(
            request,
            st,
            ("agent_page.kpis", period, engine),
            chosen.end,
            lambda st: team_kpis(st, chosen, params),
        ),
        "sessions": cached_on(
            request,
            st,
            ("agent_page.sessions", period, engine),
            chosen.end,
            lambda st: views.period_sessions(st, chosen, params),
        ),
        "daily": cached_on(
            request,
            st,
            ("agent_page.daily", period, engine),
            chosen.end,
            lambda st: team_daily(st, chosen, params),
        ),
        "reviews": cached_on(
            request,
            st,
            ("agent_page.reviews", period),
            chosen.end,
            lambda st: team_reviews(st, chosen),
        ),
    }


def warm(app: Any, st: Store, period: str) -> None:
    """What the agent pages of the period need, computed once for every agent (after an
    import, on the writer): the KPI catalogue, the sessions, the payslips and each role's
    standard scheme ranking with its 12-month history."""
    from types import SimpleNamespace

    from kaohe.schemes.fetch import roster_rows
    from kaohe.web.pages.ranking import covering_schemes, scheme_ranking

    request: Any = SimpleNamespace(app=app, query_params={})
    params = views.overrides(request)
    team_views(request, st, period, params)
    chosen = parse_period(period)

    def keep(key: tuple[Any, ...], run: Callable[[], Any]) -> Any:
        return cached(request, st, key, chosen.end, run)

    roster = roster_rows(st)
    agents = sorted({r["agent"] for r in roster})
    if agents:
        payslip(st, agents[0], period, "", None, params, keep, assignments_of(request))
    shown = {covering[0].id for covering in covering_schemes(agents, roster).values() if covering}
    for scheme_id in sorted(shown):
        scheme_ranking(request, st, scheme_id, period)
        for month in _history_months(st, period):
            scheme_ranking(request, st, scheme_id, month)


def scheme_score(request: Request, st: Store, agent: str, period: str) -> dict[str, Any]:
    """The agent's items, grade, rank and next-grade hint under the chosen scheme (?scheme=,
    else the role's standard one), and the schemes that cover them to choose from."""
    from kaohe.schemes.fetch import roster_rows
    from kaohe.schemes.why import why
    from kaohe.web.pages.ranking import scheme_ranking, schemes_for

    covering = schemes_for(agent, roster_rows(st))
    if not covering:
        return {"why": None, "covering": []}
    wanted = request.query_params.get("scheme")
    chosen = next((s for s in covering if s.id == wanted), covering[0])
    scheme, ranked = scheme_ranking(request, st, chosen.id, period)
    return {
        "why": why(ranked.scored, agent, views.lang_of(request)),
        "scheme": scheme,
        "covering": [(s.id, s.name) for s in covering],
        "history": history(request, st, agent, chosen.id, period),
    }


HISTORY_MONTHS = 12


def history(request: Request, st: Store, agent: str, scheme_id: str, period: str) -> list[dict]:
    """The agent's total, grade and rank in each of the last 12 months that have data, up to
    the period (a month); each month's ranking is the one the ranking page shows."""
    from kaohe.web.pages.ranking import scheme_ranking

    out = []
    for month in _history_months(st, period):
        # a month an import running now brings: left out until the import is done (the page
        # says it is updating) rather than ranked from the raw rows beside the import
        ranked = scheme_ranking(request, st, scheme_id, month, absent=None)[1]
        if ranked is None:
            continue
        row = next((r for r in ranked.rows if r["agent"] == agent), None)
        if row is not None:
            out.append({**row, "month": month, "ranked": len(ranked.scored.places)})
    return out


def _history_months(st: Store, period: str) -> list[str]:
    """The last 12 months up to the period (a month) that have data."""
    from kaohe.store import scalar
    from kaohe.web.months import is_month, months_back

    if not is_month(period):
        return []
    first = scalar(st.con, "SELECT strftime(min(time), '%Y-%m') FROM messages")
    return [m for m in months_back(period, HISTORY_MONTHS) if first is not None and m >= first]


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
    links = [_conversation_link(r, agent) if pii else None for r in result["rows"]]
    rows = [views.masked_row(r, pii) for r in result["rows"]]
    lang = views.lang_of(request)
    if views.wants_xlsx(request):
        cols = [(k, column_label(k, lang)) for k in (rows[0] if rows else {})]
        return views.export(
            st, user, rows, cols, f"{metric}_{period}_rows.xlsx", f"explain {metric} {agent}"
        )
    return render(
        request,
        "agent_explain.html",
        {
            "agent": agent,
            "period": period,
            "x": result,
            "rows": rows,
            "links": links,
            "column_label": lambda k: column_label(k, lang),
            "unit": REGISTRY[metric].unit,
            "label": REGISTRY[metric].label(views.lang_of(request)),
            "words": result["words_en" if lang == "en" else "words"],
        },
    )


# the columns of the explained rows (kaohe.engine.explain.SHOWN) as the page heads them
COLUMNS = {
    "shop": ("店铺", "shop"),
    "buyer": ("买家", "buyer"),
    "agent": ("客服", "agent"),
    "from_agent": ("转出客服", "from agent"),
    "round_start": ("轮次开始", "round start"),
    "start": ("开始", "start"),
    "end": ("结束", "end"),
    "reply_time": ("回复时间", "replied"),
    "buyer_messages": ("买家消息数", "buyer messages"),
    "answered": ("已回复", "answered"),
    "response_s": ("响应秒数", "response (s)"),
    "duration_ms": ("时长（毫秒）", "duration (ms)"),
    "time": ("时间", "time"),
    "chars": ("字数", "characters"),
    "day": ("日期", "day"),
    "open": ("同时接待", "open"),
    "order_id": ("订单号", "order"),
    "created_at": ("下单时间", "created"),
    "paid_time": ("付款时间", "paid"),
    "amount": ("金额", "amount"),
    "items": ("件数", "items"),
    "refund_amount": ("退款金额", "refunded"),
    "silent": ("静默", "silent"),
    "silent_at_creation": ("下单时静默", "silent at creation"),
    "followed": ("已跟进", "followed"),
    "kind": ("类型", "kind"),
    "first": ("首次", "first"),
    "last": ("最后", "last"),
    "inquiry": ("询单", "inquiry"),
    "ordered": ("已下单", "ordered"),
    "paid": ("已付款", "paid"),
}
TIME_COLUMNS = ("round_start", "start", "time", "first", "created_at")


def column_label(column: str, lang: str) -> str:
    """A row column's header; a part's contribution (→total) reads 计入 total."""
    if column.startswith("→"):
        return ("counts toward " if lang == "en" else "计入 ") + column[1:]
    zh, en = COLUMNS.get(column, (column, column))
    return en if lang == "en" else zh


def _conversation_link(row: dict[str, Any], agent: str) -> str | None:
    """The conversation a row of the explanation lies in (shop, buyer and its time)."""
    from urllib.parse import urlencode

    at = next((row[c] for c in TIME_COLUMNS if row.get(c) is not None), None)
    if not row.get("shop") or not row.get("buyer") or at is None:
        return None
    when = at.isoformat(sep=" ") if hasattr(at, "isoformat") else str(at)
    query = {"shop": row["shop"], "buyer": row["buyer"], "at": when, "agent": agent}
    return f"/conversation?{urlencode(query)}"


def amounts(slip: dict[str, Any]) -> dict[str, float]:
    return {ln["id"]: ln["amount"] for ln in slip.get("lines", []) if ln["amount"] is not None}


def changed_lines(st: Store, agent: str, period: str, slip: dict[str, Any]) -> dict[str, Any]:
    """Line id → {before, appeal} for the payslip lines an accepted appeal of the period
    changed (against the payslip as it stood before the earliest accepted appeal)."""
    from kaohe.qa.appeals import ACCEPTED, appeals

    accepted = [
        a
        for a in appeals(st, {agent}, ACCEPTED, period=period)
        if a["pay_before"] and a["pay_before"].get("plan") == slip.get("plan")
    ]
    if not accepted:
        return {}
    first = accepted[-1]  # newest first: the last is the earliest
    before = first["pay_before"]["lines"]
    now = amounts(slip)
    return {
        line: {"before": before.get(line), "appeal": first["id"]}
        for line in set(before) | set(now)
        if round(before.get(line) or 0.0, 2) != round(now.get(line) or 0.0, 2)
    }


def _name(st: Store, agent: str) -> str | None:
    row = st.con.execute("SELECT name FROM agents WHERE agent = ?", [agent]).fetchone()
    return row[0] if row else None


def _settled(period: Period, params: dict[str, Any]) -> bool:
    from kaohe.engine.settle import settled

    return settled(period, params)
