"""Report data: the conversation figures (buyer messages, valid replies, received buyers) are
the engine's, never a valid reply restated in SQL."""

from __future__ import annotations

from kaohe.engine import compute_kpis
from kaohe.reports import by_shop, roster
from kaohe.store import Store
from tests.engine.conftest import fill, msg

D = "2026-10-05"
ROWS = [
    msg("b1", "a1", "buyer", f"{D} 10:00:00", "在吗"),
    msg("b1", "a1", "agent", f"{D} 10:00:01", "欢迎光临", auto=True),  # automatic
    msg("b1", "a1", "agent", f"{D} 10:00:20", "发错了", kind="withdrawn"),  # withdrawn
    msg("b1", "a1", "agent", f"{D} 10:00:30", "您好，在的"),  # the one valid reply
    msg("b2", None, "buyer", f"{D} 11:00:00", "在吗"),  # 快手: no agent on the buyer row
    msg("b2", "a1", "agent", f"{D} 11:01:00", "您好"),  # a valid reply
]


def test_shop_rows_and_the_roster_count_valid_replies_as_the_engine_does():
    with Store(":memory:") as store:
        fill(store, ROWS, roster=[("a1", "售前组")])
        check(store)


def check(store: Store) -> None:
    shop = by_shop(store, use_facts=False)
    assert [(r["shop"], r["messages"], r["buyer_messages"], r["agent_messages"]) for r in shop] == [
        ("s1", 6, 2, 2)  # 4 agent lines, of which the automatic and the withdrawn are no replies
    ]
    agents = roster(store, use_facts=False)
    # 2 valid replies; b1 and b2 each received (an answered round) on 10-05: 2 buyer-days
    assert [(r["agent"], r["replies"], r["buyers"]) for r in agents] == [("a1", 2, 2)]
    engine = compute_kpis(
        store, by="agent", metrics=["agent_messages", "received_buyers"], use_facts=False
    )
    assert engine == [{"agent": "a1", "agent_messages": 2, "received_buyers": 2}]
