"""Hand-built rows for the satisfaction, online-time and after-sales metrics (the tests in
test_satisfaction.py, test_online.py and test_aftersales.py compute every expected value from
them by hand). October 2026: the 5th is a Monday. Ids, shops and agents carry a `b2-` prefix
so these rows can share a store with other families' fixtures."""

from __future__ import annotations

from typing import Any

from kaohe.schema import RATING_LEVELS
from tests.engine.conftest import fill_table, msg

Row = dict[str, Any]
KS, JD, PDD = "b2-ks", "b2-jd", "b2-pdd"  # a 快手, a 京东 and a 拼多多 shop


def _m(buyer: str, agent: str, sender: str, time: str, shop: str, platform: str) -> Row:
    return msg(buyer, agent, sender, time, shop=shop, platform=platform)


# 快手: kb1–kb3 answered, kb4 unanswered → 3 received buyers for b2-k1;
# b2-o1 replies in the JD shop on the 5th and the 7th (its only message days)
MESSAGES = [
    _m("kb1", "b2-k1", "buyer", "2026-10-05 10:00:00", KS, "kuaishou"),
    _m("kb1", "b2-k1", "agent", "2026-10-05 10:00:30", KS, "kuaishou"),
    _m("kb2", "b2-k1", "buyer", "2026-10-05 11:00:00", KS, "kuaishou"),
    _m("kb2", "b2-k1", "agent", "2026-10-05 11:01:00", KS, "kuaishou"),
    _m("kb3", "b2-k1", "buyer", "2026-10-06 11:00:00", KS, "kuaishou"),
    _m("kb3", "b2-k1", "agent", "2026-10-06 11:02:00", KS, "kuaishou"),
    _m("kb4", "b2-k1", "buyer", "2026-10-06 12:00:00", KS, "kuaishou"),
    _m("jb1", "b2-o1", "buyer", "2026-10-05 09:00:00", JD, "jd"),
    _m("jb1", "b2-o1", "agent", "2026-10-05 09:00:20", JD, "jd"),
    _m("jb2", "b2-o1", "buyer", "2026-10-07 09:00:00", JD, "jd"),
    _m("jb2", "b2-o1", "agent", "2026-10-07 09:00:20", JD, "jd"),
]


def rating(
    key: str,
    shop: str,
    agent: str,
    time: str,
    label: str,
    reason: str | None = None,
    source: str | None = None,
) -> Row:
    """A rating stored as the importer stores it: the level code and the original label."""
    return {
        "shop": shop,
        "buyer": f"{key}-buyer",
        "agent": agent,
        "time": time,
        "level": RATING_LEVELS[label],
        "level_label": label,
        "reason": reason,
        "source": source,
        "rating_key": f"b2-{key}",
    }


# 快手 scale 满意 / 一般 / 失望: 3 满意, 1 一般, 2 失望; 2 of the 3 poor ones for 服务态度差
KUAISHOU_RATINGS = [
    rating("k1", KS, "b2-k1", "2026-10-05 12:00:00", "满意", source="invited"),
    rating("k2", KS, "b2-k1", "2026-10-05 13:00:00", "满意", source="invited"),
    rating("k3", KS, "b2-k1", "2026-10-06 12:00:00", "满意", source="active"),
    rating("k4", KS, "b2-k1", "2026-10-06 13:00:00", "一般", "服务态度差", "system"),
    rating("k5", KS, "b2-k1", "2026-10-07 12:00:00", "失望", "回复慢,服务态度差"),
    rating("k6", KS, "b2-k1", "2026-10-07 13:00:00", "失望", "问题未解决"),
]
# JD: 非常满意, 满意, 满意, 一般, 不满意
JD_RATINGS = [
    rating("j1", JD, "b2-j1", "2026-10-05 12:00:00", "非常满意"),
    rating("j2", JD, "b2-j1", "2026-10-05 13:00:00", "满意"),
    rating("j3", JD, "b2-j1", "2026-10-06 12:00:00", "满意"),
    rating("j4", JD, "b2-j1", "2026-10-06 13:00:00", "一般"),
    rating("j5", JD, "b2-j1", "2026-11-02 13:00:00", "不满意"),  # November
    rating("j6", JD, "b2-j1", "2026-10-07 13:00:00", "不满意"),
]
RATINGS = KUAISHOU_RATINGS + JD_RATINGS


def status(agent: str, start: str, end: str, state: str) -> Row:
    return {"agent": agent, "start": start, "end": end, "status": state}


