"""Shipping, refund reasons, repeat buyers and payment reminders: figures the seeds name that
shops used to type in (issue 15), computed from orders, refunds and chats.

- 延迟发货 (seed 000: 卖家在买家付款后…实际未在72小时内发货; seed 004): paid orders shipped
  after their deadline — the order's own promise (`promised_ship_at`), else `ship_hours`
  after payment, or the end of the `ship_workdays`-th working day after it (Chinese calendar);
- 品质退款率 (拼多多, seed 004: 要是有客户退款就会计入自己的品质退款率): refunds for a quality
  reason ÷ paid orders;
- 客户回头率 (seed 001: 提高客户回头率): paying buyers who had paid the shop before;
- 催付成功率 (seed 001 拍下后未付款跟进; seed 002 催付转化率): unpaid orders an agent reminded
  in chat that were then paid.

Orders carry no agent, so the shipping, refund and repeat-buyer figures are shop-level (null
per agent); a reminder is the agent's who sent it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from kaohe.engine.aftersales import APPLIED
from kaohe.engine.attribution import Rules
from kaohe.engine.blocks import delta_ms
from kaohe.engine.operations import PAID_ORDERS, SECTION
from kaohe.engine.registry import (
    Direction,
    Metric,
    Part,
    SourceDef,
    count,
    counting,
    ratio,
    register,
    register_source,
)
from kaohe.engine.workdays import with_workday_deadline
from kaohe.units import Unit

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
SHIPPING = "ops_shipping"
REMINDERS = "ops_payment_reminders"
RETURNING = "ops_returning_buyers"

# what a payment reminder says (seed 001 拍下后未付款跟进: 您5点之前付款以后我们今天就能发出去
# 了哦; 未付款第二/三天追踪: 请问您还需要吗; 促单: 您看您是否可以找您的朋友代付一下). A message of
# the agent to the buyer between the order and its payment that holds one of these is a
# reminder; the QA process rule no_payment_reminder reads the same list.
REMINDER_PHRASES = (
    "付款",
    "支付",
    "代付",
    "付一下",
    "拍下的宝贝",
    "拍下的商品",
    "还需要吗",
    "还要吗",
)
# refund reasons that are about the goods themselves (拼多多 品质退款)
QUALITY_REASONS = (
    "质量",
    "破损",
    "瑕疵",
    "做工",
    "假货",
    "假冒",
    "与描述不符",
    "描述不符",
    "功能故障",
    "故障",
    "变质",
    "腐烂",
    "材质",
)


def phrase_regex(phrases: Any) -> str:
    """An alternation of literal phrases (a list, or "a, b" from --set)."""
    if isinstance(phrases, str):
        phrases = [p.strip() for p in phrases.split(",") if p.strip()]
    return "|".join(re.escape(str(p)) for p in sorted(set(phrases), key=len, reverse=True))


# shipping ------------------------------------------------------------------------------------


def _shipping(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """Paid orders with their shipping `deadline`, `late` (shipped after it, or not shipped
    and the deadline has passed) and `due` (not cancelled before the deadline); dated by
    payment."""
    o = blocks.table("orders")
    o = o.filter(o.paid_at.notnull())
    o = o.select(
        "order_id",
        "shop",
        "platform",
        "buyer",
        "paid_at",
        "shipped_at",
        "promised_ship_at",
        "cancelled_at",
        amount=o.amount.cast("float64"),
    )
    workdays = int(float(params["ship_workdays"] or 0))
    if workdays > 0:
        o = with_workday_deadline(o, "paid_at", workdays, "_rule_deadline")
    else:
        hours = float(params["ship_hours"])
        o = o.mutate(_rule_deadline=o.paid_at + ibis.interval(milliseconds=int(hours * HOUR_MS)))
    deadline = ibis.coalesce(o.promised_ship_at, o._rule_deadline)
    o = o.mutate(deadline=deadline)
    cancelled_first = o.cancelled_at.notnull() & (
        o.shipped_at.isnull() & (o.cancelled_at <= o.deadline)
    )
    late = ibis.ifelse(
        o.shipped_at.notnull(), o.shipped_at > o.deadline, o.deadline < ibis.now()
    ).fill_null(False)
    return o.select(
        "order_id",
        "shop",
        "platform",
        "buyer",
        "paid_at",
        "shipped_at",
        "deadline",
        "amount",
        agent=ibis.null("string"),
        day=o.paid_at.date(),
        due=o.deadline.notnull() & ~cancelled_first,
        late=o.deadline.notnull() & ~cancelled_first & late,
    )


register_source(
    SourceDef(SHIPPING, _shipping, params=("ship_hours", "ship_workdays"), tables=("orders",))
)
# not stored as per-day facts: an unshipped order turns late as the clock passes its deadline
LATE = counting("late", SHIPPING, lambda t, p: t.late, combine=None)
DUE = counting("due", SHIPPING, lambda t, p: t.due, combine=None)


# quality refunds -------------------------------------------------------------------------------


def _quality(t: ir.Table, p: Mapping[str, Any]) -> ir.BooleanValue:
    return (t.status == "success") & t.reason.fill_null("").re_search(
        phrase_regex(p["quality_reasons"])
    )


# repeat buyers ----------------------------------------------------------------------------------


def _returning(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """One row per paid order: `returning` when the buyer paid another order in the shop on
    an earlier day within `lookback_days` before; dated by payment."""
    lookback_ms = float(params["lookback_days"]) * DAY_MS
    o = blocks.table("orders")
    o = o.filter(o.paid_at.notnull())
    o = o.select("order_id", "shop", "platform", "buyer", "paid_at", day=o.paid_at.date())
    e = o.select(e_shop=o.shop, e_buyer=o.buyer, e_paid=o.paid_at, e_day=o.day)
    j = o.join(e, (o.shop == e.e_shop) & (o.buyer == e.e_buyer))
    j = j.filter((j.e_day < j.day) & (delta_ms(j.paid_at, j.e_paid) <= lookback_ms))
    before = j.select(r_id=j.order_id).distinct()
    o = o.left_join(before, o.order_id == before.r_id)
    return o.select(
        "order_id",
        "shop",
        "platform",
        "buyer",
        "day",
        agent=ibis.null("string"),
        returning=o.r_id.notnull(),
    )


register_source(
    SourceDef(
        RETURNING,
        _returning,
        params=("lookback_days",),
        tables=("orders",),
        margin_days=365,
        table_back=(("orders", 1),),  # an order makes later ones returning, not earlier ones
    )
)


# payment reminders ------------------------------------------------------------------------------


def _reminders(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """Orders an agent reminded to pay: the first valid agent message to the buyer in the
    shop after the order was created and before it was paid (an order unpaid after
    `pay_horizon` days counts as never paid) that holds a reminder phrase. Dated by that
    message, charged to its agent; `paid`: the order was paid after it, within the horizon."""
    horizon_ms = Rules.of(params).pay_horizon_ms
    m, o = blocks.table("messages"), blocks.table("orders")
    if blocks.window is not None:  # a first reminder in the period follows its order by at
        # most the pay horizon, and so does every earlier reminder of that order
        margin = timedelta(milliseconds=horizon_ms) + timedelta(days=1)
        lo = datetime.combine(blocks.window[0], time.min) - margin
        hi = datetime.combine(blocks.window[1], time.min) + timedelta(days=1)
        m = m.filter((m.time >= lo) & (m.time < hi))
        o = o.filter((o.created_at >= lo) & (o.created_at < hi))
    m = m.filter(
        (m.sender == "agent")
        & m.agent.notnull()
        & ~m.auto_reply.fill_null(False)
        & (m.msg_type.fill_null("text") != "withdrawn")
        & m.text.fill_null("").re_search(phrase_regex(params["reminder_phrases"]))
    )
    m = m.select(m_shop=m.shop, m_buyer=m.buyer, m_agent=m.agent, m_time=m.time)
    paid_in_time = o.paid_at.notnull() & (delta_ms(o.paid_at, o.created_at) <= horizon_ms)
    o = o.select(
        "order_id",
        "shop",
        "platform",
        "buyer",
        "created_at",
        paid_time=ibis.ifelse(paid_in_time, o.paid_at, ibis.null("timestamp")),
    )
    j = o.join(m, (o.shop == m.m_shop) & (o.buyer == m.m_buyer))
    before_payment = ibis.ifelse(
        j.paid_time.notnull(),
        j.m_time < j.paid_time,
        delta_ms(j.m_time, j.created_at) <= horizon_ms,
    )
    j = j.filter((j.m_time > j.created_at) & before_payment)
    first = j.group_by(["order_id", "shop", "platform", "buyer"]).agg(
        reminded_at=j.m_time.min(),
        agent=j.m_agent.argmin(j.m_time),
        paid=j.paid_time.notnull().max(),
    )
    return first.mutate(day=first.reminded_at.date())


register_source(
    SourceDef(
        REMINDERS,
        _reminders,
        params=("reminder_phrases", "pay_horizon"),
        tables=("orders", "messages"),
        margin_days=3,
        # a reminder follows its order; a later message is never an earlier order's first one
        table_back=(("orders", 1), ("messages", 1)),
    )
)


# registry ---------------------------------------------------------------------------------------


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
    source: str,
    imported_first: bool = True,
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


DEADLINE = (
    "a paid order's shipping deadline is its own promise (promised_ship_at, 承诺发货时间) "
    "when given, else `ship_hours` after payment (seed 000: 72 小时), or — with "
    "`ship_workdays` > 0 — the end of that many working days after the payment date on the "
    "Chinese holiday calendar; an order cancelled unshipped before its deadline is not due"
)

register(
    _m(
        "late_shipments",
        "延迟发货单量",
        "Late shipments",
        "count",
        "lower",
        "order (shop)",
        (LATE,),
        count("late"),
        f"shop-level: paid orders shipped after their deadline, or not shipped and the "
        f"deadline passed; {DEADLINE}; dated by payment",
        "seeds 000, 004 延迟发货",
        imported_first=False,
        ship_hours=72,
        ship_workdays=0,
    ),
    _m(
        "late_shipment_rate",
        "延迟发货率",
        "Late-shipment rate",
        "ratio",
        "lower",
        "order (shop)",
        (LATE, DUE),
        ratio("late", "due"),
        f"shop-level: late_shipments / paid orders due to ship; {DEADLINE}; dated by payment",
        "seeds 000, 004 延迟发货",
        imported_first=False,
        ship_hours=72,
        ship_workdays=0,
    ),
    _m(
        "quality_refund_rate",
        "品质退款率",
        "Quality refund rate",
        "ratio",
        "lower",
        "order (shop)",
        (counting("quality_refunds", APPLIED, _quality), PAID_ORDERS),
        ratio("quality_refunds", "paid_orders"),
        "successful refunds whose reason (refunds.reason, 退款原因) holds one of "
        "`quality_reasons` (dated by applied_at) / paid orders (dated by paid_at); orders are "
        "shop-level, so null per agent; an imported figure for the subject wins",
        "拼多多 品质退款率 (seed 004)",
        quality_reasons=list(QUALITY_REASONS),
    ),
    _m(
        "repeat_buyer_rate",
        "客户回头率",
        "Repeat-buyer rate",
        "ratio",
        "higher",
        "buyer-day (shop)",
        (
            Part("returning_buyers", RETURNING, lambda t, p: t.returning, level="buyer_day"),
            Part("paying_buyers", RETURNING, lambda t, p: t.buyer.notnull(), level="buyer_day"),
        ),
        ratio("returning_buyers", "paying_buyers"),
        "shop-level: buyer-days with a paid order whose buyer had paid the shop on an earlier "
        "day within `lookback_days` / buyer-days with a paid order (dated by payment); an "
        "imported figure for the subject wins",
        "seed 001 提高客户回头率",
        lookback_days=180,
    ),
    Metric(
        "payment_reminder_rate",
        "催付成功率",
        "Payment-reminder success",
        "ratio",
        "higher",
        "order",
        (
            counting("reminded_paid", REMINDERS, lambda t, p: t.paid),
            counting("reminded", REMINDERS, lambda t, p: t.order_id.notnull()),
        ),
        ratio("reminded_paid", "reminded"),
        "orders an agent reminded to pay — the first valid reply to the buyer in the shop "
        "after the order was created and before its payment (unpaid: within `pay_horizon` "
        "days) holding one of `reminder_phrases` — that were then paid within `pay_horizon` "
        "days of creation / orders reminded; dated by the reminder, charged to its agent; an "
        "imported figure for the subject wins",
        params={"reminder_phrases": list(REMINDER_PHRASES), "pay_horizon": 3},
        section=SECTION,
        source="seed 001 拍下后未付款跟进; seed 002 催付转化率",
        imported_first=True,
    ),
)
