"""Facts: additive parts per agent-day and shop-day, refreshed incrementally."""

from __future__ import annotations

from datetime import date

import pytest

from kaohe.engine import compute_kpis
from kaohe.engine.facts import (
    margins,
    refresh_facts,
    source_reach,
    stale_days,
    stale_plan,
)
from kaohe.engine.periods import parse_period
from tests.engine import fixtures as F
from tests.engine.conftest import fill, msg


@pytest.mark.parametrize("by", ["agent", "shop", "day", "all", "platform,day", "agent,day"])
def test_facts_answer_equals_on_demand(make_store, by):
    store = make_store(F.ALL, roster=F.ROSTER)
    period = parse_period("2026-10")
    direct = compute_kpis(store, by=by, period=period, use_facts=False)
    from_facts = compute_kpis(store, by=by, period=period)
    assert store.count("metric_facts") > 0
    assert from_facts == direct


def test_refresh_only_touched_days(make_store):
    store = make_store(F.MULTI)
    refresh_facts(store)
    assert stale_days(store) == []
    fill(
        store,
        [
            msg("n1", "a1", "buyer", "2026-10-09 10:00:00"),
            msg("n1", "a1", "agent", "2026-10-09 10:00:30"),
        ],
    )
    # F.MULTI's facts cover 10-04..10-06 (its day 10-05 ± 1); a new message day is stale
    # itself, and computed days up to the messages' reach before it (a rating followed up
    # by a reply up to 4 days after it) are stale with it — not their whole margin (a reply
    # credits orders paid days *after* it)
    back = max(reach["messages"][0] for reach in source_reach().values())
    assert back == 4 < margins()["messages"]
    assert stale_days(store) == [date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 9)]
    rewritten = refresh_facts(store, [date(2026, 10, 9)])
    assert rewritten == [date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]
    assert stale_days(store) == []
    rows = compute_kpis(store, by="agent", metrics=["rounds", "avg_response_s"])
    assert rows == [{"agent": "a1", "rounds": 2, "avg_response_s": 45.0}]


def test_a_day_refreshes_twice_while_a_reader_holds_an_older_snapshot(make_store):
    """The server's readers always hold a snapshot; DuckDB 1.4 refused the second
    delete-and-insert of a fact day under such a snapshot ("write-write conflict on key"),
    so the refresh after an import failed and the pages read stale facts."""
    store = make_store(F.MULTI)
    refresh_facts(store)
    reader = store.cursor()
    try:
        reader.con.execute("SELECT count(*) FROM metric_facts_days").fetchone()  # kept open
        assert refresh_facts(store, [date(2026, 10, 5)]) == refresh_facts(
            store, [date(2026, 10, 5)]
        )
    finally:
        reader.close()
    assert stale_days(store) == []
    assert store.count("metric_facts_days") == 3  # 10-04..10-06, each once


def test_overridden_parameters_compute_on_demand(make_store):
    store = make_store(F.TAOBAO)
    refresh_facts(store)
    rows = compute_kpis(store, metrics=["avg_response_s"], params={"cap_s": 100})
    assert rows == [{"agent": "a3", "avg_response_s": (60 + 100 + 30) / 3}]


def test_a_changed_order_refreshes_the_facts(make_store):
    # an order paid after the facts were computed must show in sales read from the facts
    from tests.engine.conftest import fill_table

    store = make_store(
        [
            msg("b1", "a1", "buyer", "2026-10-05 10:00:00"),
            msg("b1", "a1", "agent", "2026-10-05 10:00:30"),
        ]
    )
    assert compute_kpis(store, metrics=["sales_amount"]) == []  # facts computed: no sales
    fill_table(
        store,
        "orders",
        [
            {
                "order_id": "o1",
                "shop": "s1",
                "platform": "taobao",
                "buyer": "b1",
                "created_at": "2026-10-05 10:05:00",
                "paid_at": "2026-10-05 10:06:00",
                "amount": 88.0,
                "items": 1,
                "status": "paid",
            }
        ],
    )
    assert date(2026, 10, 5) in stale_days(store)
    assert compute_kpis(store, metrics=["sales_amount"]) == [{"agent": "a1", "sales_amount": 88.0}]
    store.con.execute("UPDATE orders SET amount = 99.0")  # an update, same row count
    assert compute_kpis(store, metrics=["sales_amount"]) == [{"agent": "a1", "sales_amount": 99.0}]


