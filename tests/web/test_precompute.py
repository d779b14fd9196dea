"""What the pages precompute after an import reads the same as computing one agent's or one
thread's on demand: every agent's KPI catalogue and sessions in one run, and the viewer's
and the credit lookup's queries compiled once and run with the thread bound."""

from __future__ import annotations

import pytest

from kaohe.engine import bound
from kaohe.engine.attribution import credit
from kaohe.engine.conversation import thread_frame
from kaohe.engine.periods import parse_period
from kaohe.store import Store
from kaohe.web.pages.agent import (
    agent_kpis,
    agent_reviews,
    team_daily,
    team_kpis,
    team_reviews,
    trend_charts,
)
from kaohe.web.views import agent_sessions, period_sessions
from tests.engine.conftest import fill, fill_table
from tests.engine.test_attribution import TWO_AGENTS, TWO_ORDER

OCTOBER = parse_period("2026-10")


@pytest.fixture(scope="module")
def store():
    with Store(":memory:") as s:
        fill(s, TWO_AGENTS, roster=[("a1", "t"), ("a2", "t"), ("a3", "t")])
        fill_table(s, "orders", TWO_ORDER)
        yield s


def test_every_agent_at_once_reads_as_one_agent(store):
    kpis, sessions = team_kpis(store, OCTOBER, {}), period_sessions(store, OCTOBER)
    daily, reviews = team_daily(store, OCTOBER, {}), team_reviews(store, OCTOBER)
    for agent in ("a1", "a2", "a3"):
        alone = agent_kpis(store, agent, OCTOBER, "zh", {})
        assert agent_kpis(store, agent, OCTOBER, "zh", {}, kpis) == alone
        charts = trend_charts(store, agent, OCTOBER, "zh", {})
        assert trend_charts(store, agent, OCTOBER, "zh", {}, daily) == charts
        assert agent_reviews(store, agent, OCTOBER, reviews) == agent_reviews(store, agent, OCTOBER)
        mine = agent_sessions(store, agent, OCTOBER, True, {}, sessions)
        assert mine == agent_sessions(store, agent, OCTOBER, True, {})
    # b1 wrote at 09:59 and a1 answered at 10:00: a1's session of 2 messages; a2's reply at
    # 10:05 is a session without a buyer message, which `sessions` does not count
    assert [s["messages"] for s in agent_sessions(store, "a1", OCTOBER, True, {}, sessions)] == [2]
    assert agent_sessions(store, "a2", OCTOBER, True, {}, sessions) == []


def test_an_agent_without_data_reads_as_computed_alone(store):
    """a3 is on the roster without a message or an order in October: the team's run has no
    row for them, and the page shows what computing them alone gives (0 buyers received,
    no response time)."""
    kpis = team_kpis(store, OCTOBER, {})
    assert "a3" not in kpis
    shown = agent_kpis(store, "a3", OCTOBER, "zh", {}, kpis)
    assert shown == agent_kpis(store, "a3", OCTOBER, "zh", {})
    values = {k["id"]: k["value"] for k in shown}
    assert values["received_buyers"] == 0
    assert values["avg_response_s"] is None


def test_a_thread_and_an_order_are_compiled_once(store):
    with bound._lock:
        bound._compiled.clear()
    assert len(thread_frame(store, "s1", "b1")) == 3
    assert credit(store, "o1")["credited_agent"] == "a2"  # the last touch (10:05)
    compiled = len(bound._compiled)
    assert thread_frame(store, "s1", "nobody") == []  # another thread: the same SQL, bound
    assert credit(store, "o1")["credited_agent"] == "a2"
    assert len(bound._compiled) == compiled
    thread_frame(store, "s1", "b1", {"session_gap": 60})  # other parameters: other SQL
    assert len(bound._compiled) == compiled + 1


def test_the_warm_up_adds_the_newest_imported_month_and_gives_way_to_a_queued_import(
    store, monkeypatch
):
    """After the default month (October here), the newest later month the import's facts
    refresh rewrote is warmed; older ones are not. With another import queued behind this one
    (`importing` counts both) nothing is warmed and the months wait for the next warm-up."""
    from datetime import date
    from types import SimpleNamespace

    from kaohe.web import deps, services
    from kaohe.web.pages import conversation

    warmed: list[str] = []
    monkeypatch.setattr(services, "_warm_period", lambda app, st, period: warmed.append(period))
    monkeypatch.setattr(conversation, "warm", lambda app, st: warmed.append("queries"))
    monkeypatch.setattr(deps, "default_period", lambda st: "2026-10")
    app = SimpleNamespace(state=SimpleNamespace(importing=2))
    imported = [date(2026, 9, 30), date(2026, 10, 1), date(2026, 11, 2), date(2026, 12, 1)]
    services.note_imported(app, imported)
    services.warm_default(app, store)
    assert warmed == [] and app.state.months_to_warm == {"2026-09", "2026-10", "2026-11", "2026-12"}
    app.state.importing = 1
    # (the fixture's messages are all in October: December is given some to be warmed)
    monkeypatch.setattr(services, "_has_messages", lambda st, month: month == "2026-12")
    services.warm_default(app, store)
    assert warmed == ["2026-10", "queries", "2026-12"] and app.state.months_to_warm == set()
