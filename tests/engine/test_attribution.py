"""Order attribution (落实 / 协助 / 静默), hand-computed: spec metrics.md, "Sales, conversion
and attribution". Each scenario is a handful of messages and one or two orders."""

from __future__ import annotations

from typing import Any

import pytest

from kaohe.engine import compute_kpis
from kaohe.engine.attribution import credit, window_hours
from kaohe.errors import ConfigError, NotFoundError
from tests.engine.conftest import fill_table, msg

D = "2026-10-05"
SALES = [
    "sales_amount",
    "paid_orders",
    "assist_order_buyers",
    "assist_followup_buyers",
    "silent_orders",
    "silent_sales",
    "silent_followed_orders",
]


def order(
    order_id: str,
    buyer: str,
    created: str,
    paid: str | None = None,
    amount: float = 100.0,
    items: int = 1,
    shop: str = "s1",
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "shop": shop,
        "platform": "taobao",
        "buyer": buyer,
        "created_at": created,
        "paid_at": paid,
        "amount": amount,
        "items": items,
        "status": "paid" if paid else "created",
    }


def store_with(make_store, messages: list[dict], orders: list[dict]):  # noqa: ANN001, ANN201
    store = make_store(messages)
    fill_table(store, "orders", orders)
    return store


def by_agent(store, **params: Any) -> dict[Any, dict]:  # noqa: ANN001
    rows = compute_kpis(
        store, by="agent", period="2026-10", metrics=SALES, params=params, use_facts=False
    )
    return {r["agent"]: r for r in rows}


def shop(store, **params: Any) -> dict:  # noqa: ANN001
    """Shop-level figures (silent orders have no agent: they count for the shop only)."""
    rows = compute_kpis(
        store, by="shop", period="2026-10", metrics=SALES, params=params, use_facts=False
    )
    assert len(rows) == 1
    return rows[0]


# a1 at 10:00, a2 at 10:05, order at 10:10, paid 10:20
TWO_AGENTS = [
    msg("b1", "a1", "buyer", f"{D} 09:59:00"),
    msg("b1", "a1", "agent", f"{D} 10:00:00"),
    msg("b1", "a2", "agent", f"{D} 10:05:00"),
]
TWO_ORDER = [order("o1", "b1", f"{D} 10:10:00", f"{D} 10:20:00", amount=250.0)]


def test_last_touch_vs_first_touch(make_store):
    store = store_with(make_store, TWO_AGENTS, TWO_ORDER)
    assert credit(store, "o1")["credited_agent"] == "a2"  # last touch, 10:05
    assert credit(store, "o1", {"touch": "first"})["credited_agent"] == "a1"  # 10:00
    rows = by_agent(store, touch="first")
    assert rows["a1"]["sales_amount"] == 250.0 and rows["a2"]["sales_amount"] == 0.0


def test_second_agent_credited_first_assists_the_order(make_store):
    store = store_with(make_store, TWO_AGENTS, TWO_ORDER)
    result = credit(store, "o1")
    assert result["credited_agent"] == "a2"
    assert result["assist_order"] == ["a1"] and result["assist_followup"] == []
    rows = by_agent(store)
    # a2: 1 paid order of 250; a1: 1 buyer-day assisted before the order, no sales
    assert rows["a2"]["paid_orders"] == 1 and rows["a2"]["sales_amount"] == 250.0
    assert rows["a2"]["assist_order_buyers"] == 0
    assert rows["a1"]["assist_order_buyers"] == 1 and rows["a1"]["paid_orders"] == 0


def test_chat_spanning_the_order_time(make_store):
    # a1 replies 10:00 and 10:15; the order is at 10:10; a2 replies 10:12; paid 10:30:
    # only the 10:00 reply is before the anchor, so a1 is credited, a2 follows up
    messages = [
        msg("b1", "a1", "buyer", f"{D} 09:59:00"),
        msg("b1", "a1", "agent", f"{D} 10:00:00"),
        msg("b1", "a2", "agent", f"{D} 10:12:00"),
        msg("b1", "a1", "agent", f"{D} 10:15:00"),
    ]
    store = store_with(make_store, messages, [order("o1", "b1", f"{D} 10:10:00", f"{D} 10:30:00")])
    result = credit(store, "o1")
    assert result["credited_agent"] == "a1"
    inside = [
        (t["agent"], str(t["time"])) for t in result["touches"] if t["position"] == "in_window"
    ]
    assert inside == [("a1", f"{D} 10:00:00")]
    assert result["assist_followup"] == ["a2"]
    rows = by_agent(store)
    assert rows["a1"]["paid_orders"] == 1 and rows["a1"]["assist_followup_buyers"] == 0
    assert rows["a2"]["assist_followup_buyers"] == 1