# b2-o1: busy 2 h and hang-ups on the 5th, online 22:00–02:00 across midnight (2 h + 2 h),
# away on the 8th (not online: not a workday)
ONLINE_STATUS = [
    status("b2-o1", "2026-10-05 08:00:00", "2026-10-05 10:00:00", "busy"),
    status("b2-o1", "2026-10-05 10:00:00", "2026-10-05 10:15:00", "hangup"),  # exactly 15 min
    status("b2-o1", "2026-10-05 11:00:00", "2026-10-05 11:15:01", "hangup"),  # 15 min 1 s
    status("b2-o1", "2026-10-05 14:00:00", "2026-10-05 14:05:00", "hangup"),
    status("b2-o1", "2026-10-05 12:00:00", "2026-10-05 13:00:00", "away"),
    status("b2-o1", "2026-10-05 22:00:00", "2026-10-06 02:00:00", "online"),
    status("b2-o1", "2026-10-08 09:00:00", "2026-10-08 10:00:00", "away"),
]
# b2-o2: online from the 10th 23:00 to the 12th 01:00: 1 h + 24 h + 1 h
LONG_STATUS = [status("b2-o2", "2026-10-10 23:00:00", "2026-10-12 01:00:00", "online")]
STATUS = ONLINE_STATUS + LONG_STATUS


def refund(
    rid: str,
    kind: str,
    applied: str,
    completed: str | None = None,
    state: str = "success",
    agreed: str | None = None,
    received: str | None = None,
    response: str | None = None,
    intervened: bool = False,
    liable: bool = False,
    shop: str = KS,
    agent: str = "b2-k1",
) -> Row:
    return {
        "refund_id": f"b2-{rid}",
        "order_id": f"b2-o-{rid}",
        "shop": shop,
        "buyer": f"{rid}-buyer",
        "type": kind,
        "applied_at": applied,
        "first_response_at": response,
        "agreed_at": agreed,
        "return_received_at": received,
        "completed_at": completed,
        "status": state,
        "platform_intervened": intervened,
        "merchant_liable": liable,
        "agent": agent,
    }


# 快手 shop (no orders rows: the platform comes from the shop's messages)
KUAISHOU_REFUNDS = [
    # (14:00 − 10:00) + (15:00 − 09:00) = 4 h + 6 h = 10 h; completed − applied = 77 h
    refund(
        "r1",
        "return_refund",
        "2026-10-01 10:00:00",
        "2026-10-04 15:00:00",
        agreed="2026-10-01 14:00:00",
        received="2026-10-04 09:00:00",
        response="2026-10-01 11:00:00",
    ),
    # 24 h + 12 h = 36 h, closed (completed, not a success), completed on the 6th
    refund(
        "r2",
        "return_refund",
        "2026-10-02 08:00:00",
        "2026-10-06 00:00:00",
        "closed",
        agreed="2026-10-03 08:00:00",
        received="2026-10-05 12:00:00",
        response="2026-10-03 08:00:00",
    ),
    # platform intervened, judged merchant-liable; 96 h; first response after 49 h
    refund(
        "r3",
        "return_refund",
        "2026-10-03 09:00:00",
        "2026-10-07 09:00:00",
        agreed="2026-10-04 09:00:00",
        received="2026-10-06 09:00:00",
        response="2026-10-05 10:00:00",
        intervened=True,
        liable=True,
    ),
    refund(
        "r4",
        "refund_only",
        "2026-10-05 10:00:00",
        "2026-10-05 12:30:00",
        response="2026-10-05 10:30:00",
    ),  # 2.5 h
    refund("r5", "refund_only", "2026-10-06 09:00:00", "2026-10-06 10:30:00", "closed"),  # 1.5 h
    refund(
        "r6", "refund_only", "2026-10-07 09:00:00", state="pending", response="2026-10-09 09:00:00"
    ),  # exactly 48 h
]
# 拼多多 shop: its platform comes from the orders
PDD_REFUNDS = [
    refund(
        "p1",
        "refund_only",
        "2026-10-05 10:00:00",
        response="2026-10-07 10:00:00",
        state="pending",
        shop=PDD,
        agent="b2-p1",
    ),  # 48 h: in time
    refund(
        "p2",
        "refund_only",
        "2026-10-05 10:00:00",
        response="2026-10-07 10:00:01",
        state="pending",
        shop=PDD,
        agent="b2-p1",
        intervened=True,
    ),  # 48 h 1 s: late
]
REFUNDS = KUAISHOU_REFUNDS + PDD_REFUNDS
ORDERS = [
    {
        "order_id": f"b2-o-{rid}",
        "shop": PDD,
        "platform": "pdd",
        "buyer": f"{rid}-buyer",
        "created_at": "2026-10-01 09:00:00",
    }
    for rid in ("p1", "p2")
]


def service_order(
    sid: str,
    applied: str,
    reviewed: str | None = None,
    ready: str | None = None,
    result: str | None = None,
    awaiting: bool = False,
) -> Row:
    return {
        "id": f"b2-{sid}",
        "shop": JD,
        "agent": "b2-j1",
        "applied_at": applied,
        "first_reviewed_at": reviewed,
        "ready_at": ready,
        "first_result_at": result,
        "awaiting_feedback": awaiting,
    }


