"""Hand-built rows for the figures issue 15 computes instead of taking them typed in: late
shipments, quality refunds, repeat buyers, payment reminders, rating revisions and bad-rating
follow-ups, repeat calls. The tests in test_fulfilment.py, test_satisfaction.py and
test_operations.py compute every expected value from them by hand. October 2026: the 1st–7th
are the National Day holiday, Saturday the 10th a make-up working day. Ids carry an `i15-`
prefix so these rows can share a store with the other families' fixtures."""

from __future__ import annotations

from typing import Any

from tests.engine.conftest import msg

Row = dict[str, Any]
TM, TB, JD, PDD, RB, CF, RV = (
    "i15-tm",
    "i15-tb",
    "i15-jd",
    "i15-pdd",
    "i15-rb",
    "i15-cf",
    "i15-rv",
)
PLATFORM = {TM: "tmall", TB: "taobao", JD: "jd", PDD: "pdd", RB: "pdd", CF: "taobao", RV: "tmall"}


def order(
    oid: str,
    shop: str,
    paid: str | None,
    amount: float = 100.0,
    shipped: str | None = None,
    promised: str | None = None,
    cancelled: str | None = None,
    created: str | None = None,
    buyer: str | None = None,
) -> Row:
    return {
        "order_id": f"i15-{oid}",
        "shop": shop,
        "platform": PLATFORM[shop],
        "buyer": buyer or f"i15-{oid}b",
        "created_at": created or paid,
        "paid_at": paid,
        "amount": amount if paid else None,
        "shipped_at": shipped,
        "promised_ship_at": promised,
        "cancelled_at": cancelled,
        "status": "closed" if cancelled else ("shipped" if shipped else "paid"),
    }


# 延迟发货 (72 h after payment unless the order promised otherwise)
SHIPPING = [
    order("s1", TM, "2026-10-12 10:00:00", 100.0, "2026-10-14 09:00:00"),  # 47 h: on time
    order("s2", TM, "2026-10-12 10:00:00", 10.0, "2026-10-15 11:00:00"),  # 73 h: late, ¥10
    # its own promise, 20th 00:00, wins over the 72 h: shipped on the 19th, on time
    order("s3", TM, "2026-10-13 08:00:00", 50.0, "2026-10-19 08:00:00", "2026-10-20 00:00:00"),
    order("s4", TM, "2026-10-13 09:00:00", 3000.0),  # never shipped: late, ¥3,000
    # cancelled unshipped a day after payment, before the deadline: not due
    order("s5", TM, "2026-10-14 09:00:00", 80.0, cancelled="2026-10-15 09:00:00"),
    order("s6", TB, "2026-10-12 10:00:00", 200.0, "2026-10-16 10:00:00"),  # late, ¥200
    order("s7", TB, "2026-10-12 10:00:00", 1000.0, "2026-10-20 10:00:00"),  # late, ¥1,000
    order("s8", JD, "2026-10-12 10:00:00", 100.0, "2026-10-17 10:00:00"),  # late, ¥100
]

# 品质退款率 (拼多多): 4 paid orders, 2 successful refunds for a quality reason
QUALITY_ORDERS = [order(f"q{i}", PDD, f"2026-10-0{i + 4} 10:00:00", 20.0) for i in range(1, 5)]


def refund(rid: str, oid: str, status: str, reason: str, applied: str) -> Row:
    return {
        "refund_id": f"i15-{rid}",
        "order_id": f"i15-{oid}",
        "shop": PDD,
        "buyer": f"i15-{oid}b",
        "type": "refund_only",
        "applied_at": applied,
        "completed_at": applied if status == "success" else None,
        "status": status,
        "amount": 20.0,
        "reason": reason,
    }


REFUNDS = [
    refund("r1", "q1", "success", "商品质量问题", "2026-10-08 10:00:00"),  # quality
    refund("r2", "q2", "success", "七天无理由退货", "2026-10-08 11:00:00"),  # not quality
    refund("r3", "q3", "pending", "收到商品破损", "2026-10-09 10:00:00"),  # not yet refunded
    refund("r4", "q4", "success", "收到商品破损", "2026-10-09 11:00:00"),  # quality
]

# 客户回头率: paying buyer-days in October 5; returning 2 (b1 on the 10th, b3 on the 20th)
REPEAT_BUYERS = [
    order("rb1a", RB, "2026-09-20 10:00:00", buyer="i15-b1"),  # September, then
    order("rb1b", RB, "2026-10-10 10:00:00", buyer="i15-b1"),  # back within 180 days
    order("rb2a", RB, "2026-10-05 10:00:00", buyer="i15-b2"),  # twice the same day:
    order("rb2b", RB, "2026-10-05 15:00:00", buyer="i15-b2"),  # not a return
    order("rb3a", RB, "2026-10-08 10:00:00", buyer="i15-b3"),  # first time in the window
    order("rb3b", RB, "2026-10-20 10:00:00", buyer="i15-b3"),  # a return
    order("rb4a", RB, "2026-03-01 10:00:00", buyer="i15-b4"),  # 228 days earlier:
    order("rb4b", RB, "2026-10-15 10:00:00", buyer="i15-b4"),  # beyond the 180 days
]

