"""Alert handling metrics (issue 21.6): time to acknowledge and to resolve per rule and per
lead, computed by hand on four alerts."""

from __future__ import annotations

import pytest

from kaohe.engine import compute_kpis
from kaohe.engine.facts import margins, stale_days
from kaohe.errors import UsageError
from tests.engine.conftest import fill_table
from tests.engine.fixtures_alerts import ALERTS, ROSTER, alert

IDS = [
    "alerts_fired",
    "alerts_acknowledged",
    "alert_ack_minutes",
    "alert_ack_median_minutes",
    "alerts_resolved",
    "alerts_self_resolved",
    "alert_resolve_minutes",
    "alert_resolve_median_minutes",
]


@pytest.fixture
def store(make_store):
    s = make_store([])
    fill_table(s, "agents", ROSTER)
    return fill_table(s, "alerts", ALERTS)


def _values(row: dict) -> list:
    return [row[i] for i in IDS]


def test_per_rule(store):
    rows = {r["rule"]: _values(r) for r in compute_kpis(store, "rule", "2026-10", IDS)}
    # bad_rating: 2 fired, 1 acknowledged (30 min), 2 resolved (90 and 10 min), 1 by itself
    assert rows["bad_rating"] == [2, 1, 30.0, 30.0, 2, 1, 50.0, 50.0]
    # slow_reply: acknowledged after 6 and 12 min (mean = median = 9), one resolved at 20 min
    assert rows["slow_reply"] == [2, 2, 9.0, 9.0, 1, 0, 20.0, 20.0]


def test_per_lead_of_the_alerts_team(store):
    rows = {r["lead"]: _values(r) for r in compute_kpis(store, "lead", "2026-10", IDS)}
    # 组长甲's team: #1, #2, #3 — acknowledged after 30 and 6 min; resolved after 90 and 10
    assert rows["组长甲"] == [3, 2, 18.0, 18.0, 2, 1, 50.0, 50.0]
    assert rows[None] == [1, 1, 12.0, 12.0, 1, 0, 20.0, 20.0]  # 售后二组 has no lead


def test_per_handler_and_period(store):
    rows = compute_kpis(store, "handler", "2026-10-06", ["alerts_fired", "alert_ack_minutes"])
    assert rows == [
        {"handler": None, "alerts_fired": 1, "alert_ack_minutes": None},
        {"handler": "组长甲", "alerts_fired": 1, "alert_ack_minutes": 6.0},
    ]


def test_median_differs_from_the_mean(store):
    fill_table(
        store,
        "alerts",
        [
            alert(
                5,
                "bad_rating",
                "小美",
                "售后一组",
                "2026-10-08 10:00:00",
                acknowledged_at="2026-10-08 12:00:00",
            )
        ],
    )
    (row,) = compute_kpis(
        store, "all", "2026-10", ["alert_ack_minutes", "alert_ack_median_minutes"]
    )
    # acknowledged after 30, 6, 12 and 120 min: mean 42, median (12 + 30) / 2 = 21
    assert row == {"alert_ack_minutes": 42.0, "alert_ack_median_minutes": 21.0}


def test_other_metrics_cannot_be_grouped_by_rule(store):
    with pytest.raises(UsageError, match="rounds.*rule"):
        compute_kpis(store, "rule", "2026-10", ["rounds"])


def test_an_acknowledgement_leaves_the_daily_facts_alone(store):
    assert "alerts" not in margins()
    compute_kpis(store, "agent", "2026-10", ["alerts_fired"])  # brings the facts up to date
    store.con.execute("UPDATE alerts SET acknowledged_at = fired_at WHERE id = 2")
    assert stale_days(store) == []
    rows = compute_kpis(store, "agent", "2026-10", ["alerts_acknowledged"])
    assert {r["agent"]: r["alerts_acknowledged"] for r in rows} == {"小美": 2, "小丽": 1, "阿强": 1}