def test_touch_one_second_outside_the_window(make_store):
    # order 10-07 10:00:00, window 48 h → touches from 10-05 10:00:00 (inclusive)
    late = [
        msg("b1", "a1", "buyer", f"{D} 09:59:00"),
        msg("b1", "a1", "agent", f"{D} 09:59:59"),
    ]  # 48 h + 1 s before: outside
    o1 = [order("o1", "b1", "2026-10-07 10:00:00", "2026-10-07 10:05:00")]
    store = store_with(make_store, late, o1)
    result = credit(store, "o1")
    assert result["credited_agent"] is None and result["silent"]
    assert result["reason"]["zh"].startswith("静默订单: 窗口内无有效回复")
    assert [t["position"] for t in result["touches"]] == ["before_window"]
    assert shop(store)["silent_orders"] == 1 and by_agent(store) == {}

    # the same, plus a2 exactly 48 h before: inside, so a2 is credited
    store = store_with(make_store, [*late, msg("b1", "a2", "agent", f"{D} 10:00:00")], o1)
    result = credit(store, "o1")
    assert result["credited_agent"] == "a2"
    assert [t["position"] for t in result["touches"]] == ["before_window", "in_window"]
    # one more hour of window brings a1's reply inside, and a2 stays the last touch
    assert credit(store, "o1", {"window": 49})["assist_order"] == ["a1"]


def test_agent_who_only_follows_up_between_order_and_payment(make_store):
    # a1 touches at 10:00, order 10:10, a2 replies 11:00, paid 12:00
    messages = [
        msg("b1", "a1", "buyer", f"{D} 09:59:00"),
        msg("b1", "a1", "agent", f"{D} 10:00:00"),
        msg("b1", "a2", "agent", f"{D} 11:00:00", "亲, 记得付款哦"),
    ]
    store = store_with(make_store, messages, [order("o1", "b1", f"{D} 10:10:00", f"{D} 12:00:00")])
    result = credit(store, "o1")
    assert result["credited_agent"] == "a1" and result["assist_followup"] == ["a2"]
    rows = by_agent(store)
    assert rows["a2"]["assist_followup_buyers"] == 1
    assert rows["a2"]["sales_amount"] == 0.0 and rows["a2"]["assist_order_buyers"] == 0
    assert rows["a1"]["sales_amount"] == 100.0 and rows["a1"]["assist_followup_buyers"] == 0


# o1: created 10:00 with no reply before, a1 replies 10:30, paid 11:00 (¥120);
# o2: another buyer, created 10:00, paid 10:05, never a reply (¥80)
SILENT_MSGS = [msg("b1", "a1", "buyer", f"{D} 10:20:00"), msg("b1", "a1", "agent", f"{D} 10:30:00")]
SILENT_ORDERS = [
    order("o1", "b1", f"{D} 10:00:00", f"{D} 11:00:00", amount=120.0),
    order("o2", "b2", f"{D} 10:00:00", f"{D} 10:05:00", amount=80.0),
]


def test_silent_order(make_store):
    store = store_with(make_store, SILENT_MSGS, SILENT_ORDERS)
    result = credit(store, "o2")
    assert result["silent"] and result["credited_agent"] is None
    assert result["touches"] == [] and not result["followed_before_payment"]
    row = shop(store)
    # both orders silent under the order anchor: 2 orders, 120 + 80 = 200; o1 was followed
    assert row["silent_orders"] == 2 and row["silent_sales"] == 200.0
    assert row["silent_followed_orders"] == 1
    assert row["sales_amount"] == 0.0


