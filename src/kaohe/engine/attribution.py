"""Attribution of orders to agents (落实/协助/静默): the sources the sales metrics read.

Spec: metrics.md, "Sales, conversion and attribution". For each order the *touches* are the
valid replies the buyer got from agents of the same shop in [anchor − window, anchor); the
credited agent (落实客服) is the agent of the last (or first) touch, ties broken by time, then
file order (seq), then agent name, so exactly one agent is credited (seed 000: 成功只会计入一个
客服头上). Everything is Ibis and portable: equi-joins filtered by `delta`, row numbers.

Internal sources (shared by the metric sources, materialised once per evaluation):
`attribution_replies`, `attribution_touches`, `attribution_followers`, `attributed_orders`.
Metric sources: `sales_credited`, `sales_shop`, `sales_assists`, `inquiries`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from kaohe.engine.blocks import delta_ms, dress
from kaohe.engine.params import BlockParams, resolve
from kaohe.engine.registry import SourceDef, register_source
from kaohe.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from kaohe.store import Store

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
ANCHORS = ("order", "payment", "order_first")
TOUCHES = ("last", "first")
WINDOW_RANGE_H = (1.0, 15 * 24.0)
MONEY_REFUNDS = ("refund_only", "return_refund")  # exchange / repair / reship move no money

ATTRIBUTION_DEFAULTS: dict[str, Any] = {
    "window": 48,  # hours (or "48h", "2d"); 1 h – 15 days
    "anchor": "order",  # order (落实下单) | payment (落实付款) | order_first (下单优先)
    "touch": "last",  # last | first
    "pay_horizon": 3,  # days after creation within which a payment counts (Taobao closes at 3)
    "clawback_days": 15,  # refunds / cancellations within this many days of payment are netted
}
# a buyer-day is an after-sales consultation when the buyer paid an order in the shop within
# this many days before it (and places no new order within the window after it)
CONVERSION_DEFAULTS: dict[str, Any] = {**ATTRIBUTION_DEFAULTS, "aftersales_lookback": 15}
ATTRIBUTION_PARAMS = tuple(ATTRIBUTION_DEFAULTS)
CONVERSION_PARAMS = tuple(CONVERSION_DEFAULTS)
# facts (default parameters): a reply on day d moves credits of orders paid up to window +
# pay_horizon (+1 partial day) = 6 days later and inquiries that long before; a paid order moves
# the after-sales classification up to aftersales_lookback (15) days later and a refund the net
# figures of a payment up to clawback_days (15) earlier: 15 + 6 = 21
MARGIN_DAYS = 21

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|d|m|min)?\s*$", re.IGNORECASE)
_UNIT_H = {None: 1.0, "h": 1.0, "d": 24.0, "m": 1 / 60, "min": 1 / 60}


@dataclass(frozen=True)
class Rules:
    """The attribution parameters, validated."""

    window_ms: int
    anchor: str
    touch: str
    pay_horizon_ms: int
    clawback_ms: int
    lookback_ms: int

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> Rules:
        p = {**CONVERSION_DEFAULTS, **{k: v for k, v in params.items() if v is not None}}
        anchor, touch = str(p["anchor"]).strip().lower(), str(p["touch"]).strip().lower()
        if anchor not in ANCHORS:
            raise ConfigError(
                f"anchor must be one of {', '.join(ANCHORS)}, got {anchor!r}", field="anchor"
            )
        if touch not in TOUCHES:
            raise ConfigError(f"touch must be last or first, got {touch!r}", field="touch")
        return cls(
            window_ms=int(window_hours(p["window"]) * HOUR_MS),
            anchor=anchor,
            touch=touch,
            pay_horizon_ms=_days_ms(p["pay_horizon"], "pay_horizon"),
            clawback_ms=_days_ms(p["clawback_days"], "clawback_days"),
            lookback_ms=_days_ms(p["aftersales_lookback"], "aftersales_lookback"),
        )

    @property
    def window_days(self) -> int:
        return -(-self.window_ms // DAY_MS)

    @property
    def pay_days(self) -> int:
        return -(-self.pay_horizon_ms // DAY_MS)


def window_hours(value: Any) -> float:
    """The attribution window in hours: a number of hours, or "36h", "2d", "90m";
    1 h – 15 days, else ConfigError."""
    match = None if isinstance(value, bool) else _DURATION.match(str(value))
    if not match:
        raise ConfigError(
            f"window must be hours (48) or a duration (48h, 2d), got {value!r}", field="window"
        )
    hours = float(match[1]) * _UNIT_H[match[2].lower() if match[2] else None]
    if not WINDOW_RANGE_H[0] <= hours <= WINDOW_RANGE_H[1]:
        raise ConfigError(f"window must be between 1 h and 15 days, got {value!r}", field="window")
    return hours


def _days_ms(value: Any, name: str) -> int:
    try:
        days = float(value)
    except (TypeError, ValueError):
        days = -1.0
    if isinstance(value, bool) or days < 0:
        raise ConfigError(f"{name} must be a number of days ≥ 0, got {value!r}", field=name)
    return int(days * DAY_MS)


# orders and replies ----------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min)


def prepared_orders(orders: ir.Table, rules: Rules) -> ir.Table:
    """Orders with `paid_time`: the payment when it came within the pay horizon, else null."""
    o = orders
    paid = o.paid_at.notnull() & (delta_ms(o.paid_at, o.created_at) <= rules.pay_horizon_ms)
    return o.select(
        "order_id",
        "shop",
        "platform",
        "buyer",
        "created_at",
        "cancelled_at",
        paid_time=ibis.ifelse(paid, o.paid_at, ibis.null("timestamp")),
        amount=o.amount.cast("float64").fill_null(0.0),
        items=o.items.cast("int64").fill_null(1),
    )


def _orders(blocks: Any, rules: Rules, order_id: str | None = None) -> ir.Table:
    """The orders a period needs: paid in it (created up to pay_horizon before), or the outcome
    of an inquiry in it (created up to the window after its last day)."""
    o = blocks.table("orders")
    if order_id is not None:
        o = o.filter(o.order_id == order_id)
    elif blocks.window is not None:
        lo = _midnight(blocks.window[0]) - timedelta(days=rules.pay_days + 1)
        hi = _midnight(blocks.window[1]) + timedelta(days=rules.window_days + 2)
        o = o.filter((o.created_at >= lo) & (o.created_at < hi))
    return prepared_orders(o, rules)


def message_days(params: Mapping[str, Any]) -> int:
    """Days of replies beyond the period attribution reads: window and pay horizon, + 1."""
    rules = Rules.of(params)
    return rules.window_days + rules.pay_days + 1


def _replies(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """Valid replies (shop, buyer, agent, time, seq) over the period widened by the window and
    the pay horizon either side: the message blocks only reach one reply horizon out."""
    from kaohe.engine.compute import Blocks

    if blocks.window is None or blocks.scope_days >= message_days(params):
        r = blocks.get("replies")
    else:  # parameters beyond what the evaluator loaded: a wider pass of its own
        margin = timedelta(days=message_days(params))
        wide = (blocks.window[0] - margin, blocks.window[1] + margin)
        r = Blocks(blocks.con, blocks.bp, wide, cache=False).get("replies")
    return blocks.keep(r.select("shop", "buyer", "agent", "time", "seq"))


def _touches(
    o: ir.Table, replies: ir.Table, anchor: ir.Value, window_ms: int, kind: str
) -> ir.Table:
    """Valid replies to the order's buyer from the shop's agents in [anchor − window, anchor)."""
    a = o.select("order_id", "created_at", o_shop=o.shop, o_buyer=o.buyer, anchor=anchor)
    j = a.join(replies, [a.o_shop == replies.shop, a.o_buyer == replies.buyer])
    j = j.filter((j.time < j.anchor) & (delta_ms(j.anchor, j.time) <= window_ms))
    return j.select(
        "order_id", "agent", "time", "seq", "created_at", "anchor", kind=ibis.literal(kind)
    )


def touch_table(o: ir.Table, replies: ir.Table, rules: Rules) -> ir.Table:
    """Touches under the order anchor (kind "order", which decide silence at creation) and,
    unless the anchor is the order, under the payment anchor (kind "payment"; an unpaid order
    falls back to its creation). `effective` marks the anchor that decides; `rank` 0 of the
    effective touches is the credited one."""
    at_order = _touches(o, replies, o.created_at, rules.window_ms, "order")
    if rules.anchor == "order":
        t = at_order.mutate(effective=ibis.literal(True))
    else:
        at_pay = _touches(
            o, replies, ibis.coalesce(o.paid_time, o.created_at), rules.window_ms, "payment"
        )
        t = ibis.union(at_order, at_pay)
        if rules.anchor == "payment":
            t = t.mutate(effective=t.kind == "payment")
        else:  # order_first: the order anchor when it finds an agent, else the payment anchor
            hit = at_order.select(hit_id=at_order.order_id).distinct()
            t = t.left_join(hit, t.order_id == hit.hit_id)
            t = t.mutate(
                effective=ibis.ifelse(t.hit_id.notnull(), t.kind == "order", t.kind == "payment")
            ).drop("hit_id")
    order = (
        [ibis.desc("time"), ibis.desc("seq"), "agent"]
        if rules.touch == "last"
        else ["time", "seq", "agent"]
    )
    w = ibis.window(group_by=["order_id", "effective"], order_by=order)
    return t.mutate(rank=ibis.row_number().over(w))


def follower_table(o: ir.Table, replies: ir.Table) -> ir.Table:
    """(order_id, agent, time, seq) for valid replies between creation and payment."""
    p = o.filter(o.paid_time.notnull())
    p = p.select("order_id", "created_at", "paid_time", o_shop=p.shop, o_buyer=p.buyer)
    j = p.join(replies, [p.o_shop == replies.shop, p.o_buyer == replies.buyer])
    j = j.filter((j.time >= j.created_at) & (j.time < j.paid_time))
    return j.select("order_id", "agent", "time", "seq")


def refund_table(o: ir.Table, refunds: ir.Table, rules: Rules) -> ir.Table:
    """(order_id, refund_amount): completed money refunds and cancellations of paid orders
    within clawback_days of payment, at most the order's amount."""
    r = refunds
    done = (r.status == "success") | (r.status.isnull() & r.completed_at.notnull())
    r = r.filter(done & r.type.isin(list(MONEY_REFUNDS)))
    r = r.select(
        r_id=r.order_id,
        r_amount=r.amount.cast("float64"),
        r_time=ibis.coalesce(r.completed_at, r.agreed_at, r.applied_at),
    )
    p = o.filter(o.paid_time.notnull()).select("order_id", "paid_time", "amount", "cancelled_at")
    j = p.join(r, p.order_id == r.r_id)
    j = j.filter(delta_ms(j.r_time, j.paid_time) <= rules.clawback_ms)
    refunded = j.group_by("order_id").agg(refund_sum=ibis.coalesce(j.r_amount, j.amount).sum())
    p = p.left_join(refunded, p.order_id == refunded.order_id).drop("order_id_right")
    cancelled = p.cancelled_at.notnull() & (
        delta_ms(p.cancelled_at, p.paid_time) <= rules.clawback_ms
    )
    taken = ibis.greatest(
        p.refund_sum.fill_null(0.0), ibis.ifelse(cancelled, p.amount, ibis.literal(0.0))
    )
    return p.select("order_id", refund_amount=ibis.least(taken, p.amount))


