"""Sales, conversion and attribution metrics (spec: metrics.md, "Sales, …").

Sales figures are dated by the payment time of orders paid within the pay horizon; conversion
is a cohort metric dated by the inquiry day. The sources are built in attribution.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis

from kaohe.engine.attribution import ATTRIBUTION_DEFAULTS, CONVERSION_DEFAULTS
from kaohe.engine.registry import (
    Direction,
    Metric,
    Part,
    count,
    counting,
    counting_rows,
    difference,
    ratio,
    register,
    summing,
)
from kaohe.errors import ConfigError
from kaohe.units import Unit

SECTION = "Sales, conversion and attribution"
NET = frozenset(
    {"refund_amount", "net_sales", "refund_rate", "silent_refund_amount", "silent_net_sales"}
)  # settled after clawback_days
REFUND_BY = ("orders", "amount")


def _money(name: str) -> Any:
    def value(p: Mapping[str, Any], _: Mapping[str, Any]) -> float:
        return round(float(p.get(name) or 0.0), 2)

    return value


def _money_ratio(num: str, den: str) -> Any:
    def value(p: Mapping[str, Any], q: Mapping[str, Any]) -> Any:
        v = ratio(num, den)(p, q)
        return None if v is None else round(v, 2)

    return value


def _net(p: Mapping[str, Any], _: Mapping[str, Any]) -> float:
    return round(float(p.get("sales_amount") or 0.0) - float(p.get("refund_amount") or 0.0), 2)


def _silent_net(p: Mapping[str, Any], _: Mapping[str, Any]) -> float:
    net = float(p.get("silent_sales") or 0.0) - float(p.get("silent_refund_amount") or 0.0)
    return round(net, 2)


def _refund_rate(p: Mapping[str, Any], q: Mapping[str, Any]) -> Any:
    by = str(q.get("by", "orders")).strip().lower()
    if by not in REFUND_BY:
        raise ConfigError(f"refund_rate by must be orders or amount, got {by!r}", field="by")
    if by == "amount":
        return ratio("refund_amount", "sales_amount")(p, q)
    return ratio("refunded_orders", "paid_orders")(p, q)


def _m(
    id: str,
    zh: str,
    en: str,
    unit: Unit,
    direction: Direction,
    grain: str,
    parts: tuple,
    value: Any,
    formula: str,
    source: str = "metrics.md",
    conversion: bool = False,
    **params: Any,
) -> Metric:
    defaults = CONVERSION_DEFAULTS if conversion else ATTRIBUTION_DEFAULTS
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
        params={**defaults, **params},
        section=SECTION,
        source=source,
    )


# conversion (cohort of inquiry buyer-days) ---------------------------------------------------
INQUIRY = Part("inquiry_buyers", "inquiries", lambda t, p: t.inquiry, level="buyer_day")
ORDERED = Part("order_buyers", "inquiries", lambda t, p: t.inquiry & t.ordered, level="buyer_day")
PAID = Part("paid_buyers", "inquiries", lambda t, p: t.inquiry & t.paid, level="buyer_day")

# credited sales (dated by payment) -----------------------------------------------------------
SALES = summing("sales_amount", "sales_credited", lambda t, p: t.amount)
ORDERS = counting_rows("paid_orders", "sales_credited")
ITEMS = summing("items_sold", "sales_credited", lambda t, p: t.items)
PAYING = Part("paying_buyers", "sales_credited", lambda t, p: t.buyer.notnull(), level="buyer_day")
REFUND = summing("refund_amount", "sales_credited", lambda t, p: t.refund_amount)
REFUNDED = counting("refunded_orders", "sales_credited", lambda t, p: t.refunded)

# shop level (agent null) ---------------------------------------------------------------------
SILENT = counting("silent_orders", "sales_shop", lambda t, p: t.silent)
SILENT_SALES = summing(
    "silent_sales", "sales_shop", lambda t, p: ibis.ifelse(t.silent, t.amount, 0.0)
)
SILENT_REFUNDS = summing(
    "silent_refund_amount",
    "sales_shop",
    lambda t, p: ibis.ifelse(t.silent, t.refund_amount, 0.0),
)
SILENT_FOLLOWED = counting(
    "silent_followed_orders", "sales_shop", lambda t, p: t.silent_at_creation & t.followed
)

OUTCOME = (
    "an inquiry's outcome is an order the buyer created in the same shop between the "
    "inquiry's first message and `window` after its last; a reception is an after-sales "
    "consultation (not an inquiry) when the buyer paid an order in the shop within "
    "`aftersales_lookback` days before its first message and has no outcome order"
)
CREDIT = (
    "orders paid within `pay_horizon` days of creation, credited to the agent of the "
    "`touch` (last/first) valid reply in [anchor − `window`, anchor), anchor = `anchor`; "
    "dated by payment"
)

register(
    _m(
        "inquiry_buyers",
        "询单人数",
        "Inquiring buyers",
        "count",
        "neutral",
        "buyer-day",
        (INQUIRY,),
        count("inquiry_buyers"),
        f"buyer-days of the agent classified as inquiries; {OUTCOME}",
        conversion=True,
    ),
    _m(
        "order_buyers",
        "询单→下单人数",
        "Inquiries that ordered",
        "count",
        "higher",
        "buyer-day",
        (ORDERED,),
        count("order_buyers"),
        "inquiry buyer-days with ≥1 outcome order credited to the agent",
        conversion=True,
    ),
    _m(
        "paid_buyers",
        "询单→最终付款人数",
        "Inquiries that paid",
        "count",
        "higher",
        "buyer-day",
        (PAID,),
        count("paid_buyers"),
        "inquiry buyer-days with ≥1 outcome order credited to the agent and paid within "
        "`pay_horizon` days",
        conversion=True,
    ),
    _m(
        "consult_to_order_rate",
        "询单转化率(下单)",
        "Inquiry-to-order rate",
        "ratio",
        "higher",
        "buyer-day",
        (ORDERED, INQUIRY),
        ratio("order_buyers", "inquiry_buyers"),
        "order_buyers / inquiry_buyers",
        source="seed 002 咨询转化率",
        conversion=True,
    ),
    _m(
        "order_to_pay_rate",
        "下单→付款转化率",
        "Order-to-payment rate",
        "ratio",
        "higher",
        "buyer-day",
        (PAID, ORDERED),
        ratio("paid_buyers", "order_buyers"),
        "paid_buyers / order_buyers",
        source="seed 002 付款转化率",
        conversion=True,
    ),
    _m(
        "consult_to_pay_rate",
        "询单→最终付款转化率 (成功率)",
        "Inquiry-to-payment rate",
        "ratio",
        "higher",
        "buyer-day",
        (PAID, INQUIRY),
        ratio("paid_buyers", "inquiry_buyers"),
        "paid_buyers / inquiry_buyers",
        source="seed 000 item 2 成功率",
        conversion=True,
    ),
    _m(
        "lost_buyers",
        "询单流失人数",
        "Lost inquiries",
        "count",
        "lower",
        "buyer-day",
        (INQUIRY, PAID),
        difference("inquiry_buyers", "paid_buyers"),
        "inquiry_buyers − paid_buyers",
        conversion=True,
    ),
    _m(
        "sales_amount",
        "客服销售额 (营业额)",
        "Credited sales",
        "yuan",
        "higher",
        "order",
        (SALES,),
        _money("sales_amount"),
        f"Σ paid amount of {CREDIT}",
        source="seed 000 item 1 营业额",
    ),
    _m(
        "paid_orders",
        "成交笔数",
        "Paid orders",
        "count",
        "higher",
        "order",
        (ORDERS,),
        count("paid_orders"),
        f"number of {CREDIT}",
    ),
    _m(
        "items_sold",
        "销售量",
        "Items sold",
        "count",
        "higher",
        "order",
        (ITEMS,),
        count("items_sold"),
        f"Σ items (1 when missing) of {CREDIT}",
    ),
    _m(
        "paying_buyers",
        "成交人数",
        "Paying buyers",
        "count",
        "higher",
        "buyer-day",
        (PAYING,),
        count("paying_buyers"),
        f"buyer-days (by payment date) of {CREDIT}",
    ),
    _m(
        "avg_order_value",
        "客单价",
        "Average order value",
        "yuan",
        "higher",
        "buyer-day",
        (SALES, PAYING),
        _money_ratio("sales_amount", "paying_buyers"),
        "sales_amount / paying_buyers",
        source="seed 000 item 3 (30000 / 100 = 300)",
    ),
    _m(
        "items_per_buyer",
        "客件数",
        "Items per buyer",
        "per_buyer",
        "higher",
        "buyer-day",
        (ITEMS, PAYING),
        ratio("items_sold", "paying_buyers"),
        "items_sold / paying_buyers",
        source="seed 002 客件数",
    ),
    _m(
        "refund_amount",
        "完成退款金额",
        "Refunded amount",
        "yuan",
        "lower",
        "order",
        (REFUND,),
        _money("refund_amount"),
        "completed money refunds (refund_only, return_refund; amount missing = order amount) "
        "and cancellations within `clawback_days` of payment, on credited orders, at most the "
        "order amount; dated by payment",
    ),
    _m(
        "net_sales",
        "净销售额",
        "Net sales",
        "yuan",
        "higher",
        "order",
        (SALES, REFUND),
        _net,
        "sales_amount − refund_amount",
    ),
    _m(
        "refund_rate",
        "退款率",
        "Refund rate",
        "ratio",
        "lower",
        "order",
        (REFUNDED, ORDERS, REFUND, SALES),
        _refund_rate,
        "by=orders: credited paid orders refunded within `clawback_days` / credited paid "
        "orders; by=amount: refund_amount / sales_amount",
        source="seed 002 退款率",
        by="orders",
    ),
    _m(
        "assist_order_buyers",
        "协助下单人数",
        "Assisted before the order",
        "count",
        "higher",
        "buyer-day",
        (
            Part(
                "assist_order_buyers",
                "sales_assists",
                lambda t, p: t.kind == "order",
                level="buyer_day",
            ),
        ),
        count("assist_order_buyers"),
        "buyer-days (by payment date) of paid orders where the agent, not the credited one, "
        "had a touch before the order was created",
    ),
    _m(
        "assist_followup_buyers",
        "协助跟进人数",
        "Assisted the follow-up",
        "count",
        "higher",
        "buyer-day",
        (
            Part(
                "assist_followup_buyers",
                "sales_assists",
                lambda t, p: t.kind == "followup",
                level="buyer_day",
            ),
        ),
        count("assist_followup_buyers"),
        "buyer-days (by payment date) of paid orders where the agent, not the credited one, "
        "sent a valid reply between order creation and payment",
        source="seed 000 item 4",
    ),
    _m(
        "silent_orders",
        "静默订单数",
        "Silent orders",
        "count",
        "neutral",
        "order (shop)",
        (SILENT,),
        count("silent_orders"),
        "shop-level: paid orders with no touch (no credited agent), dated by payment",
    ),
    _m(
        "silent_sales",
        "静默销售额",
        "Silent sales",
        "yuan",
        "neutral",
        "order (shop)",
        (SILENT_SALES,),
        _money("silent_sales"),
        "shop-level: paid amount of silent orders",
        source="seed 000 静默下单",
    ),
    _m(
        "silent_refund_amount",
        "静默退款金额",
        "Silent refunds",
        "yuan",
        "neutral",
        "order (shop)",
        (SILENT_REFUNDS,),
        _money("silent_refund_amount"),
        "shop-level: completed money refunds and cancellations within `clawback_days` of "
        "payment on silent orders (as refund_amount counts them), dated by payment",
        source="seed 004 静默均摊: 月底会把退货减去",
    ),
    _m(
        "silent_net_sales",
        "静默净销售额",
        "Silent net sales",
        "yuan",
        "neutral",
        "order (shop)",
        (SILENT_SALES, SILENT_REFUNDS),
        _silent_net,
        "shop-level: silent_sales − silent_refund_amount (seed 004: 买家没有咨询客服就直接拍的1%"
        "均摊，月结，但是月底会把退货减去)",
        source="seed 004 静默均摊",
    ),
    _m(
        "silent_followed_orders",
        "静默下单跟进付款",
        "Silent orders followed to payment",
        "count",
        "neutral",
        "order (shop)",
        (SILENT_FOLLOWED,),
        count("silent_followed_orders"),
        "shop-level: paid orders with no touch in `window` before creation that received a "
        "valid reply between creation and payment",
    ),
)


def settle_hours(metric: Metric, params: Mapping[str, Any]) -> float:
    """Hours after a period's last day (beyond the reply horizon) before `metric` is final:
    window + pay_horizon for this section, plus clawback_days for the net figures."""
    if metric.section != SECTION and metric.base not in _IDS:
        return 0.0
    from kaohe.engine.attribution import HOUR_MS, Rules

    rules = Rules.of(params)
    hours = (rules.window_ms + rules.pay_horizon_ms) / HOUR_MS
    if metric.id in NET or metric.base in NET:
        hours += rules.clawback_ms / HOUR_MS
    return hours


_IDS = frozenset(
    {
        "inquiry_buyers",
        "order_buyers",
        "paid_buyers",
        "consult_to_order_rate",
        "order_to_pay_rate",
        "consult_to_pay_rate",
        "lost_buyers",
        "sales_amount",
        "paid_orders",
        "items_sold",
        "paying_buyers",
        "avg_order_value",
        "items_per_buyer",
        "refund_amount",
        "net_sales",
        "refund_rate",
        "assist_order_buyers",
        "assist_followup_buyers",
        "silent_orders",
        "silent_sales",
        "silent_refund_amount",
        "silent_net_sales",
        "silent_followed_orders",
    }
)
