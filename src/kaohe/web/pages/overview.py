"""The overview: headline KPIs per shop and in total, daily trends, platform compliance with
its failing cases and the most frequent QA findings. Agents see their own numbers, a lead
their team's; only admin and supervisor see shop-wide compliance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kaohe.engine import compute_kpis
from kaohe.engine.periods import Period
from kaohe.engine.registry import get as get_metric
from kaohe.privacy import mask_buyer, mask_text
from kaohe.qa.rules import rule_names
from kaohe.web import charts, views
from kaohe.web.auth import UserDep, sees_buyer_pii, visible_agents
from kaohe.web.cache import cached_on
from kaohe.web.deps import PeriodDep, StoreDep, parse_period_text
from kaohe.web.i18n import translate
from kaohe.web.render import render, request_lang

if TYPE_CHECKING:
    from kaohe.store import Store

router = APIRouter()

HEADLINE = (
    "consult_buyers",
    "avg_response_s",
    "consult_to_pay_rate",
    "sales_amount",
    "satisfaction_rate",
    "qa_auto_score",
)
TOP_FINDINGS = 10
CASES_SHOWN = 20


def metric_columns(lang: str) -> list[dict[str, str]]:
    """id, label and unit of each headline metric, from the registry."""
    out = []
    for metric_id in HEADLINE:
        metric = get_metric(metric_id)
        out.append({"id": metric_id, "label": metric_label(metric_id, lang), "unit": metric.unit})
    return out


def kpi_rows(
    st: Store,
    period: Period,
    scope: set[str] | None,
    params: dict[str, Any] | None = None,
    shop: str = "",
) -> tuple[list[dict], dict | None]:
    """(rows, total): per shop and the whole store for all-seeing roles; per agent and the
    scope's total otherwise (one engine call each, never a loop over agents); with `shop`,
    that shop's agents and the shop's total."""
    if scope is not None and not scope:
        return [], None
    if shop:
        rows = compute_kpis(
            st, by=("agent", "shop"), period=period, metrics=HEADLINE, params=params
        )
        mine = [{**r, "label": r["agent"]} for r in rows if r["shop"] == shop]
        if scope is not None:
            mine = [r for r in mine if r["agent"] in scope]
        shops = compute_kpis(st, by="shop", period=period, metrics=HEADLINE, params=params)
        return mine, next((r for r in shops if r["shop"] == shop), None)
    if scope is None:
        rows = compute_kpis(st, by="shop", period=period, metrics=HEADLINE, params=params)
        total = compute_kpis(st, by=(), period=period, metrics=HEADLINE, params=params)[0]
        return [{**r, "label": r["shop"]} for r in rows], total
    agents = sorted(scope)
    rows = compute_kpis(
        st, by="agent", period=period, metrics=HEADLINE, agents=agents, params=params
    )
    rows = [{**r, "label": r["agent"]} for r in rows]
    if len(agents) == 1:
        return rows, None
    # a team's distinct buyers are not the sum of its agents': computed on demand (cached)
    team = compute_kpis(st, by=(), period=period, metrics=HEADLINE, agents=agents, params=params)
    return rows, team[0]


def _has_chats(st: Any, period_text: str) -> bool:
    """Whether the period has any messages (a month before the data compares with nothing)."""
    from kaohe.web.months import covered

    return covered(st, parse_period_text(period_text))[0] is not None


def case_header(column: str, lang: str) -> str:
    try:
        from kaohe.compliance.report import case_header as header_of
    except ImportError:
        return column
    return header_of(column, lang)


def deltas(total: dict | None, before: dict | None, lang: str) -> dict[str, dict[str, str]]:
    """Each headline figure against the month before: arrow, the change in the figure's unit
    (a rate in percentage points) and whether it is for the better."""
    from kaohe.units import format_change

    if not total or not before:
        return {}
    out = {}
    for metric_id in HEADLINE:
        now, then = total.get(metric_id), before.get(metric_id)
        if now is None or then is None:
            continue
        metric = get_metric(metric_id)
        change = float(now) - float(then)
        better = change < 0 if metric.direction == "lower" else change > 0
        out[metric_id] = {
            "arrow": "▲" if change > 0 else "▼" if change < 0 else "＝",
            "text": format_change(change, metric.unit, lang),
            "class": ""
            if change == 0 or metric.direction == "neutral"
            else "good"
            if better
            else "bad",
        }
    return out


def metric_label(metric_id: str, lang: str) -> str:
    metric = get_metric(metric_id)
    return metric.zh if lang == "zh" else metric.en


def trend_charts(
    st: Store,
    period: Period,
    scope: set[str] | None,
    lang: str,
    params: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Two daily charts: consultations with pay conversion (%), and sales by day."""
    if scope is not None and not scope:
        return []
    metrics = ("consult_buyers", "consult_to_pay_rate", "sales_amount")
    agents = sorted(scope) if scope is not None else None
    # one agent: the agent-day facts answer it; a team's days are computed on demand
    by = ("agent", "day") if agents and len(agents) == 1 else ("day",)
    rows = compute_kpis(st, by=by, period=period, metrics=metrics, agents=agents, params=params)
    by_day = {str(r["day"]): r for r in rows}
    days = [d.isoformat() for d in period.days]

    def series(metric_id: str, scale: float = 1.0) -> list[Any]:
        values = [by_day.get(d, {}).get(metric_id) for d in days]
        return [None if v is None else round(v * scale, 2) for v in values]

    name = {m: metric_label(m, lang) for m in metrics}
    return [
        charts.line(
            days,
            {
                name["consult_buyers"]: series("consult_buyers"),
                name["consult_to_pay_rate"] + " %": series("consult_to_pay_rate", 100),
            },
            translate("overview.trend", lang),
        ),
        charts.bar(days, {name["sales_amount"]: series("sales_amount")}, name["sales_amount"]),
    ]


