"""Facts: additive parts per agent-day and shop-day, refreshed incrementally."""

from __future__ import annotations

from datetime import date

import pytest

from kaohe.engine import compute_kpis
from kaohe.engine.facts import margins, refresh_facts, stale_days
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
    # itself, and computed days within the messages' margin (a reply can be credited to an
    # order paid days later) are stale with it
    reach = margins()["messages"]
    computed = [date(2026, 10, 4), date(2026, 10, 5), date(2026, 10, 6)]
    near = [d for d in computed if abs((d - date(2026, 10, 9)).days) <= reach]
    assert stale_days(store) == [*near, date(2026, 10, 9)]
    rewritten = refresh_facts(store, [date(2026, 10, 9)])
    assert rewritten == [date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]
    assert stale_days(store) == []
    rows = compute_kpis(store, by="agent", metrics=["rounds", "avg_response_s"])
    assert rows == [{"agent": "a1", "rounds": 2, "avg_response_s": 45.0}]


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
