"""After-sales metrics: refunds, JD service orders, spot checks, emails and complaint tickets
(spec: metrics.md, "After-sales").

Each source dates its rows by the event the metric counts: refund cases by applied_at,
completions (durations, merchant liability) by completed_at, service-order reviews by
first_reviewed_at and processing by first_result_at, spot checks by their date, tickets by
received_at. Tables without a platform column take the shop's platform from its messages;
refunds take the order's platform first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from kaohe.engine.blocks import delta_ms, seconds_of_day, shop_platforms, with_platform
from kaohe.engine.online import day_offsets, plus_days
from kaohe.engine.params import parse_window
from kaohe.engine.registry import (
    Direction,
    Metric,
    Part,
    SourceDef,
    count,
    counting,
    counting_rows,
    ratio,
    register,
    register_source,
    summing,
)
from kaohe.errors import ConfigError
from kaohe.units import Unit

SECTION = "After-sales"
APPLIED = "refunds_applied"
COMPLETED = "refunds_completed"
ROLLING = "refunds_rolling"
SERVICE_STEPS = "service_order_steps"
SPOT_CHECKS = "spot_checks"
TICKETS = "ticket_deadlines"
DONE = ("success", "closed")  # 退款成功 / 退款关闭: the case is completed (完结)
HOUR_MS = 3_600_000
ROLLING_DAYS = 30


# sources -----------------------------------------------------------------------------------


def _refunds(blocks: Any) -> ir.Table:
    """Refund cases with a platform: the order's, else the shop's."""
    r = blocks.table("refunds")
    o = blocks.table("orders")
    orders = o.select("order_id", order_platform=o.platform)
    shops = shop_platforms(blocks).rename(shop_platform="platform")
    r = r.left_join(orders, "order_id").select(*r.columns, "order_platform")
    r = r.left_join(shops, "shop").select(*r.columns, "shop_platform")
    return r.mutate(
        platform=ibis.coalesce(r.order_platform, r.shop_platform),
        intervened=r.platform_intervened.fill_null(False),
        liable=r.merchant_liable.fill_null(False),
    )


def _applied(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    r = _refunds(blocks)
    return r.mutate(day=r.applied_at.date())


def _completed(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    r = _refunds(blocks)
    r = r.filter(r.status.isin(DONE) & r.completed_at.notnull())
    return r.mutate(day=r.completed_at.date())


def _rolling(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """Each case repeated on the `rolling_days` days from its application on: the rows of day
    d are the cases applied in the `rolling_days` days up to d."""
    r = _refunds(blocks)
    r = r.select("agent", "shop", "platform", "intervened", applied_day=r.applied_at.date())
    k = day_offsets(int(params["rolling_days"]))
    j = r.cross_join(k)
    return j.select(
        "agent", "shop", "platform", "intervened", day=plus_days(j.applied_day, j.k).date()
    )


def _service_steps(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """JD service orders as steps: a `review` (applied → first review) dated by the review,
    a `process` (ready → first result) dated by the result."""
    s = blocks.table("service_orders")
    cols = ("agent", "shop")
    review = s.filter(s.first_reviewed_at.notnull()).select(
        *cols,
        step=ibis.literal("review"),
        begin=s.applied_at,
        end=s.first_reviewed_at,
        awaiting=s.awaiting_feedback.fill_null(False),
    )
    process = s.filter(s.ready_at.notnull() & s.first_result_at.notnull()).select(
        *cols,
        step=ibis.literal("process"),
        begin=s.ready_at,
        end=s.first_result_at,
        awaiting=ibis.literal(False),
    )
    steps = ibis.union(review, process)
    return with_platform(steps.mutate(day=steps.end.date()), blocks)


def _spot_checks(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """One row per review (a review has one row per item). A review scored on its scorecard
    passes at its pass line (80 %); one without a stored score passes when no item failed;
    reviews with neither score nor verdict are not spot checks. Calibration reviews (校准) and
    reviews a recheck (复核) replaced are left out."""
    from kaohe.engine.quality import scored_reviews

    q = blocks.table("qa_reviews")
    q = q.mutate(day=ibis.coalesce(q.date, q.reviewed_at.date()))
    checks = q.group_by("review_id").agg(
        agent=q.agent.max(),
        shop=q.shop.max(),
        day=q.day.max(),
        failed=(q.passed == False).fill_null(False).cast("int64").sum(),  # noqa: E712
        judged=q.passed.count(),
        calibration=(q.intent.fill_null("") == "calibration").any(),
    )
    scores = scored_reviews(blocks).select("review_id", s_passed="passed", s_counted="counted")
    j = checks.left_join(scores, "review_id")
    verdict = ibis.ifelse(j.judged > 0, j.failed == 0, ibis.null("boolean"))
    j = j.mutate(
        passed=ibis.coalesce(j.s_passed, verdict),
        counted=ibis.coalesce(j.s_counted, ~j.calibration),
    )
    j = j.filter(j.passed.notnull() & j.counted)
    return with_platform(j.select("agent", "shop", "day", "passed"), blocks)


def _tickets(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    t = blocks.table("tickets")
    t = t.select(
        "agent", "shop", "buyer", "kind", "received_at", "replied_at", day=t.received_at.date()
    )
    return with_platform(t, blocks)


register_source(SourceDef(APPLIED, _applied, tables=("refunds", "orders", "messages")))
register_source(SourceDef(COMPLETED, _completed, tables=("refunds", "orders", "messages")))
register_source(
    SourceDef(
        ROLLING,
        _rolling,
        params=("rolling_days",),
        tables=("refunds", "orders", "messages"),
        margin_days=ROLLING_DAYS - 1,
        table_margins=(("messages", 1),),  # messages only name the shop's platform
        # a case counts on the rolling_days from its application on, never before it
        table_back=(("refunds", 1), ("orders", 1)),
    )
)  # the default window's reach
register_source(SourceDef(SERVICE_STEPS, _service_steps, tables=("service_orders", "messages")))
register_source(
    SourceDef(
        SPOT_CHECKS,
        _spot_checks,
        tables=("qa_reviews", "qa_review_scores", "messages", "qa_review_voids"),
    )
)
register_source(SourceDef(TICKETS, _tickets, tables=("tickets", "messages")))


# durations -----------------------------------------------------------------------------------


def business_s(begin: ir.TimestampValue, end: ir.TimestampValue, hours: str) -> ir.IntegerValue:
    """Seconds between `begin` and `end` that fall inside the daily `hours` (e.g. 09:00-21:00):
    n full days between them give n × the daily hours, plus the clamped times of day."""
    window = parse_window(hours)
    if window is None:
        return delta_ms(end, begin) // 1000
    if window.crosses_midnight:
        raise ConfigError(
            f"service hours must not cross midnight, got {hours!r}", field="service_hours"
        )
    open_s, close_s = window.start_s, window.end_s

    def clamp(t: ir.TimestampValue) -> ir.IntegerValue:
        return ibis.least(ibis.greatest(seconds_of_day(t), open_s), close_s)

    days = end.date().delta(begin.date(), unit="day")
    return days * (close_s - open_s) + clamp(end) - clamp(begin)


def _ms_when(cond: Any, later: Any, earlier: Any) -> Any:
    return ibis.ifelse(cond, delta_ms(later, earlier), ibis.null("int64"))


def mean_hours(total_ms: str, n: str) -> Any:
    def value(parts: Mapping[str, Any], _: Mapping[str, Any]) -> Any:
        if not parts.get(n) or parts.get(total_ms) is None:
            return None
        return float(parts[total_ms]) / HOUR_MS / float(parts[n])

    return value


# refunds -------------------------------------------------------------------------------------


def _self_refund_only(t: ir.Table) -> Any:
    return (t.type == "refund_only") & ~t.intervened


def _self_return(t: ir.Table) -> Any:
    times = t.agreed_at.notnull() & t.return_received_at.notnull()
    return (t.type == "return_refund") & ~t.intervened & times


def _return_ms(t: ir.Table) -> Any:
    both = delta_ms(t.agreed_at, t.applied_at) + delta_ms(t.completed_at, t.return_received_at)
    return ibis.ifelse(_self_return(t), both, ibis.null("int64"))


def _responded(t: ir.Table, p: Mapping[str, Any]) -> Any:
    limit = float(p["hours"]) * HOUR_MS
    return t.first_response_at.notnull() & (delta_ms(t.first_response_at, t.applied_at) <= limit)


CASES = counting_rows("cases", APPLIED)
PASSED_CHECKS = counting("passed", SPOT_CHECKS, lambda t, p: t.passed)
FAILED_CHECKS = counting("failed", SPOT_CHECKS, lambda t, p: ~t.passed)
CHECKS = counting_rows("checks", SPOT_CHECKS)
SPOT_CHECK_ROWS = (
    "reviews with a score or a pass/fail verdict (kaohe's own 人工抽检); calibration reviews "
    "(a session with several reviewers) left out; dated by the review's date, else reviewed_at"
)
DONE_CASES = counting_rows("completed", COMPLETED)
LIABLE = counting("liable", COMPLETED, lambda t, p: t.liable)


# service orders, tickets --------------------------------------------------------------------


def _step_within(step: str) -> Any:
    def cond(t: ir.Table, p: Mapping[str, Any]) -> Any:
        inside = business_s(t.begin, t.end, p["service_hours"]) <= float(p["minutes"]) * 60
        return (t.step == step) & inside

    return cond


def _steps(step: str) -> Any:
    return lambda t, p: t.step == step


def _hhmm(text: str) -> int:
    window = parse_window(f"{text}-24:00")
    if window is None:  # 00:00
        return 0
    return window.start_s


def _email_on_time(t: ir.Table, p: Mapping[str, Any]) -> Any:
    """Received before `cutoff`: answered by `deadline` that day; else by `deadline` the next
    day."""
    due_days = ibis.ifelse(seconds_of_day(t.received_at) < _hhmm(p["cutoff"]), 0, 1)
    late_days = t.replied_at.date().delta(t.received_at.date(), unit="day")
    in_time = (late_days < due_days) | (
        (late_days == due_days) & (seconds_of_day(t.replied_at) <= _hhmm(p["deadline"]))
    )
    return (t.kind == "email") & t.replied_at.notnull() & in_time


def _complaint_in_time(t: ir.Table, p: Mapping[str, Any]) -> Any:
    limit = float(p["hours"]) * HOUR_MS
    return (
        (t.kind == "complaint")
        & t.replied_at.notnull()
        & (delta_ms(t.replied_at, t.received_at) <= limit)
    )


def _m(
    id: str,
    zh: str,
    en: str,
    unit: Unit,
    direction: Direction,
    grain: str,
    parts: tuple[Part, ...],
    value: Any,
    formula: str,
    source: str = "metrics.md",
    imported_first: bool = False,
    **params: Any,
) -> Metric:
    return Metric(
        id,
        zh,
        en,
        unit,
        direction,
        grain,
        parts,
        value,
        formula,
        params=params,
        section=SECTION,
        source=source,
        imported_first=imported_first,
    )


register(
    _m(
        "aftersales_cases",
        "售后单量",
        "After-sales cases",
        "count",
        "neutral",
        "case",
        (CASES,),
        count("cases"),
        "refund cases applied in the period (dated by applied_at)",
    ),
    _m(
        "refund_duration_h",
        "退款时长",
        "Refund duration (h)",
        "hours",
        "lower",
        "case",
        (
            summing(
                "success_ms",
                COMPLETED,
                lambda t, p: _ms_when(t.status == "success", t.completed_at, t.applied_at),
            ),
            counting("successes", COMPLETED, lambda t, p: t.status == "success"),
        ),
        mean_hours("success_ms", "successes"),
        "mean completed_at − applied_at of successful refunds (dated by completed_at)",
        source="CRM 退款时长 (seed 001)",
    ),
    _m(
        "refund_only_self_h",
        "仅退款自主完结时长",
        "Refund-only self-completion (h)",
        "hours",
        "lower",
        "case",
        (
            summing(
                "ro_ms",
                COMPLETED,
                lambda t, p: _ms_when(_self_refund_only(t), t.completed_at, t.applied_at),
            ),
            counting("ro_cases", COMPLETED, lambda t, p: _self_refund_only(t)),
        ),
        mean_hours("ro_ms", "ro_cases"),
        "mean completed_at − applied_at of refund_only cases completed (success or closed) "
        "without platform intervention (dated by completed_at)",
        source="快手 仅退款自主完结时长 (seed 004)",
    ),
    _m(
        "return_refund_self_h",
        "退货退款自主完结时长",
        "Return-refund self-completion (h)",
        "hours",
        "lower",
        "case",
        (
            summing("rr_ms", COMPLETED, lambda t, p: _return_ms(t)),
            counting("rr_cases", COMPLETED, lambda t, p: _self_return(t)),
        ),
        mean_hours("rr_ms", "rr_cases"),
        "mean (agreed_at − applied_at) + (completed_at − return_received_at) of return_refund "
        "cases completed (success or closed) without platform intervention (dated by "
        "completed_at; cases lacking agreed_at or return_received_at are left out)",
        source="快手 退货退款自主完结时长 (seed 004)",
    ),
    _m(
        "merchant_liable_disputes",
        "商责纠纷单量",
        "Merchant-liable disputes",
        "count",
        "lower",
        "case",
        (LIABLE,),
        count("liable"),
        "completed cases (success or closed) judged merchant-liable (dated by completed_at)",
    ),
    _m(
        "merchant_liable_rate",
        "纠纷商责率",
        "Merchant-liable dispute rate",
        "ratio",
        "lower",
        "case",
        (LIABLE, DONE_CASES),
        ratio("liable", "completed"),
        "merchant_liable_disputes / completed cases (dated by completed_at; 快手 passes with "
        "≤ 4 cases or ≤ 0.35 %)",
        source="快手 纠纷商责率 (seed 004)",
    ),
    _m(
        "intervention_rate",
        "介入率",
        "Platform intervention rate",
        "ratio",
        "lower",
        "case",
        (
            counting("intervened", ROLLING, lambda t, p: t.intervened),
            counting_rows("rolling_cases", ROLLING),
        ),
        ratio("intervened", "rolling_cases"),
        "platform-intervened cases / cases, over the `rolling_days` days up to each day (a case "
        "counts on each of the `rolling_days` days from its application on): by day it is the "
        "rolling rate of that day; over a longer period the ratio of the daily windows' sums. "
        "拼多多's 近30天介入率 is the value of the period's last day",
        source="拼多多 近30天介入率 (seed 004)",
        rolling_days=ROLLING_DAYS,
    ),
    _m(
        "response_48h_rate",
        "48小时响应率",
        "48-hour response rate",
        "ratio",
        "higher",
        "case",
        (counting("responded", APPLIED, _responded), CASES),
        ratio("responded", "cases"),
        "cases with a first merchant response within `hours` of application / cases (dated by "
        "applied_at; 拼多多 approves the refund itself after 48 h)",
        source="拼多多 售后 48 小时 (seed 004)",
        hours=48,
    ),
    _m(
        "resolution_rate",
        "解决率",
        "Resolution rate",
        "ratio",
        "higher",
        "case",
        (counting("resolved", APPLIED, lambda t, p: t.status.isin(DONE) & ~t.intervened), CASES),
        ratio("resolved", "cases"),
        "cases completed (success or closed) without platform intervention / cases (dated by "
        "applied_at)",
        source="售后 解决率 (seed 002)",
    ),
    _m(
        "so_review_20min_rate",
        "服务单审核20分钟达标率",
        "Service-order review 20-min rate",
        "ratio",
        "higher",
        "service order",
        (
            counting("reviewed_in_time", SERVICE_STEPS, _step_within("review")),
            counting("reviewed", SERVICE_STEPS, _steps("review")),
        ),
        ratio("reviewed_in_time", "reviewed"),
        "service orders first reviewed within `minutes` of application, counting only time "
        "inside `service_hours`, / reviewed service orders (dated by first_reviewed_at)",
        source="京东 服务单审核 (seeds 000, 004)",
        minutes=20,
        service_hours="09:00-21:00",
    ),
    _m(
        "so_process_20min_rate",
        "服务单处理20分钟达标率",
        "Service-order processing 20-min rate",
        "ratio",
        "higher",
        "service order",
        (
            counting("processed_in_time", SERVICE_STEPS, _step_within("process")),
            counting("processed", SERVICE_STEPS, _steps("process")),
        ),
        ratio("processed_in_time", "processed"),
        "service orders whose first result came within `minutes` of ready_at, counting only "
        "time inside `service_hours`, / processed service orders (dated by first_result_at)",
        source="京东 服务单处理 (seeds 000, 004)",
        minutes=20,
        service_hours="09:00-21:00",
    ),
    _m(
        "so_awaiting_feedback_rate",
        "待客户反馈率",
        "Awaiting-feedback rate",
        "ratio",
        "lower",
        "service order",
        (
            counting("awaiting", SERVICE_STEPS, lambda t, p: (t.step == "review") & t.awaiting),
            counting("reviewed", SERVICE_STEPS, _steps("review")),
        ),
        ratio("awaiting", "reviewed"),
        "reviewed service orders ever put into awaiting feedback / reviewed service orders "
        "(dated by first_reviewed_at: the data model keeps no later review time)",
        source="京东 待客户反馈率 (seeds 000, 004)",
    ),
    _m(
        "spot_check_pass_rate",
        "服务规范达标率",
        "Spot-check pass rate",
        "ratio",
        "higher",
        "spot check",
        (PASSED_CHECKS, CHECKS),
        ratio("passed", "checks"),
        "抽查达标量/抽查总数: reviews passing (scored on their scorecard: score ≥ its pass "
        f"line, 80 %; otherwise no failed item) / {SPOT_CHECK_ROWS}; calibration reviews (校准) "
        "and reviews a recheck (复核) replaced left out; an imported figure for the agent and "
        "period wins",
        source="京东 服务规范达标率 (seeds 000, 004)",
        imported_first=True,
    ),
    _m(
        "spot_checks",
        "抽检量",
        "Spot checks",
        "count",
        "neutral",
        "spot check",
        (CHECKS,),
        count("checks"),
        f"月度服务单抽检量: {SPOT_CHECK_ROWS}; an imported figure for the agent and period "
        "wins (JD's own 抽检)",
        source="京东 服务规范达标率 (seeds 000, 004)",
        imported_first=True,
    ),
    _m(
        "failed_spot_checks",
        "抽检不达标量",
        "Failed spot checks",
        "count",
        "lower",
        "spot check",
        (FAILED_CHECKS,),
        count("failed"),
        "抽检不达标: the spot checks that did not pass (as spot_check_pass_rate judges them); "
        "0 when every check passed or there was none; an imported figure wins",
        source="京东 服务规范达标率 (seeds 000, 004)",
        imported_first=True,
    ),
    _m(
        "email_on_time_rate",
        "邮件按时回复率",
        "E-mail on-time rate",
        "ratio",
        "higher",
        "ticket",
        (
            counting("emails_on_time", TICKETS, _email_on_time),
            counting("emails", TICKETS, lambda t, p: t.kind == "email"),
        ),
        ratio("emails_on_time", "emails"),
        "e-mails received before `cutoff` answered by `deadline` the same day, received at or "
        "after `cutoff` answered by `deadline` the next day / e-mails (dated by received_at)",
        source="京东 售后邮件时效 (seed 004)",
        cutoff="16:00",
        deadline="18:00",
    ),
    _m(
        "ticket_3h_rate",
        "投诉工单3小时回复率",
        "Complaint tickets answered in 3 h",
        "ratio",
        "higher",
        "ticket",
        (
            counting("complaints_in_time", TICKETS, _complaint_in_time),
            counting("complaint_tickets", TICKETS, lambda t, p: t.kind == "complaint"),
        ),
        ratio("complaints_in_time", "complaint_tickets"),
        "complaint tickets answered within `hours` of receipt / complaint tickets (dated by "
        "received_at)",
        source="京东 投诉工单 (seed 004)",
        hours=3,
    ),
)