def attributed(
    o: ir.Table,
    touches: ir.Table,
    followers: ir.Table,
    refunds: ir.Table,
    overrides: ir.Table | None = None,
) -> ir.Table:
    """One row per order: credited agent (null = silent), silence at creation, follow-up
    before payment, refund within the clawback. `overrides` (credit_overrides: an accepted
    appeal credited the order to an agent, kaohe.qa.appeals) take the place of the rule's
    choice; `overridden` marks them."""
    return netted(by_rule(o, touches, followers), refunds, overrides)


BY_RULE = (
    "order_id",
    "shop",
    "platform",
    "buyer",
    "created_at",
    "cancelled_at",
    "paid_time",
    "amount",
    "items",
    "by_rule",
    "credited_time",
    "anchor_kind",
    "silent_at_creation",
    "followed",
)


def by_rule(o: ir.Table, touches: ir.Table, followers: ir.Table) -> ir.Table:
    """One row per order (`prepared_orders`) with what its touches decide: the agent the rule
    credits (`by_rule`), that touch's time and anchor, silence at creation, follow-up before
    payment — what the facts store per order; refunds and overrides come after (`netted`)."""
    credited = touches.filter(touches.effective & (touches.rank == 0))
    credited = credited.select(
        c_id=credited.order_id,
        by_rule=credited.agent,
        credited_time=credited.time,
        anchor_kind=credited.kind,
    )
    hit = touches.filter(touches.kind == "order").select(h_id=touches.order_id).distinct()
    followed = followers.select(f_id=followers.order_id).distinct()
    a = o.left_join(credited, o.order_id == credited.c_id)
    a = a.left_join(hit, a.order_id == hit.h_id)
    a = a.left_join(followed, a.order_id == followed.f_id)
    return a.select(*BY_RULE[:-2], silent_at_creation=a.h_id.isnull(), followed=a.f_id.notnull())


