"""A rating joined to the conversation it rates (kaohe.rated)."""

from __future__ import annotations

from kaohe.rated import rated_conversations
from kaohe.store import Store
from tests.engine.conftest import fill, fill_table, msg


def _store() -> Store:
    st = fill(
        Store(":memory:"),
        [
            msg("b1", "a1", "buyer", "2026-11-03 09:00:00", shop="s1"),
            msg("b1", "a1", "agent", "2026-11-03 09:01:00", shop="s1"),  # k2
            msg("b1", "a2", "agent", "2026-11-03 09:30:00", shop="s1"),  # k3 (after a transfer)
            msg("b2", "a1", "buyer", "2026-11-01 08:00:00", shop="s1"),  # k4: long before
        ],
    )
    rating = {"shop": "s1", "level": "2", "level_label": "失望"}
    fill_table(
        st,
        "ratings",
        [
            {
                **rating,
                "rating_key": "r1",
                "buyer": "b1",
                "agent": "a1",
                "time": "2026-11-03 10:00:00",
            },
            {
                **rating,
                "rating_key": "r2",
                "buyer": "b1",
                "agent": "a9",
                "time": "2026-11-03 10:00:00",
            },
            {
                **rating,
                "rating_key": "r3",
                "buyer": "b2",
                "agent": "a1",
                "time": "2026-11-05 08:00:00",
            },
        ],
    )
    return st


def test_by_agent_then_by_buyer_within_the_lookback():
    with _store() as st:
        got = rated_conversations(st, ["r1", "r2", "r3"], lookback_hours=24)
    assert got["r1"]["msg_key"] == "k2" and got["r1"]["matched_by"] == "agent"
    assert got["r2"]["msg_key"] == "k3" and got["r2"]["matched_by"] == "buyer"
    assert "r3" not in got  # its chat ended 96 h before the rating


def test_a_longer_lookback_reaches_older_chats():
    with _store() as st:
        assert rated_conversations(st, ["r3"], lookback_hours=100)["r3"]["msg_key"] == "k4"
        assert rated_conversations(st, []) == {}