def test_facts_are_fresh_after_a_refresh_with_every_table_filled(make_store):
    # checksums of big tables must survive the round trip through the store: after one
    # refresh nothing is stale, so the next request reads the facts without recomputing
    from tests.engine import fixtures_service_quality as F2B
    from tests.engine.conftest import fill_table

    store = make_store(F.ALL + F2B.MESSAGES, roster=F.ROSTER)
    for table, rows in F2B.PARITY_TABLES.items():
        fill_table(store, table, rows)
    refresh_facts(store)
    assert stale_days(store) == []


def test_answer_parts_are_the_evaluators_parts(make_store):
    from kaohe.engine.compute import Evaluator, make_request
    from kaohe.engine.facts import answer_parts

    store = make_store(F.ALL, roster=F.ROSTER)
    ids = ["consult_buyers", "pdd_5min_reply_rate", "avg_response_s"]
    request = make_request(("shop", "platform", "day"), parse_period("2026-10"), ids)
    evaluator = Evaluator(store.ibis(), request)
    try:
        direct = evaluator.evaluate()
    finally:
        evaluator.close()
    from_facts = answer_parts(store, request)
    assert from_facts is not None and set(from_facts) == set(direct)
    for key, metrics in direct.items():
        for metric_id, parts in metrics.items():
            for part, value in parts.items():
                assert (from_facts[key][metric_id].get(part) or 0) == pytest.approx(value or 0)
    # a median is not additive, overridden parameters are not the facts' defaults
    assert answer_parts(store, make_request(("shop",), None, ["median_response_s"])) is None
    assert (
        answer_parts(store, make_request(("shop",), None, ["avg_response_s"], {"reply_horizon": 2}))
        is None
    )


MONTH_END = [  # a1 answers b1 on Sat 31 Oct (ISO week 44) and b2 on Mon 2 Nov (week 45)
    msg("b1", "a1", "buyer", "2026-10-31 10:00:00"),
    msg("b1", "a1", "agent", "2026-10-31 10:01:00"),
    msg("b2", "a1", "buyer", "2026-11-02 10:00:00"),
    msg("b2", "a1", "agent", "2026-11-02 10:03:00"),
]


@pytest.mark.parametrize("use_facts", [False, True])
def test_by_month_and_by_week(make_store, use_facts):
    store = make_store(MONTH_END)
    metrics = ["rounds", "avg_response_s"]
    months = compute_kpis(store, by="month", metrics=metrics, use_facts=use_facts)
    assert months == [
        {"month": "2026-10", "rounds": 1, "avg_response_s": 60.0},
        {"month": "2026-11", "rounds": 1, "avg_response_s": 180.0},
    ]
    weeks = compute_kpis(store, by="agent,week", metrics=metrics, use_facts=use_facts)
    assert [(r["agent"], r["week"], r["rounds"]) for r in weeks] == [
        ("a1", "2026-W44", 1),
        ("a1", "2026-W45", 1),
    ]
    both = compute_kpis(store, by="all", metrics=metrics, use_facts=use_facts)
    assert both == [{"rounds": 2, "avg_response_s": 120.0}]  # (60 + 180) / 2