# 催付成功率: orders of the shop CF and the agents' messages to their buyers
REMINDER_ORDERS = [
    order("p1", CF, "2026-10-05 12:00:00", created="2026-10-05 10:00:00"),
    order("p2", CF, None, created="2026-10-05 11:00:00"),  # never paid
    order("p3", CF, "2026-10-06 09:05:00", created="2026-10-06 09:00:00"),
    # paid 3 days 1 hour after creation: past the 3-day pay horizon, so not paid
    order("p4", CF, "2026-10-09 11:00:00", created="2026-10-06 10:00:00"),
    order("p5", CF, "2026-10-07 15:00:00", created="2026-10-07 10:00:00"),
]


def _cf(oid: str, agent: str, sender: str, time: str, text: str) -> Row:
    return msg(f"i15-{oid}b", agent, sender, time, text, shop=CF, platform="taobao")


REMINDER_MESSAGES = [
    _cf("p1", "i15-a1", "buyer", "2026-10-05 09:50:00", "这个有货吗"),
    _cf("p1", "i15-a1", "agent", "2026-10-05 09:50:20", "亲，有货的"),  # before the order
    _cf("p1", "i15-a1", "agent", "2026-10-05 10:30:00", "亲，您拍下的宝贝还没付款哦"),  # a1
    _cf("p2", "i15-a1", "agent", "2026-10-05 11:20:00", "请问您还需要吗"),  # a1, never paid
    _cf("p3", "i15-a2", "agent", "2026-10-06 09:30:00", "付款成功啦，马上发货"),  # after payment
    _cf("p4", "i15-a2", "agent", "2026-10-06 10:10:00", "麻烦尽快支付哦"),  # a2, paid too late
    _cf("p5", "i15-a2", "agent", "2026-10-07 10:30:00", "在的亲"),  # not a reminder
    _cf("p5", "i15-a1", "agent", "2026-10-07 11:00:00", "亲记得付款哦"),  # a1, paid
]


# 改评数 and 差评处理率: ratings of agent a3 in the shop RV
def rating(rid: str, buyer: str, time: str, level: str, agent: str = "i15-a3") -> Row:
    return {
        "shop": RV,
        "buyer": f"i15-{buyer}",
        "agent": agent,
        "time": time,
        "level": level,
        "level_label": level,
        "rating_id": f"i15-{rid}",
        "rating_key": f"i15-{rid}",
    }


RATINGS = [
    rating("v1", "rb1", "2026-10-10 12:00:00", "1"),  # answered the next morning
    rating("v2", "rb2", "2026-10-10 13:00:00", "2"),  # no message, but revised to 5 by a4
    rating("v3", "rb3", "2026-10-11 12:00:00", "2"),  # answered 5 days later: too late
    rating("v4", "rb4", "2026-10-11 13:00:00", "5"),  # a good rating
    rating("v6", "rb6", "2026-10-12 13:00:00", "3"),  # 中评, revised to 4
]


def _rv(buyer: str, time: str, text: str) -> Row:
    return msg(f"i15-{buyer}", "i15-a3", "agent", time, text, shop=RV, platform="tmall")


FOLLOW_UPS = [
    _rv("rb1", "2026-10-11 09:00:00", "亲，非常抱歉给您带来不好的体验"),  # 21 h after v1
    _rv("rb3", "2026-10-16 12:00:00", "亲，您的问题解决了吗"),  # 120 h after v3
]
REVISIONS = [
    {
        "rating_id": "i15-v2",
        "shop": RV,
        "buyer": "i15-rb2",
        "agent": "i15-a4",  # handled by a4
        "revised_at": "2026-10-15 10:00:00",
        "level_before": "2",
        "level_after": "5",
    },
    {
        "rating_id": "i15-v6",
        "shop": RV,
        "buyer": "i15-rb6",
        "agent": None,  # no handler recorded: the agent rated, a3
        "revised_at": "2026-10-20 10:00:00",
        "level_before": "3",
        "level_after": "4",
    },
]


# 二次来电 / 首问解决率
def call(cid: str, buyer: str, agent: str, offered: str, repeat: bool | None = None) -> Row:
    return {
        "call_id": f"i15-{cid}",
        "agent": agent,
        "direction": "in",
        "offered_at": offered,
        "answered_at": offered,
        "ended_at": offered.replace(":00:00", ":05:00"),
        "is_complaint": False,
        "is_repeat": repeat,
        "buyer": f"i15-{buyer}",
    }


CALLS = [
    call("c1", "cb1", "i15-c1", "2026-10-05 09:00:00"),  # first contact, repeated by c2
    call("c2", "cb1", "i15-c2", "2026-10-08 09:00:00"),  # 3 days later: a repeat
    call("c3", "cb2", "i15-c1", "2026-10-05 10:00:00"),  # first contact
    call("c4", "cb2", "i15-c1", "2026-10-20 10:00:00"),  # 15 days later: a new contact
    call("c5", "cb3", "i15-c2", "2026-10-06 10:00:00", repeat=True),  # recorded as a repeat
    call("c6", "cb1", "i15-c1", "2026-10-09 10:00:00", repeat=False),  # recorded: a new issue
]

MESSAGES = REMINDER_MESSAGES + FOLLOW_UPS
TABLES: dict[str, list[Row]] = {
    "orders": SHIPPING + QUALITY_ORDERS + REPEAT_BUYERS + REMINDER_ORDERS,
    "refunds": REFUNDS,
    "ratings": RATINGS,
    "rating_revisions": REVISIONS,
    "calls": CALLS,
}
