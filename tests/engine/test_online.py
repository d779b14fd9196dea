"""Hand-computed values for the online-time metrics (rows: fixtures_service_quality)."""

from __future__ import annotations

import pytest

from kaohe.engine import compute_kpis
from tests.engine import fixtures_service_quality as F

METRICS = [
    "online_hours",
    "hangup_hours",
    "hangups_over_15min",
    "workdays",
    "avg_daily_online_hours",
]


def store(make_store, status=F.STATUS):
    return F.load(make_store(F.MESSAGES), {"agent_status": status})


def agent(make_store, name: str, **kw) -> dict:
    kw.setdefault("period", "2026-10")
    got = compute_kpis(store(make_store), by="agent", metrics=METRICS, use_facts=False, **kw)
    return {r["agent"]: r for r in got}[name]


def test_online_hours_count_online_and_busy_not_away(make_store):
    row = agent(make_store, "b2-o1")
    # busy 08:00–10:00 (2 h) + online 22:00–02:00 (4 h); away and hang-ups are not online
    assert row["online_hours"] == pytest.approx(6.0)
    # hang-ups: 15 min + 15 min 1 s + 5 min = 2101 s
    assert row["hangup_hours"] == pytest.approx(2101 / 3600)


def test_hangups_over_15_minutes_exactly_15_is_not_over(make_store):
    assert agent(make_store, "b2-o1")["hangups_over_15min"] == 1  # only the 15 min 1 s one
    row = agent(make_store, "b2-o1", params={"hangup_minutes": 5})
    assert row["hangups_over_15min"] == 2  # 15 min and 15 min 1 s; 5 min exactly is not over


def test_interval_across_midnight_is_split_by_day(make_store):
    got = compute_kpis(
        store(make_store, F.ONLINE_STATUS),
        by="day",
        period="2026-10",
        metrics=["online_hours", "workdays"],
        use_facts=False,
    )
    by_day = {r["day"]: r for r in got if r["online_hours"] or r["workdays"]}
    # the 5th: busy 2 h + online 22:00–24:00 2 h; the 6th: 00:00–02:00 2 h; the 7th: a reply
    assert by_day["2026-10-05"]["online_hours"] == pytest.approx(4.0)
    assert by_day["2026-10-06"]["online_hours"] == pytest.approx(2.0)
    assert by_day["2026-10-07"] == {"day": "2026-10-07", "online_hours": 0.0, "workdays": 1}
    one_day = compute_kpis(
        store(make_store, F.ONLINE_STATUS),
        by="agent",
        period="2026-10-06",
        metrics=["online_hours"],
        use_facts=False,
    )
    assert {r["agent"]: r["online_hours"] for r in one_day}["b2-o1"] == pytest.approx(2.0)


def test_interval_over_a_whole_day(make_store):
    got = compute_kpis(
        store(make_store, F.LONG_STATUS),
        by="day",
        period="2026-10",
        metrics=["online_hours"],
        use_facts=False,
        agents=["b2-o2"],
    )
    hours = {r["day"]: r["online_hours"] for r in got}
    # 10th 23:00 → 12th 01:00: 1 h, 24 h, 1 h
    assert hours == {"2026-10-10": 1.0, "2026-10-11": 24.0, "2026-10-12": 1.0}


def test_workdays_and_average_daily_online_hours(make_store):
    row = agent(make_store, "b2-o1")
    # online on the 5th and 6th, a valid reply on the 7th (and the 5th); away only on the 8th
    assert row["workdays"] == 3
    assert row["avg_daily_online_hours"] == pytest.approx(6.0 / 3)
    k = agent(make_store, "b2-k1")  # no status rows: replies on the 5th and 6th
    assert (k["workdays"], k["online_hours"], k["avg_daily_online_hours"]) == (2, 0.0, 0.0)
    o2 = agent(make_store, "b2-o2")
    assert (o2["workdays"], o2["avg_daily_online_hours"]) == (3, pytest.approx(26 / 3))


def test_status_days_go_to_the_shop_the_agent_served_that_day(make_store):
    got = compute_kpis(
        store(make_store, F.ONLINE_STATUS),
        by="shop",
        period="2026-10",
        metrics=["online_hours", "workdays"],
        use_facts=False,
    )
    by_shop = {r["shop"]: r for r in got}
    # b2-o1 messaged in b2-jd on the 5th (4 h) and the 7th; the 6th (2 h) has no shop
    assert by_shop["b2-jd"]["online_hours"] == pytest.approx(4.0)
    assert by_shop["b2-jd"]["workdays"] == 2
    assert by_shop[None]["online_hours"] == pytest.approx(2.0)
    assert by_shop["b2-ks"]["workdays"] == 2  # b2-k1's reply days


def test_a_day_without_messages_goes_to_the_one_shop_of_the_roster(make_store):
    """The 6th (2 h online, no message) goes to b2-o1's roster shop; an agent whose roster
    lists two shops keeps such a day under no shop (no shop can be told apart)."""
    roster = [
        {"agent": "b2-o1", "shops": "b2-jd"},
        {"agent": "b2-o2", "shops": "b2-jd、b2-ks"},
    ]
    tables = {"agent_status": F.ONLINE_STATUS + F.LONG_STATUS, "agents": roster}
    got = compute_kpis(
        F.load(make_store(F.MESSAGES), tables),
        by="shop",
        period="2026-10",
        metrics=["online_hours"],
        use_facts=False,
    )
    by_shop = {r["shop"]: r["online_hours"] for r in got}
    assert by_shop["b2-jd"] == pytest.approx(4.0 + 2.0)
    assert by_shop[None] == pytest.approx(26.0)  # b2-o2 sent no message and has two shops


def test_agent_with_no_data_gives_nulls(make_store):
    row = agent(make_store, "ghost", agents=["ghost"])
    assert row["avg_daily_online_hours"] is None
    assert row["workdays"] == 0 and row["hangups_over_15min"] == 0
    assert row["online_hours"] == 0.0