# one more day: b1's round opened before midnight is answered after it (on the new day), and
# b3's order is credited to the reply it got on the new day
DAY_ONE = [
    msg("b1", "a1", "buyer", "2026-10-05 23:50:00"),
    msg("b2", "a2", "buyer", "2026-10-05 10:00:00"),
    msg("b2", "a2", "agent", "2026-10-05 10:01:30"),
]
DAY_TWO = [
    msg("b1", "a1", "agent", "2026-10-06 00:02:00"),  # 720 s after 23:50
    msg("b1", "a1", "buyer", "2026-10-06 00:05:00"),
    msg("b1", "a1", "agent", "2026-10-06 00:06:00"),  # 60 s
    msg("b3", "a1", "buyer", "2026-10-06 09:00:00"),
    msg("b3", "a1", "agent", "2026-10-06 09:00:40"),  # 40 s, the touch of o1
]
NEW_ORDERS = [
    {
        "order_id": "o1",
        "shop": "s1",
        "platform": "taobao",
        "buyer": "b3",
        "created_at": "2026-10-06 09:10:00",
        "paid_at": "2026-10-06 09:11:00",
        "amount": 50.0,
        "items": 1,
        "status": "paid",
    },
    {  # b2 was answered by a2 the day before: within the 48 h window
        "order_id": "o2",
        "shop": "s1",
        "platform": "taobao",
        "buyer": "b2",
        "created_at": "2026-10-06 08:00:00",
        "paid_at": "2026-10-06 08:05:00",
        "amount": 30.0,
        "items": 1,
        "status": "paid",
    },
]


# an order of a3 paid on 09-28, credited to a3's reply that day; refunded (¥5) on the new day:
# its sales facts are netted again on the stored attribution, its touches not recomputed
DAY_ZERO = [
    msg("b4", "a3", "buyer", "2026-09-28 10:00:00"),
    msg("b4", "a3", "agent", "2026-09-28 10:00:20"),
]
OLD_ORDER = {
    **NEW_ORDERS[0],
    "order_id": "o0",
    "buyer": "b4",
    "created_at": "2026-09-28 10:05:00",
    "paid_at": "2026-09-28 10:06:00",
    "amount": 20.0,
}
NEW_REFUND = {
    "refund_id": "r0",
    "order_id": "o0",
    "shop": "s1",
    "buyer": "b4",
    "type": "refund_only",
    "applied_at": "2026-10-06 08:00:00",
    "completed_at": "2026-10-06 12:00:00",
    "status": "success",
    "amount": 5.0,
}


def _stored(store):
    facts = store.con.execute("SELECT * FROM metric_facts ORDER BY ALL").fetchall()
    tables = [t for (t,) in store.con.execute("SELECT tbl FROM metric_fact_row_sets").fetchall()]
    rows = {t: store.con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in tables}
    return facts, rows


def test_one_more_day_refreshes_to_the_from_scratch_facts(make_store):
    from tests.engine.conftest import fill_table

    step = make_store(DAY_ZERO + DAY_ONE)
    fill_table(step, "orders", [OLD_ORDER])
    month = parse_period("2026-10")
    before = compute_kpis(step, metrics=["rounds", "median_response_s"], period=month)
    assert before == [  # b1's round is open: no response yet
        {"agent": "a1", "rounds": 1, "median_response_s": None},
        {"agent": "a2", "rounds": 1, "median_response_s": 90.0},
    ]
    fill(step, DAY_TWO)
    fill_table(step, "orders", NEW_ORDERS)
    fill_table(step, "refunds", [NEW_REFUND])
    plan = stale_plan(step, month)
    assert date(2026, 10, 5) in plan.full["rounds"]  # the day before the new one too
    assert date(2026, 9, 28) not in plan.full["rounds"]
    # o0's refund nets its sales of 09-28 on the stored attribution
    assert date(2026, 9, 28) in plan.net["sales_credited"]
    assert date(2026, 9, 28) not in plan.full["sales_credited"]
    step_rows = compute_kpis(step, by="agent,day", period=month)  # refreshes the stale days

    scratch = make_store(DAY_ZERO + DAY_ONE + DAY_TWO)
    fill_table(scratch, "orders", [OLD_ORDER, *NEW_ORDERS])
    fill_table(scratch, "refunds", [NEW_REFUND])
    refresh_facts(scratch)
    assert _stored(step) == _stored(scratch)
    assert step_rows == compute_kpis(scratch, by="agent,day", period=month)
    # (by shop and day, on demand gives a row to each day r0's rolling refund rate reaches,
    # facts only to days with data: not compared here)
    for by in ("agent", "shop"):
        direct = compute_kpis(scratch, by=by, period=month, use_facts=False)
        assert compute_kpis(step, by=by, period=month) == direct

    ids = ["rounds", "avg_response_s", "median_response_s", "sales_amount"]
    rows = compute_kpis(step, metrics=ids, period=month)
    assert rows == [
        {
            "agent": "a1",
            "rounds": 3,
            "avg_response_s": pytest.approx((720 + 60 + 40) / 3),
            "median_response_s": 60.0,
            "sales_amount": 50.0,
        },
        {
            "agent": "a2",
            "rounds": 1,
            "avg_response_s": 90.0,
            "median_response_s": 90.0,
            "sales_amount": 30.0,
        },
    ]
    september = parse_period("2026-09")
    assert compute_kpis(step, metrics=["sales_amount", "net_sales"], period=september) == [
        {"agent": "a3", "sales_amount": 20.0, "net_sales": 15.0}  # ¥20 − the ¥5 refund
    ]
    for by in ("agent", "shop,day"):
        direct = compute_kpis(scratch, by=by, period=september, use_facts=False)
        assert compute_kpis(step, by=by, period=september) == direct


