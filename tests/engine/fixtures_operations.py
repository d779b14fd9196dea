"""Hand-built rows for the operations, complaint and call-centre metrics (tests/engine/
test_operations.py computes every expected value from them by hand). October 2026: the 1st
is a Thursday, so the 2nd is a Friday and the 7th a Wednesday. Ids carry an `ops-` prefix so
these rows can share a store with other families' fixtures."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]


def order(
    oid: str,
    created: str,
    paid: str | None = None,
    delivered: str | None = None,
    tier: str | None = None,
    error: bool = False,
    cancelled: str | None = None,
    status: str | None = None,
    shop: str = "ops-s1",
) -> Row:
    return {
        "order_id": f"ops-{oid}",
        "shop": shop,
        "platform": "taobao",
        "buyer": f"ops-{oid}b",
        "created_at": created,
        "paid_at": paid,
        "delivered_at": delivered,
        "region_tier": tier,
        "error": error,
        "cancelled_at": cancelled,
        "status": status or ("completed" if delivered else "paid" if paid else "created"),
        "amount": 10.0 if paid else None,
    }


ORDERS = [
    # city: Friday → next Wednesday = 3 working days ≤ 3, on time; 5 days = 120 h
    order("o1", "2026-10-02 10:00:00", "2026-10-02 10:05:00", "2026-10-07 10:00:00", "city"),
    # county: Monday 5th → Tuesday 13th = 6 working days > 5, late; 8 days = 192 h
    order("o2", "2026-10-05 09:00:00", "2026-10-05 09:30:00", "2026-10-13 09:00:00", "county"),
    # town, processed with an error: Tuesday 6th → Friday 9th = 3 working days ≤ 7; 72 h
    order(
        "o3",
        "2026-10-06 12:00:00",
        "2026-10-06 12:10:00",
        "2026-10-09 12:00:00",
        "town",
        error=True,
    ),
    order("o4", "2026-10-06 13:00:00"),  # placed, never paid
    # paid, then cancelled: paid but not valid
    order(
        "o5",
        "2026-10-07 08:00:00",
        "2026-10-07 08:01:00",
        cancelled="2026-10-08 09:00:00",
        status="closed",
    ),
    # delivered without a region tier: out of timeliness and of both delivery means
    order("o6", "2026-10-08 08:00:00", "2026-10-08 08:30:00", "2026-10-09 08:00:00"),
]


def ticket(tid: str, buyer: str | None, agent: str, received: str, kind: str = "complaint") -> Row:
    return {
        "id": f"ops-{tid}",
        "shop": "ops-s1",
        "kind": kind,
        "category": "物流",
        "buyer": buyer,
        "agent": agent,
        "received_at": received,
    }


TICKETS = [
    ticket("t1", "b1", "ops-a1", "2026-10-05 10:00:00"),
    ticket("t2", "b1", "ops-a1", "2026-10-05 15:00:00"),  # same buyer-day as t1
    ticket("t3", "b1", "ops-a2", "2026-10-09 11:00:00"),
    ticket("t4", "b2", "ops-a1", "2026-10-06 09:00:00"),
    ticket("t5", "b3", "ops-a1", "2026-10-06 10:00:00", kind="email"),  # not a complaint
    ticket("t6", "b2", "ops-a1", "2026-11-03 09:00:00"),  # b2's second, in November
]


def call(
    cid: str,
    agent: str | None,
    direction: str,
    offered: str,
    answered: str | None = None,
    ended: str | None = None,
    wrap_up_s: float | None = None,
    complaint: bool = False,
) -> Row:
    return {
        "call_id": f"ops-{cid}",
        "agent": agent,
        "direction": direction,
        "offered_at": offered,
        "answered_at": answered,
        "ended_at": ended,
        "wrap_up_s": wrap_up_s,
        "is_complaint": complaint,
        "is_repeat": False,
        "buyer": f"ops-{cid}b",
    }


D = "2026-10-05"
CALLS = [
    # waited 10 s, talked 300 s, 60 s wrap-up: 360 s
    call("k1", "ops-c1", "in", f"{D} 09:00:00", f"{D} 09:00:10", f"{D} 09:05:10", 60.0),
    # waited 30 s (> 20 s), talked 120 s, 30 s wrap-up: 150 s; a complaint call
    call(
        "k2",
        "ops-c1",
        "in",
        f"{D} 10:00:00",
        f"{D} 10:00:30",
        f"{D} 10:02:30",
        30.0,
        complaint=True,
    ),
    call("k3", "ops-c1", "in", f"{D} 11:00:00"),  # abandoned while ringing at c1
    call("k4", None, "in", f"{D} 11:30:00"),  # abandoned in the queue: no agent
    # outbound: talked 600 s, no wrap-up recorded
    call("k5", "ops-c1", "out", f"{D} 14:00:00", f"{D} 14:00:05", f"{D} 14:10:05"),
]


def value(period: str, subject: str, metric: str, v: float | None) -> Row:
    return {"period": period, "subject": subject, "metric": metric, "value": v, "source": "manual"}


METRIC_VALUES = [
    value("2026-10", "ops-s1", "visits", 100.0),
    value("2026-10", "ops-a1", "assessment_score", 90.0),
    value("2026-10", "ops-a1", "rating_score", 80.0),
    # day values win over the month value of the same agent and metric
    value("2026-10-05", "ops-a1", "training_score", 80.0),
    value("2026-10-12", "ops-a1", "training_score", 90.0),
    value("2026-10", "ops-a1", "training_score", 50.0),
    value("2026-10", "ops-a1", "training_absences", 2.0),
    value("2026-10", "ops-a1", "training_sessions", 4.0),  # 培训考勤次数
    value("2026-W41", "ops-a2", "training_score", 70.0),  # ISO week 41 starts on the 5th
    value("2026-10", "ops-a2", "assessment_score", None),  # provisional: skipped
]

PARITY: dict[str, list[Row]] = {
    "orders": ORDERS,
    "tickets": TICKETS,
    "calls": CALLS,
    "metric_values": METRIC_VALUES,
}
