"""Agent assignment of buyer rows without an agent (spec: data-model.md, messages)."""

from kaohe.engine import compute_kpis
from tests.engine.conftest import msg


def by_agent(store, metrics):
    return {r["agent"]: r for r in compute_kpis(store, by="agent", metrics=metrics)}


def test_buyer_row_goes_to_the_next_valid_reply_within_the_horizon(make_store) -> None:
    # b1 writes without an agent; an automatic reply from A comes first (not a valid
    # reply), then B answers 2 minutes later: the buyer-day belongs to B.
    store = make_store(
        [
            msg("b1", "A", "agent", "2026-10-05 09:00:00"),
            msg("b1", None, "buyer", "2026-10-05 10:00:00"),
            msg("b1", "A", "agent", "2026-10-05 10:00:01", auto=True),
            msg("b1", "B", "agent", "2026-10-05 10:02:00"),
        ]
    )
    rows = by_agent(store, ["consult_buyers", "received_buyers"])
    assert rows["B"]["consult_buyers"] == 1
    assert rows["B"]["received_buyers"] == 1
    assert rows.get("A", {}).get("consult_buyers") in (None, 0)


def test_next_reply_beyond_the_horizon_falls_back_to_the_previous_agent(make_store) -> None:
    # A talked to b1 the day before; b1 writes again and B only answers 25 h later:
    # beyond the 24 h horizon, so the buyer row goes to A (previous agent message).
    store = make_store(
        [
            msg("b1", None, "buyer", "2026-10-04 09:00:00"),
            msg("b1", "A", "agent", "2026-10-04 09:00:30"),
            msg("b1", None, "buyer", "2026-10-05 10:00:00"),
            msg("b1", "B", "agent", "2026-10-06 11:00:00"),
        ]
    )
    rows = by_agent(store, ["consult_buyers"])
    assert rows["A"]["consult_buyers"] == 2  # 10-04 and 10-05
    assert rows.get("B", {}).get("consult_buyers") in (None, 0)


def test_a_thread_no_agent_ever_answered_counts_for_the_shop_only(make_store) -> None:
    # b2 writes twice to shop s1 and nobody ever answers: no agent can be assigned, so the
    # buyer-day counts for the shop (1 consultation, 1 unanswered round) and for no agent.
    store = make_store(
        [
            msg("b1", "A", "agent", "2026-10-05 09:00:00"),
            msg("b1", "A", "buyer", "2026-10-05 09:00:10"),
            msg("b1", "A", "agent", "2026-10-05 09:00:40"),
            msg("b2", None, "buyer", "2026-10-05 11:00:00"),
            msg("b2", None, "buyer", "2026-10-05 11:05:00"),
        ]
    )
    metrics = ["consult_buyers", "received_buyers", "rounds", "unanswered_rounds", "buyer_messages"]
    agents = by_agent(store, metrics)
    assert set(agents) == {"A"}
    assert agents["A"]["consult_buyers"] == 1
    shop = compute_kpis(store, by="shop", metrics=metrics, use_facts=False)[0]
    assert shop["consult_buyers"] == 2  # b1 (A) and b2 (unassigned)
    assert shop["received_buyers"] == 1
    assert shop["rounds"] == 2
    assert shop["unanswered_rounds"] == 1
    assert shop["buyer_messages"] == 3
    assert compute_kpis(store, by="shop", metrics=metrics)[0] == shop  # facts agree