def compliance_status(
    request: Request, st: Store, period_text: str, pii: bool
) -> tuple[dict[str, Any] | None, str]:
    """The compliance results of the period: one summary line per rule and subject (worst
    status over its cycles) and the failing / at-risk cycles with their first cases."""
    from kaohe.compliance.check import AT_RISK, FAIL
    from kaohe.compliance.report import (
        case_lines,
        check_label,
        consequence_text,
        preset_label,
        result_threshold_text,
        status_label,
        summary_rows,
        value_text,
    )

    lang = request_lang(request)
    results = cached_checks(request, st, period_text)
    bad = [
        {
            "preset": preset_label(r.preset, lang),
            "check": check_label(r.preset, r.check, lang),
            "subject": r.subject,
            "cycle": r.cycle,
            "value": value_text(r, lang),
            "threshold": result_threshold_text(r, lang),
            "status_id": r.status,
            "status": status_label(r.status, lang),
            "consequence": consequence_text(r, lang),
            "cases": [_mask_case(c, pii) for c in r.cases[:CASES_SHOWN]],
            "more_cases": max(0, r.cases_total - min(len(r.cases), CASES_SHOWN)),
            "case_text": case_lines(r),
        }
        for r in results
        if r.status in (FAIL, AT_RISK)
    ]
    from kaohe.schema import platform_label

    summary = [
        {**s, "platform": platform_label(s.get("platform"), lang)}
        for s in summary_rows(results, lang)
    ]
    return {"summary": summary, "bad": bad}, ""


def cached_checks(request: Request, st: Store, period_text: str) -> list[Any]:
    """run_checks once per period and data version, under the parameters the CLI's `kaohe
    check` reads: the checks read every platform's metrics and take seconds on a large store."""
    from kaohe.compliance import list_presets
    from kaohe.compliance.check import run_checks

    end = parse_period_text(period_text).end
    params = views.params(request, presets=list_presets())
    return cached_on(
        request,
        st,
        ("compliance", period_text),
        end,
        lambda st: run_checks(st, period_text, overrides=params),
    )


def _mask_case(case: dict[str, Any], pii: bool) -> dict[str, Any]:
    if pii:
        return dict(case)
    return {
        k: mask_buyer(v) if k == "buyer" else mask_text(v) if isinstance(v, str) else v
        for k, v in case.items()
    }


def top_findings(st: Store, period: Period, scope: set[str] | None) -> list[dict[str, Any]]:
    """The most frequent QA rules of the period (counts only: no buyer data)."""
    from kaohe.qa.findings import bounds

    if scope is not None and not scope:
        return []
    start, end = bounds(period, st)
    where, args = ["time >= ? AND time < ?"], [start, end]
    if scope is not None:
        where.append(f"agent IN ({', '.join('?' * len(scope))})")
        args += sorted(scope)
    sql = (
        "SELECT rule, any_value(category), any_value(severity), count(*) AS n, "
        f"count(DISTINCT agent) FROM qa_findings WHERE {' AND '.join(where)} "
        f"GROUP BY rule ORDER BY n DESC, rule LIMIT {TOP_FINDINGS}"
    )
    names = rule_names()
    return [
        {
            "rule": rule,
            "name": names.get(rule, rule),
            "category": category,
            "severity": severity,
            "count": n,
            "agents": agents,
        }
        for rule, category, severity, n, agents in st.con.execute(sql, args).fetchall()
    ]


@router.get("/")
def overview(
    request: Request, user: UserDep, st: StoreDep, period_text: PeriodDep, shop: str = ""
) -> Response:
    period = parse_period_text(period_text)
    scope = visible_agents(user, st)
    lang = request_lang(request)
    who = None if scope is None else tuple(sorted(scope))
    params = views.overrides(request)
    rows, total = cached_on(
        request,
        st,
        ("overview.kpis", period_text, who, shop),
        period.end,
        lambda st: kpi_rows(st, period, scope, params, shop),
    )
    before = getattr(request.state, "period_info", None)
    previous = before.previous if before is not None else None
    last_total = None
    if previous and total is not None and _has_chats(st, previous):
        last_period = parse_period_text(previous)
        last_total = cached_on(
            request,
            st,
            ("overview.kpis", previous, who, shop),
            last_period.end,
            lambda st: kpi_rows(st, last_period, scope, params, shop),
            absent=([], None),  # a month an import running now fills: no change shown yet
        )[1]
    compliance, note = (
        compliance_status(request, st, period_text, sees_buyer_pii(user))
        if scope is None
        else (None, "")
    )
    return render(
        request,
        "overview.html",
        {
            "period": period_text,
            "columns": metric_columns(lang),
            "rows": rows,
            "total": total,
            "deltas": deltas(total, last_total, lang),
            "previous": previous,
            "scope": "all" if scope is None and not shop else "shop" if shop else user.role,
            "shop": shop,
            "charts": cached_on(
                request,
                st,
                ("overview.charts", period_text, who, lang),
                period.end,
                lambda st: trend_charts(st, period, scope, lang, params),
            ),
            "compliance": compliance,
            "compliance_note": note,
            "case_header": lambda column: case_header(column, lang),
            "findings": top_findings(st, period, scope),
        },
    )


def warm(app: Any) -> None:
    """Compute the default period's platform checks before the first visitor asks (seconds
    on a large store), on a connection of its own; visitors asking meanwhile wait for it."""
    from types import SimpleNamespace

    from kaohe.web.deps import default_period

    with app.state.readers.extra() as st:  # closing the app interrupts it
        cached_checks(SimpleNamespace(app=app), st, default_period(st))  # type: ignore[arg-type]