def test_fresh_facts_answer_medians_without_building_blocks(make_store, monkeypatch):
    from kaohe.engine.compute import Blocks

    store = make_store(DAY_ONE + DAY_TWO)
    month = parse_period("2026-10")
    ids = ["rounds", "median_response_s", "p90_response_s"]
    direct = compute_kpis(store, by="shop,day", metrics=ids, period=month, use_facts=False)
    refresh_facts(store)

    def unbuilt(self, name):
        raise AssertionError(f"block {name} built for fresh facts")

    monkeypatch.setattr(Blocks, "block", unbuilt)
    assert compute_kpis(store, by="shop,day", metrics=ids, period=month) == direct
    # 10-05: b1's round answered after midnight (720 s) and b2's (90 s); 10-06: 60 s and 40 s
    assert [r["median_response_s"] for r in direct] == [405.0, 50.0]


def test_a_new_row_table_makes_the_other_days_stale(make_store):
    # a row table created by a refresh of some days holds only those: the others must be
    # recomputed before a month is read from it
    store = make_store(DAY_ONE + DAY_TWO)
    refresh_facts(store)
    store.con.execute("UPDATE metric_fact_row_sets SET columns = 'older'")  # another definition
    refresh_facts(store, [date(2026, 10, 20)])
    assert stale_days(store) == [date(2026, 10, 5), date(2026, 10, 6)]
    ids = ["median_response_s"]
    month = parse_period("2026-10")
    on_demand = compute_kpis(store, by="day", metrics=ids, period=month, use_facts=False)
    assert compute_kpis(store, by="day", metrics=ids, period=month) == on_demand
    assert stale_days(store) == []


def test_a_reply_imported_later_credits_an_order_paid_days_on(make_store):
    # messages reach the facts of orders paid up to the window + pay horizon after them (not
    # the 29 days of the rolling refund rate, which reads messages only for the platform)
    from tests.engine.conftest import fill_table

    store = make_store(
        [
            msg("b1", "a1", "buyer", "2026-10-05 09:00:00"),
            msg("b9", "a2", "buyer", "2026-10-10 10:00:00"),
            msg("b9", "a2", "agent", "2026-10-10 10:00:30"),
        ]
    )
    order = {**NEW_ORDERS[0], "buyer": "b1", "amount": 10.0}
    order.update(created_at="2026-10-07 08:00:00", paid_at="2026-10-08 09:00:00")
    fill_table(store, "orders", [order])
    refresh_facts(store)
    assert compute_kpis(store, metrics=["sales_amount"]) == []  # o1 is silent: no touch
    assert margins()["messages"] == 6  # 48 h window (2 days) + 3-day pay horizon + 1
    fill(store, [msg("b1", "a1", "agent", "2026-10-05 09:05:00")])  # 46 h 55 min before o1
    assert date(2026, 10, 8) in stale_days(store)  # o1's payment, three days on
    rows = compute_kpis(store, metrics=["sales_amount"])
    assert rows == [{"agent": "a1", "sales_amount": 10.0}]