@pytest.mark.parametrize(
    ("anchor", "credited", "silent", "silent_sales", "a1_sales", "a1_followup"),
    [
        ("order", None, 2, 200.0, 0.0, 1),  # silent at the order; a1 assisted the follow-up
        ("payment", "a1", 1, 80.0, 120.0, 0),  # a1's 10:30 reply precedes the 11:00 payment
        ("order_first", "a1", 1, 80.0, 120.0, 0),  # no agent at the order → payment anchor
    ],
)
def test_silent_order_followed_up_before_payment(
    make_store, anchor, credited, silent, silent_sales, a1_sales, a1_followup
):
    store = store_with(make_store, SILENT_MSGS, SILENT_ORDERS)
    result = credit(store, "o1", {"anchor": anchor})
    assert result["credited_agent"] == credited
    assert result["silent_at_creation"] and result["followed_before_payment"]
    rows, total = by_agent(store, anchor=anchor), shop(store, anchor=anchor)
    assert total["silent_orders"] == silent and total["silent_sales"] == silent_sales
    assert total["silent_followed_orders"] == 1  # o1 under every anchor
    assert rows["a1"]["sales_amount"] == a1_sales
    assert rows["a1"]["assist_followup_buyers"] == a1_followup
    if anchor == "order_first":
        assert result["rule"]["anchor_used"] == "payment"
        assert "按付款归属" in result["reason"]["zh"]


def test_order_placed_before_the_chat(make_store):
    # order 09:00, buyer asks 09:30, a1 answers 09:31, paid 09:45
    messages = [
        msg("b1", "a1", "buyer", f"{D} 09:30:00"),
        msg("b1", "a1", "agent", f"{D} 09:31:00"),
    ]
    store = store_with(make_store, messages, [order("o1", "b1", f"{D} 09:00:00", f"{D} 09:45:00")])
    assert credit(store, "o1", {"anchor": "order"})["credited_agent"] is None
    assert credit(store, "o1", {"anchor": "payment"})["credited_agent"] == "a1"
    assert by_agent(store, anchor="order")["a1"]["paid_orders"] == 0
    assert by_agent(store, anchor="payment")["a1"]["paid_orders"] == 1


def test_exactly_one_credited_agent_per_order(make_store):
    # a1 and a2 reply at the very same second: the later in file order (a2) is the last touch
    # and a1 the first; either way one agent, and the paid orders add up to the orders
    messages = [
        msg("b1", "a1", "buyer", f"{D} 09:59:00"),
        msg("b1", "a1", "agent", f"{D} 10:00:00"),
        msg("b1", "a2", "agent", f"{D} 10:00:00"),
        msg("b2", "a1", "buyer", f"{D} 09:59:00"),
        msg("b2", "a1", "agent", f"{D} 10:00:00"),
        msg("b2", "a2", "agent", f"{D} 10:01:00"),
    ]
    orders = [
        order("o1", "b1", f"{D} 10:10:00", f"{D} 10:20:00"),
        order("o2", "b2", f"{D} 10:10:00", f"{D} 10:20:00"),
        order("o3", "b2", f"{D} 11:10:00", f"{D} 11:20:00"),
    ]
    store = store_with(make_store, messages, orders)
    assert credit(store, "o1")["credited_agent"] == "a2"
    assert credit(store, "o1", {"touch": "first"})["credited_agent"] == "a1"
    for touch in ("last", "first"):
        rows = by_agent(store, touch=touch)
        assert sum(r["paid_orders"] for r in rows.values()) == 3
        for order_id in ("o1", "o2", "o3"):
            result = credit(store, order_id, {"touch": touch})
            assert sum(t["credited"] for t in result["touches"]) == 1


def test_unknown_order(make_store):
    store = store_with(make_store, TWO_AGENTS, TWO_ORDER)
    with pytest.raises(NotFoundError):
        credit(store, "nope")


@pytest.mark.parametrize("window", [0.5, "59m", 361, "16d", "abc", -3, True])
def test_window_outside_one_hour_to_fifteen_days(make_store, window):
    store = store_with(make_store, TWO_AGENTS, TWO_ORDER)
    with pytest.raises(ConfigError, match="window"):
        by_agent(store, window=window)
    with pytest.raises(ConfigError, match="window"):
        credit(store, "o1", {"window": window})


def test_window_bounds_and_units():
    assert window_hours(1) == 1.0 and window_hours(360) == 360.0
    assert window_hours("15d") == 360.0 and window_hours("60m") == 1.0
    assert window_hours("36h") == 36.0


@pytest.mark.parametrize(
    ("key", "value"),
    [("anchor", "chat"), ("touch", "middle"), ("pay_horizon", -1), ("clawback_days", "x")],
)
def test_other_attribution_parameters_validated(make_store, key, value):
    store = store_with(make_store, TWO_AGENTS, TWO_ORDER)
    with pytest.raises(ConfigError, match=key):
        by_agent(store, **{key: value})
