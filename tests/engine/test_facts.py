"""Facts: additive parts per agent-day and shop-day, refreshed incrementally."""

from __future__ import annotations

from datetime import date

import pytest

from kaohe.engine import compute_kpis
from kaohe.engine.facts import refresh_facts, stale_days
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
    fill(store, [msg("n1", "a1", "buyer", "2026-10-09 10:00:00"),
                 msg("n1", "a1", "agent", "2026-10-09 10:00:30")])
    assert stale_days(store) == [date(2026, 10, 9)]
    rewritten = refresh_facts(store, [date(2026, 10, 9)])
    assert rewritten == [date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]
    rows = compute_kpis(store, by="agent", metrics=["rounds", "avg_response_s"])
    assert rows == [{"agent": "a1", "rounds": 2, "avg_response_s": 45.0}]


def test_overridden_parameters_compute_on_demand(make_store):
    store = make_store(F.TAOBAO)
    refresh_facts(store)
    rows = compute_kpis(store, metrics=["avg_response_s"], params={"cap_s": 100})
    assert rows == [{"agent": "a3", "avg_response_s": (60 + 100 + 30) / 3}]
