"""Sales and conversion metrics, hand-computed (spec: metrics.md, "Sales, conversion and
attribution"; seed 000: 营业额, 成功率, 客单价 30000 / 100 = 300, 协助跟进)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kaohe.engine import compute_kpis
from kaohe.engine.compute import make_request, run
from kaohe.engine.periods import parse_period
from kaohe.engine.registry import all_metrics
from kaohe.engine.settle import settled
from kaohe.errors import ConfigError
from tests.engine.conftest import fill_table, msg
from tests.engine.test_attribution import order

D = "2026-10-05"
CONVERSION = [
    "inquiry_buyers",
    "order_buyers",
    "paid_buyers",
    "consult_to_order_rate",
    "order_to_pay_rate",
    "consult_to_pay_rate",
    "lost_buyers",
    "consult_buyers",
]
SALES_IDS = [m.id for m in all_metrics() if m.section == "Sales, conversion and attribution"]


def rows_by_agent(
    store,
    metrics: list[str],
    period: str = "2026-10",  # noqa: ANN001
    **params: Any,
) -> dict[str, dict]:
    rows = compute_kpis(
        store, by="agent", period=period, metrics=metrics, params=params, use_facts=False
    )
    return {r["agent"]: r for r in rows}


def chat(buyer: str, agent: str, at: str, shop: str = "s1") -> list[dict]:
    """A buyer asks at `at` and the agent answers a minute later (same hour, :01)."""
    return [
        msg(buyer, agent, "buyer", f"{at}:00", shop=shop),
        msg(buyer, agent, "agent", f"{at}:30", shop=shop),
    ]


def test_every_spec_metric_is_registered():
    assert sorted(SALES_IDS) == sorted(
        [
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
        ]
    )


def test_seed_avg_order_value_30000_over_100_buyers(make_store):
    # seed 000: 当日100个顾客购买了3万元商品, 客单价 30000/100 = 300. 50 buyers pay ¥200
    # (2 items), 50 pay ¥400 (1 item): 10000 + 20000 = 30000 from 100 paying buyers
    messages, orders = [], []
    for i in range(100):
        buyer = f"b{i:03d}"
        messages += chat(buyer, "a1", f"{D} 10:{i % 60:02d}")
        amount, items = (200.0, 2) if i < 50 else (400.0, 1)
        orders.append(order(f"o{i}", buyer, f"{D} 11:00:00", f"{D} 11:05:00", amount, items))
    store = make_store(messages)
    fill_table(store, "orders", orders)
    row = rows_by_agent(
        store,
        [
            "sales_amount",
            "paying_buyers",
            "avg_order_value",
            "items_sold",
            "items_per_buyer",
            "paid_orders",
        ],
    )["a1"]
    assert row["sales_amount"] == 30000.0 and row["paying_buyers"] == 100
    assert row["avg_order_value"] == 300.0
    assert row["items_sold"] == 150 and row["items_per_buyer"] == 1.5  # 50·2 + 50·1 = 150
    assert row["paid_orders"] == 100


def test_two_orders_of_one_buyer_on_one_day_are_one_paying_buyer(make_store):
    store = make_store(chat("b1", "a1", f"{D} 10:00"))
    fill_table(
        store,
        "orders",
        [
            order("o1", "b1", f"{D} 10:10:00", f"{D} 10:11:00", 100.0),
            order("o2", "b1", f"{D} 10:20:00", f"{D} 10:21:00", 50.0),
        ],
    )
    row = rows_by_agent(store, ["sales_amount", "paid_orders", "paying_buyers", "avg_order_value"])[
        "a1"
    ]
    # 150 / 1 buyer-day
    assert (row["sales_amount"], row["paid_orders"], row["paying_buyers"]) == (150.0, 2, 1)
    assert row["avg_order_value"] == 150.0


def test_conversion_funnel(make_store):
    # a1's inquiries on the 5th: b1 orders and pays, b2 orders and never pays, b3 does not
    # order; b4 orders 49 h after its last message (outside the 48 h window): not an outcome
    messages = (
        chat("b1", "a1", f"{D} 10:00")
        + chat("b2", "a1", f"{D} 11:00")
        + chat("b3", "a1", f"{D} 12:00")
        + chat("b4", "a1", f"{D} 13:00")
    )
    store = make_store(messages)
    fill_table(
        store,
        "orders",
        [
            order("o1", "b1", f"{D} 10:05:00", f"{D} 10:06:00"),
            order("o2", "b2", f"{D} 11:05:00"),
            order("o4", "b4", "2026-10-07 14:00:31", "2026-10-07 14:01:00"),
        ],
    )
    row = rows_by_agent(store, CONVERSION)["a1"]
    assert row["inquiry_buyers"] == 4 and row["consult_buyers"] == 4
    assert row["order_buyers"] == 2  # b1, b2
    assert row["paid_buyers"] == 1  # b1
    assert row["consult_to_order_rate"] == pytest.approx(2 / 4)
    assert row["order_to_pay_rate"] == pytest.approx(1 / 2)
    assert row["consult_to_pay_rate"] == pytest.approx(1 / 4)
    assert row["lost_buyers"] == 3  # 4 − 1


def test_outcome_credited_to_another_agent_does_not_convert(make_store):
    # b1 asks a1 at 10:00; a2 answers later at 10:03 and the order comes at 10:05: a2 is
    # credited, so a1's inquiry did not convert (a2 has no buyer message: no inquiry)
    messages = [*chat("b1", "a1", f"{D} 10:00"), msg("b1", "a2", "agent", f"{D} 10:03:00")]
    store = make_store(messages)
    fill_table(store, "orders", [order("o1", "b1", f"{D} 10:05:00", f"{D} 10:06:00")])
    rows = rows_by_agent(store, ["inquiry_buyers", "order_buyers", "sales_amount"])
    assert (rows["a1"]["inquiry_buyers"], rows["a1"]["order_buyers"]) == (1, 0)
    assert rows["a1"]["sales_amount"] == 0.0 and rows["a2"]["sales_amount"] == 100.0
    assert rows["a2"]["inquiry_buyers"] == 0


def test_after_sales_consultation_is_not_an_inquiry(make_store):
    # b1 paid on 10-01 and asks on the 5th without ordering again: after-sales (售后咨询).
    # b2 paid on 10-01 too but orders again after asking: an inquiry.
    # b3 paid on 09-15, more than aftersales_lookback (15 d) before: an inquiry.
    messages = (
        chat("b1", "a1", f"{D} 10:00")
        + chat("b2", "a1", f"{D} 11:00")
        + chat("b3", "a1", f"{D} 12:00")
    )
    store = make_store(messages)
    fill_table(
        store,
        "orders",
        [
            order("p1", "b1", "2026-10-01 09:00:00", "2026-10-01 09:10:00"),
            order("p2", "b2", "2026-10-01 09:00:00", "2026-10-01 09:10:00"),
            order("p3", "b3", "2026-09-15 09:00:00", "2026-09-15 09:10:00"),
            order("o2", "b2", f"{D} 11:05:00", f"{D} 11:06:00"),
        ],
    )
    row = rows_by_agent(store, CONVERSION)["a1"]
    assert row["consult_buyers"] == 3
    assert row["inquiry_buyers"] == 2  # b2, b3; b1 is after-sales
    assert row["paid_buyers"] == 1 and row["lost_buyers"] == 1
    # a 3-day lookback makes b1 an inquiry too
    assert rows_by_agent(store, CONVERSION, aftersales_lookback=3)["a1"]["inquiry_buyers"] == 3


def test_refund_within_the_clawback_is_netted(make_store):
    # o1 ¥100 and o2 ¥200 credited to a1, paid on the 5th. r1: ¥30 on o1 completed 5 days
    # later (within 15): netted. r2: ¥200 on o2 completed 20 days later: not netted.
    # r3: an exchange on o2 (no money) within the clawback: not a refund.
    store = make_store(chat("b1", "a1", f"{D} 10:00") + chat("b2", "a1", f"{D} 11:00"))
    fill_table(
        store,
        "orders",
        [
            order("o1", "b1", f"{D} 10:05:00", f"{D} 10:06:00", 100.0),
            order("o2", "b2", f"{D} 11:05:00", f"{D} 11:06:00", 200.0),
        ],
    )
    fill_table(
        store,
        "refunds",
        [
            {
                "refund_id": "r1",
                "order_id": "o1",
                "shop": "s1",
                "buyer": "b1",
                "type": "refund_only",
                "applied_at": "2026-10-08 09:00:00",
                "completed_at": "2026-10-10 10:06:00",
                "status": "success",
                "amount": 30.0,
            },
            {
                "refund_id": "r2",
                "order_id": "o2",
                "shop": "s1",
                "buyer": "b2",
                "type": "return_refund",
                "applied_at": "2026-10-20 09:00:00",
                "completed_at": "2026-10-25 11:06:00",
                "status": "success",
                "amount": 200.0,
            },
            {
                "refund_id": "r3",
                "order_id": "o2",
                "shop": "s1",
                "buyer": "b2",
                "type": "exchange",
                "applied_at": "2026-10-06 09:00:00",
                "completed_at": "2026-10-07 09:00:00",
                "status": "success",
                "amount": 200.0,
            },
        ],
    )
    ids = ["sales_amount", "refund_amount", "net_sales", "refund_rate"]
    row = rows_by_agent(store, ids)["a1"]
    assert row["sales_amount"] == 300.0 and row["refund_amount"] == 30.0
    assert row["net_sales"] == 270.0  # 300 − 30
    assert row["refund_rate"] == pytest.approx(1 / 2)  # o1 of o1, o2
    assert rows_by_agent(store, ids, by="amount")["a1"]["refund_rate"] == pytest.approx(30 / 300)
    # a 25-day clawback nets r2 too: 300 − 30 − 200 = 70
    assert rows_by_agent(store, ids, clawback_days=25)["a1"]["net_sales"] == 70.0
    with pytest.raises(ConfigError, match="by"):
        rows_by_agent(store, ids, by="buyers")


def test_cancellation_after_payment_within_the_clawback_is_netted(make_store):
    store = make_store(chat("b1", "a1", f"{D} 10:00"))
    o1 = {
        **order("o1", "b1", f"{D} 10:05:00", f"{D} 10:06:00", 100.0),
        "cancelled_at": "2026-10-06 09:00:00",
        "status": "closed",
    }
    fill_table(store, "orders", [o1])
    row = rows_by_agent(store, ["refund_amount", "net_sales"])["a1"]
    assert row["refund_amount"] == 100.0 and row["net_sales"] == 0.0


def test_payment_after_the_pay_horizon_is_not_paid(make_store):
    # o1 paid 4 days after creation (pay_horizon 3 days): not paid; o2 paid after 2 days is
    store = make_store(chat("b1", "a1", f"{D} 10:00") + chat("b2", "a1", f"{D} 11:00"))
    fill_table(
        store,
        "orders",
        [
            order("o1", "b1", f"{D} 10:05:00", "2026-10-09 10:05:00", 100.0),
            order("o2", "b2", f"{D} 11:05:00", "2026-10-07 11:05:00", 40.0),
        ],
    )
    row = rows_by_agent(store, ["sales_amount", "paid_orders", *CONVERSION])["a1"]
    assert row["sales_amount"] == 40.0 and row["paid_orders"] == 1
    assert row["order_buyers"] == 2 and row["paid_buyers"] == 1
    # with a 5-day horizon both are paid
    row = rows_by_agent(store, ["sales_amount", "paid_buyers"], pay_horizon=5)["a1"]
    assert row["sales_amount"] == 140.0 and row["paid_buyers"] == 2


def test_sales_dated_by_payment_conversion_by_inquiry_day(make_store):
    # the inquiry and the touch on 10-31 23:00, the order 11-01 01:00, paid 11-01 02:00:
    # October's cohort converts; the sale belongs to November and is still credited to a1
    # (its touch lies before November: the replies reach back a window)
    store = make_store(chat("b1", "a1", "2026-10-31 23:00"))
    fill_table(store, "orders", [order("o1", "b1", "2026-11-01 01:00:00", "2026-11-01 02:00:00")])
    ids = ["inquiry_buyers", "paid_buyers", "sales_amount"]
    october = rows_by_agent(store, ids, period="2026-10")["a1"]
    assert (october["inquiry_buyers"], october["paid_buyers"]) == (1, 1)
    assert october["sales_amount"] == 0.0
    november = compute_kpis(store, by="agent", period="2026-11", metrics=ids, use_facts=False)
    assert november == [
        {"agent": "a1", "inquiry_buyers": 0, "paid_buyers": 0, "sales_amount": 100.0}
    ]


def test_shop_counts_a_buyer_day_once(make_store):
    # b1 talks to a1 and a2 on the 5th and pays an order credited to a2: the shop has one
    # inquiry buyer-day and one paying buyer-day; a1 and a2 one inquiry each
    messages = [*chat("b1", "a1", f"{D} 10:00"), *chat("b1", "a2", f"{D} 10:02")]
    store = make_store(messages)
    fill_table(store, "orders", [order("o1", "b1", f"{D} 10:05:00", f"{D} 10:06:00")])
    rows = rows_by_agent(store, ["inquiry_buyers", "paid_buyers", "paying_buyers"])
    assert rows["a1"]["inquiry_buyers"] == 1 and rows["a2"]["inquiry_buyers"] == 1
    assert rows["a2"]["paid_buyers"] == 1 and rows["a1"]["paid_buyers"] == 0
    shop = compute_kpis(
        store,
        by="shop",
        period="2026-10",
        metrics=["inquiry_buyers", "paid_buyers", "paying_buyers"],
        use_facts=False,
    )
    assert shop == [{"shop": "s1", "inquiry_buyers": 1, "paid_buyers": 1, "paying_buyers": 1}]


def test_settled_waits_for_window_pay_horizon_and_clawback():
    october = parse_period("2026-10")
    # after the last day (11-01 00:00): reply horizon 24 h; + window 48 h + pay 3 d for sales
    # (11-07 00:00); + clawback 15 d for net figures (11-22 00:00)
    cases = [
        (["rounds"], datetime(2026, 11, 2)),
        (["sales_amount"], datetime(2026, 11, 7)),
        (["consult_to_pay_rate"], datetime(2026, 11, 7)),
        (["rounds", "net_sales"], datetime(2026, 11, 22)),
        (["refund_rate"], datetime(2026, 11, 22)),
    ]
    for metrics, due in cases:
        assert not settled(october, {}, now=due.replace(hour=0) - _second(), metrics=metrics)
        assert settled(october, {}, now=due, metrics=metrics)
    # provisional for longer with a longer window; old callers: the reply horizon only
    assert not settled(october, {"window": 72}, now=datetime(2026, 11, 7), metrics=["sales_amount"])
    assert settled(october, {}, now=datetime(2026, 11, 2))
    assert not settled(None, {}, metrics=["sales_amount"])


def _second():  # noqa: ANN202
    from datetime import timedelta

    return timedelta(seconds=1)


def _all_scenarios(make_store):  # noqa: ANN001, ANN202
    messages = (
        chat("b1", "a1", f"{D} 10:00")
        + chat("b2", "a1", f"{D} 11:00")
        + [
            msg("b2", "a2", "agent", f"{D} 11:03:00"),
            msg("b3", "a2", "buyer", f"{D} 12:20:00"),
            msg("b3", "a2", "agent", f"{D} 12:30:00"),
        ]
        + chat("b4", "a1", "2026-10-31 23:00")
    )
    store = make_store(messages)
    fill_table(
        store,
        "orders",
        [
            order("o1", "b1", f"{D} 10:05:00", f"{D} 10:06:00", 100.0, 2),
            order("o2", "b2", f"{D} 11:05:00", f"{D} 11:06:00", 60.0),
            order("o3", "b3", f"{D} 12:00:00", f"{D} 13:00:00", 80.0),
            order("o4", "b4", "2026-11-01 01:00:00", "2026-11-01 02:00:00", 30.0),
            order("o5", "b1", "2026-09-25 10:00:00", "2026-09-25 10:00:00", 10.0),
        ],
    )
    fill_table(
        store,
        "refunds",
        [
            {
                "refund_id": "r1",
                "order_id": "o1",
                "shop": "s1",
                "buyer": "b1",
                "type": "refund_only",
                "applied_at": "2026-10-08 09:00:00",
                "completed_at": "2026-10-10 10:06:00",
                "status": "success",
                "amount": 30.0,
            },
            {  # the silent o3 (¥80), ¥20 refunded a week after payment
                "refund_id": "r2",
                "order_id": "o3",
                "shop": "s1",
                "buyer": "b3",
                "type": "return_refund",
                "applied_at": "2026-10-09 09:00:00",
                "completed_at": "2026-10-12 10:00:00",
                "status": "success",
                "amount": 20.0,
            },
        ],
    )
    return store


def test_all_scenarios_by_agent_and_shop(make_store):
    store = _all_scenarios(make_store)
    request = make_request("agent", parse_period("2026-10"), SALES_IDS, {})
    rows = {r["agent"]: r for r in run(store.ibis(), request)}
    # o1 → a1 (¥100, 2 items, ¥30 refunded), o2 → a2 (a2's 11:03 reply is the last touch,
    # a1 assisted before), o3 silent at creation and followed by a2 before payment
    assert rows["a1"]["sales_amount"] == 100.0 and rows["a1"]["net_sales"] == 70.0
    assert rows["a1"]["assist_order_buyers"] == 1
    assert rows["a2"]["sales_amount"] == 60.0 and rows["a2"]["assist_followup_buyers"] == 1
    # b1, b2, b4: b1 paid o5 10 days before but orders again, so still an inquiry
    assert rows["a1"]["inquiry_buyers"] == 3
    shop = run(store.ibis(), make_request("shop", parse_period("2026-10"), SALES_IDS, {}))[0]
    assert shop["silent_orders"] == 1 and shop["silent_sales"] == 80.0
    assert shop["silent_followed_orders"] == 1 and shop["sales_amount"] == 160.0
    # seed 004 静默 1 % 均摊: 月底会把退货减去 — the silent o3's ¥20 return is netted out
    assert shop["silent_refund_amount"] == 20.0 and shop["silent_net_sales"] == 60.0
    assert shop["refund_amount"] == 30.0  # credited orders only: o1's ¥30