def netted(a: ir.Table, refunds: ir.Table, overrides: ir.Table | None = None) -> ir.Table:
    """`by_rule` rows with the refunds (`refund_table`) netted and the overrides applied."""
    a = a.left_join(refunds, a.order_id == refunds.order_id)
    if overrides is None:
        a = a.mutate(credited=a.by_rule, overridden=ibis.literal(False))
    else:
        v = overrides.select(v_id=overrides.order_id, v_agent=overrides.agent)
        a = a.left_join(v, a.order_id == v.v_id)
        a = a.mutate(credited=ibis.coalesce(a.v_agent, a.by_rule), overridden=a.v_id.notnull())
    refund = a.refund_amount.fill_null(0.0)
    return a.select(
        "order_id",
        "shop",
        "platform",
        "buyer",
        "created_at",
        "paid_time",
        "amount",
        "items",
        "credited",
        "credited_time",
        "anchor_kind",
        "overridden",
        silent=a.credited.isnull(),
        silent_at_creation=a.silent_at_creation,
        followed=a.followed,
        refund_amount=refund,
        refunded=refund > 0,
    )


# registered sources -------------------------------------------------------------------------


def _touch_source(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    rules = Rules.of(params)
    replies = blocks.get("attribution_replies", params)
    return blocks.keep(touch_table(_orders(blocks, rules), replies, rules))


def _follower_source(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    rules = Rules.of(params)
    replies = blocks.get("attribution_replies", params)
    return blocks.keep(follower_table(_orders(blocks, rules), replies))


def _by_rule_source(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """The orders' `by_rule` rows; in a facts refresh that nets refunds on days whose touches
    did not change, the rows the facts stored for those days (kaohe.engine.facts)."""
    stored = blocks.stored_rows("attribution_by_rule", params)
    if stored is not None:
        return stored.select(*BY_RULE)
    rules = Rules.of(params)
    # kept: the netting reads it twice, and a facts refresh stores it
    return blocks.keep(
        by_rule(
            _orders(blocks, rules),
            blocks.get("attribution_touches", params),
            blocks.get("attribution_followers", params),
        )
    )


def _attributed_source(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    rules = Rules.of(params)
    a = blocks.get("attribution_by_rule", params)
    refunds = refund_table(a, blocks.table("refunds"), rules)
    return blocks.keep(netted(a, refunds, blocks.table("credit_overrides")))


def _paid(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    a = blocks.get("attributed_orders", params)
    return a.filter(a.paid_time.notnull()).mutate(day=a.paid_time.date())


def _credited_sales(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """Paid orders credited to an agent, dated by payment."""
    a = _paid(blocks, params)
    return a.filter(a.credited.notnull()).mutate(agent=a.credited)


def _shop_sales(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """Every paid order, for shop-level figures (agent null)."""
    return _paid(blocks, params).mutate(agent=ibis.null("string"))


def assist_table(paid: ir.Table, touches: ir.Table, followers: ir.Table) -> ir.Table:
    """(order_id, agent, kind): 协助下单 = other agents with effective touches before the
    order was created; 协助跟进 = other agents replying between creation and payment."""
    before = touches.filter(touches.effective & (touches.time < touches.created_at))
    before = before.select("order_id", "agent", kind=ibis.literal("order"))
    after = followers.select("order_id", "agent", kind=ibis.literal("followup"))
    both = ibis.union(before, after, distinct=True)
    cols = paid.select(
        p_id=paid.order_id,
        shop=paid.shop,
        platform=paid.platform,
        buyer=paid.buyer,
        day=paid.day,
        credited=paid.credited,
    )
    j = both.join(cols, both.order_id == cols.p_id)
    j = j.filter(j.credited.isnull() | (j.agent != j.credited))
    return j.select("order_id", "agent", "kind", "shop", "platform", "buyer", "day")


def _assists(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    return assist_table(
        _paid(blocks, params),
        blocks.get("attribution_touches", params),
        blocks.get("attribution_followers", params),
    )


def receptions(blocks: Any) -> ir.Table:
    """One row per reception (shop, buyer, agent, day) with its platform and its first and
    last buyer message. Grouped on the numbers (thread, agent) — one to one with the names —
    and only then named: the names join the receptions, not every buyer message."""
    b = blocks.block("buyer_messages")
    rec = b.group_by(["tid", "aid", "day"]).agg(first=b.time.min(), last=b.time.max())
    threads, agents = blocks.dims()
    rec = dress(rec, threads, agents)
    return rec.select("shop", "buyer", "agent", "day", "platform", "first", "last")


def inquiry_table(rec: ir.Table, orders: ir.Table, prior: ir.Table, rules: Rules) -> ir.Table:
    """One row per reception (`receptions`) with `inquiry` (not an after-sales consultation),
    `ordered` (≥1 outcome order credited to the agent) and `paid` (≥1 such order paid).
    Outcome: an order of the buyer in the shop created between the reception's first message
    and `window` after its last."""
    keys = ["shop", "buyer", "agent", "day"]
    oc = orders.select(
        o_shop=orders.shop,
        o_buyer=orders.buyer,
        created_at=orders.created_at,
        credited=orders.credited,
        paid_time=orders.paid_time,
    )
    j = rec.join(oc, [rec.shop == oc.o_shop, rec.buyer == oc.o_buyer])
    j = j.filter((j.created_at >= j.first) & (delta_ms(j.created_at, j.last) <= rules.window_ms))
    mine = j.credited.notnull() & (j.credited == j.agent)
    outcome = j.group_by(keys).agg(
        any_order=j.created_at.count(),
        ordered=mine.cast("int64").max(),
        paid=(mine & j.paid_time.notnull()).cast("int64").max(),
    )
    pr = prior.filter(prior.paid_time.notnull())
    pr = pr.select(p_shop=pr.shop, p_buyer=pr.buyer, paid_time=pr.paid_time)
    k = rec.join(pr, [rec.shop == pr.p_shop, rec.buyer == pr.p_buyer])
    k = k.filter((k.paid_time < k.first) & (delta_ms(k.first, k.paid_time) <= rules.lookback_ms))
    before = k.group_by(keys).agg(bought_before=k.paid_time.count())
    out = rec.left_join(outcome, keys).select(*rec.columns, "any_order", "ordered", "paid")
    out = out.left_join(before, keys).select(*out.columns, "bought_before")
    aftersales = out.bought_before.notnull() & out.any_order.isnull()
    return out.select(
        *keys,
        "platform",
        "first",
        "last",
        inquiry=~aftersales,
        ordered=out.ordered.fill_null(0) == 1,
        paid=out.paid.fill_null(0) == 1,
    )


def _inquiries(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    rules = Rules.of(params)
    prior = blocks.table("orders")
    if blocks.window is not None:
        lo = (
            _midnight(blocks.window[0])
            - timedelta(milliseconds=rules.lookback_ms + rules.pay_horizon_ms)
            - timedelta(days=1)
        )
        prior = prior.filter(
            (prior.created_at >= lo)
            & (prior.created_at < _midnight(blocks.window[1]) + timedelta(days=2))
        )
    prior = prepared_orders(prior, rules)
    return inquiry_table(receptions(blocks), blocks.get("attributed_orders", params), prior, rules)


_TABLES = ("orders", "refunds", "messages", "credit_overrides")
# a reply on day d moves credits of orders paid up to message_days later (the window and the
# pay horizon, + 1 partial day) and receptions the day before (the reply horizon): not 21 days
_REPLIES = (("messages", message_days(ATTRIBUTION_DEFAULTS)),)
# backwards (default parameters): a reply or an order moves credits of orders paid on or after
# its day, and a reply the receptions of the day before (the reply horizon); an order is the
# outcome of receptions up to the window (2 days) + 1 before its creation, and a reply credits
# it, so receptions move that far back too; refunds do not reach the receptions or assists
_SALES_BACK = (("orders", 1), ("messages", 1))
_INQUIRY_BACK = (("orders", 3), ("messages", 3), ("refunds", 1))
_NET = ("refunds", "credit_overrides")  # applied to the stored attribution (`by_rule` rows)
for _name, _build, _params, _scope, _back, _net in (
    ("attribution_replies", _replies, ("window", "pay_horizon"), None, (), ()),
    ("attribution_touches", _touch_source, ATTRIBUTION_PARAMS, None, (), ()),
    ("attribution_followers", _follower_source, ATTRIBUTION_PARAMS, None, (), ()),
    ("attribution_by_rule", _by_rule_source, ATTRIBUTION_PARAMS, None, (), ()),
    ("attributed_orders", _attributed_source, ATTRIBUTION_PARAMS, None, (), ()),
    ("sales_credited", _credited_sales, ATTRIBUTION_PARAMS, message_days, _SALES_BACK, _NET),
    ("sales_shop", _shop_sales, ATTRIBUTION_PARAMS, message_days, _SALES_BACK, _NET),
    (
        "sales_assists",
        _assists,
        ATTRIBUTION_PARAMS,
        message_days,
        (*_SALES_BACK, ("refunds", 1)),
        (),
    ),
    ("inquiries", _inquiries, CONVERSION_PARAMS, message_days, _INQUIRY_BACK, ()),
):
    register_source(
        SourceDef(
            _name,
            _build,
            _params,
            _TABLES,
            MARGIN_DAYS,
            _scope,
            table_margins=_REPLIES,
            table_back=_back,
            net_tables=_net,
        )
    )


# kaohe credit ---------------------------------------------------------------------------------


def credit_params(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The attribution and block parameters for `kaohe credit`: defaults, then plain
    overrides, then `credit.<param>` ones."""
    return resolve("credit", ATTRIBUTION_DEFAULTS, frozenset(), overrides)


def credit(store: Store, order_id: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Which agent an order is credited to, its touches (and the replies just outside the
    window), assists, the deciding rule and a reason in Chinese and English."""
    from kaohe.engine import bound

    p = credit_params(params)
    rules = Rules.of(p)
    found = store.con.execute(
        "SELECT shop, buyer FROM orders WHERE order_id = ?", [order_id]
    ).fetchone()
    if found is None:
        raise NotFoundError(f"unknown order {order_id!r}")
    values = {"order": order_id, "shop": found[0], "buyer": found[1]}
    key = repr(sorted(p.items()))

    def query(part: str) -> list[dict[str, Any]]:
        return bound.run(store, ("credit", part, key), lambda: _credit_part(store, p, part), values)

    row = query("order")[0]
    all_touches = query("touches")
    follow = query("followers")
    replies = query("replies")
    eff = [t for t in all_touches if t["effective"]]
    kind = _anchor_used(rules.anchor, any(t["kind"] == "order" for t in all_touches))
    anchor_time = row["created_at"] if kind == "order" else (row["paid_time"] or row["created_at"])
    nearby = _nearby(row, replies, anchor_time, rules)
    assists_before = sorted(
        {t["agent"] for t in eff if t["time"] < row["created_at"]} - {row["credited"]}
    )
    assists_after = sorted({f["agent"] for f in follow} - {row["credited"]})
    return {
        "order_id": order_id,
        "shop": row["shop"],
        "platform": row["platform"],
        "buyer": row["buyer"],
        "created_at": row["created_at"],
        "paid_at": row["paid_time"],
        "paid": row["paid_time"] is not None,
        "amount": row["amount"],
        "items": row["items"],
        "credited_agent": row["credited"],
        "overridden": row["overridden"],
        "silent": row["silent"],
        "silent_at_creation": row["silent_at_creation"],
        "followed_before_payment": row["followed"],
        "refund_amount": row["refund_amount"],
        "rule": {
            "anchor": rules.anchor,
            "anchor_used": kind,
            "anchor_time": anchor_time,
            "touch": rules.touch,
            "window_h": rules.window_ms / HOUR_MS,
            "window_from": anchor_time - timedelta(milliseconds=rules.window_ms),
            "pay_horizon_days": rules.pay_horizon_ms / DAY_MS,
            "clawback_days": rules.clawback_ms / DAY_MS,
        },
        "touches": [_touch_row(r, row, anchor_time, rules) for r in nearby],
        "assist_order": assists_before,
        "assist_followup": assists_after,
        "reason": _reason(row, rules, kind),
    }


def _anchor_used(anchor: str, touched_before_order: bool) -> str:
    if anchor == "order_first":
        return "order" if touched_before_order else "payment"
    return anchor


def _credit_part(store: Store, p: Mapping[str, Any], part: str) -> ir.Table:
    """One query of `credit` for any order (its id, shop and buyer are placeholders: compiled
    once, kaohe.engine.bound): "order" (its attribution row), "touches", "followers", or
    "replies" (the thread's valid replies, time order). Only the order's thread is read —
    every figure here joins it — and the whole of it (one thread is small)."""
    from kaohe.engine.bound import placeholder
    from kaohe.engine.compute import Blocks
    from kaohe.engine.conversation import Narrowed, Scope

    rules = Rules.of(p)
    thread = Scope(shop=placeholder("shop"), buyer=placeholder("buyer"))
    blocks = Blocks(Narrowed(store.ibis(), thread), BlockParams.from_params(p), None, cache=False)
    o = _orders(blocks, rules, placeholder("order"))
    replies = _replies(blocks, p)
    if part == "replies":
        return replies.select("agent", "time", "seq").order_by(["time", "seq"])
    touches = touch_table(o, replies, rules)
    followers = follower_table(o, replies)
    if part == "touches":
        return touches
    if part == "followers":
        return followers
    refunds = refund_table(o, blocks.table("refunds"), rules)
    return attributed(o, touches, followers, refunds, blocks.table("credit_overrides"))


def _nearby(
    order: dict[str, Any], replies: list[dict[str, Any]], anchor_time: datetime, rules: Rules
) -> list[dict[str, Any]]:
    """The thread's valid replies from one window before the window up to the payment (or the
    anchor), to show what fell inside and just outside."""
    lo = anchor_time - 2 * timedelta(milliseconds=rules.window_ms)
    end = max(order["paid_time"] or order["created_at"], anchor_time)
    return [r for r in replies if lo <= r["time"] <= end]


def _touch_row(
    r: dict[str, Any], order: dict[str, Any], anchor_time: datetime, rules: Rules
) -> dict[str, Any]:
    before_ms = (anchor_time - r["time"]) / timedelta(milliseconds=1)
    if r["time"] >= anchor_time:
        where = "after_anchor"
    elif before_ms > rules.window_ms:
        where = "before_window"
    else:
        where = "in_window"
    credited = (
        where == "in_window"
        and r["agent"] == order["credited"]
        and r["time"] == order["credited_time"]
    )
    return {
        "agent": r["agent"],
        "time": r["time"],
        "seq": r["seq"],
        "position": where,
        "seconds_before_anchor": before_ms / 1000.0,
        "credited": credited,
    }


def _reason(row: dict[str, Any], rules: Rules, kind: str) -> dict[str, str]:
    hours = f"{rules.window_ms / HOUR_MS:g}"
    anchor_zh = {"order": "下单", "payment": "付款"}[kind]
    anchor_en = {"order": "the order", "payment": "the payment"}[kind]
    if row["silent"]:
        zh, en = (
            f"静默订单: 窗口内无有效回复 ({anchor_zh}前 {hours} 小时内)",
            f"silent order: no valid reply within {hours} h before {anchor_en}",
        )
    else:
        which_zh, which_en = ("最后", "last") if rules.touch == "last" else ("第一", "first")
        zh = f"落实客服 {row['credited']}: {anchor_zh}前 {hours} 小时窗口内{which_zh}一次有效回复"
        en = (
            f"credited to {row['credited']}: the {which_en} valid reply within {hours} h "
            f"before {anchor_en}"
        )
        if rules.anchor == "order_first" and kind == "payment":
            zh += " (下单时静默, 按付款归属)"
            en += " (silent at the order, so attributed at payment)"
    if row["overridden"]:
        zh = f"申诉改判: 归属客服 {row['credited']}（规则原判: " + zh + "）"
        en = f"credited to {row['credited']} on an accepted appeal (by the rule: " + en + ")"
    if row["paid_time"] is None:
        zh += "; 未在付款期限内付款"
        en += "; not paid within the pay horizon"
    return {"zh": zh, "en": en}