# review (applied → first review) and process (ready → first result), 09:00–21:00 only
SERVICE_ORDERS = [
    # 20:50 → next day 09:05: 10 + 5 = 15 min, in time; processed in exactly 20 min
    service_order(
        "so1",
        "2026-10-05 20:50:00",
        "2026-10-06 09:05:00",
        "2026-10-06 10:00:00",
        "2026-10-06 10:20:00",
        awaiting=True,
    ),
    # 25 min: late; processed 20:55 → next day 09:16: 5 + 16 = 21 min, late
    service_order(
        "so2",
        "2026-10-06 10:00:00",
        "2026-10-06 10:25:00",
        "2026-10-06 20:55:00",
        "2026-10-07 09:16:00",
    ),
    # 22:00 → next day 09:20: 0 + 20 = 20 min, in time; never processed
    service_order("so3", "2026-10-06 22:00:00", "2026-10-07 09:20:00", awaiting=True),
    # 08:00 → 09:10: the hour before 09:00 does not count, 10 min; processed in 15 min
    service_order(
        "so4",
        "2026-10-07 08:00:00",
        "2026-10-07 09:10:00",
        "2026-10-07 09:30:00",
        "2026-10-07 09:45:00",
    ),
    service_order("so5", "2026-10-07 11:00:00"),  # not reviewed yet
]


def review(
    rid: str, item: str, passed: bool | None, day: str | None, reviewed_at: str | None = None
) -> Row:
    return {
        "review_id": f"b2-{rid}",
        "item": item,
        "shop": JD,
        "agent": "b2-j1",
        "date": day,
        "passed": passed,
        "reviewed_at": reviewed_at,
    }


QA_REVIEWS = [
    review("q1", "录音规范", True, "2026-10-05"),
    review("q1", "服务单规范", True, "2026-10-05"),
    review("q2", "录音规范", True, None, "2026-10-06 15:00:00"),  # dated by reviewed_at
    review("q2", "服务单规范", False, None, "2026-10-06 15:00:00"),
    review("q3", "录音规范", None, "2026-10-06"),  # no verdict: not a spot check
    review("q4", "录音规范", True, "2026-10-07"),
]


def ticket(tid: str, kind: str, received: str, replied: str | None = None) -> Row:
    return {
        "id": f"b2-{tid}",
        "shop": JD,
        "kind": kind,
        "agent": "b2-j1",
        "received_at": received,
        "replied_at": replied,
    }


EMAILS = [
    ticket("e1", "email", "2026-10-05 15:59:00", "2026-10-05 17:59:00"),  # on time
    ticket("e2", "email", "2026-10-05 16:01:00", "2026-10-06 17:00:00"),  # next day: on time
    ticket("e3", "email", "2026-10-05 16:01:00", "2026-10-06 18:30:00"),  # late
    ticket("e4", "email", "2026-10-06 10:00:00", "2026-10-06 18:00:00"),  # at 18:00: on time
    ticket("e5", "email", "2026-10-06 11:00:00"),  # never answered: late
    ticket("e6", "email", "2026-10-07 16:00:00", "2026-10-08 09:00:00"),  # 16:00 → next day
    ticket("e7", "email", "2026-10-07 16:00:00", "2026-10-07 18:30:00"),  # due the 8th
]
COMPLAINTS = [
    ticket("c1", "complaint", "2026-10-05 10:00:00", "2026-10-05 13:00:00"),  # 3 h: in time
    ticket("c2", "complaint", "2026-10-05 10:00:00", "2026-10-05 13:00:01"),  # late
    ticket("c3", "complaint", "2026-10-05 22:00:00", "2026-10-06 00:30:00"),  # 2.5 h
    ticket("c4", "complaint", "2026-10-06 09:00:00"),  # never answered
]
TICKETS = EMAILS + COMPLAINTS


def _with_keys(rows: list[Row]) -> list[Row]:
    return [{**row, "seq": i, "msg_key": f"b2-k{i}"} for i, row in enumerate(rows, 1)]


PARITY: dict[str, list[Row]] = {
    "messages": _with_keys(MESSAGES),
    "ratings": RATINGS,
    "agent_status": STATUS,
    "refunds": REFUNDS,
    "orders": ORDERS,
    "service_orders": SERVICE_ORDERS,
    "qa_reviews": QA_REVIEWS,
    "tickets": TICKETS,
}
PARITY_TABLES = {name: rows for name, rows in PARITY.items() if name != "messages"}


def load(store: Any, tables: dict[str, list[Row]]) -> Any:
    """Insert rows of several tables (messages go in through make_store)."""
    for name, rows in tables.items():
        fill_table(store, name, rows)
    return store
