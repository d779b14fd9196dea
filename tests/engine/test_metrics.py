"""Hand-computed values for every metric of "Reception and workload" and "Response"."""

from __future__ import annotations

import pytest

from kaohe.engine import compute_kpis
from kaohe.engine.params import parse_window
from kaohe.engine.periods import parse_period
from tests.engine import fixtures as F
from tests.engine.conftest import msg


def one(store, agent: str, **kw) -> dict:
    kw.setdefault("use_facts", False)  # facts are compared with on-demand in test_facts.py
    rows = {r["agent"]: r for r in compute_kpis(store, by="agent", **kw)}
    return rows[agent]


def test_round_spanning_several_buyer_messages(make_store):
    row = one(make_store(F.MULTI), "a1")
    assert row["rounds"] == 1
    assert row["buyer_messages"] == 3
    assert row["agent_messages"] == 1
    assert row["avg_response_s"] == 60.0
    assert row["answer_ratio"] == pytest.approx(1 / 3)
    assert row["agent_chars"] == 2
    assert row["first_response_s"] == 60.0


def test_automatic_reply_does_not_end_a_round(make_store):
    row = one(make_store(F.AUTO), "a1")
    assert row["rounds"] == 1
    assert row["avg_response_s"] == 90.0
    assert row["agent_messages"] == 1  # the automatic reply is not a valid reply
    assert row["agent_chars"] == 2


def test_auto_reply_counts_parameter(make_store):
    row = one(make_store(F.AUTO), "a1", params={"auto_reply_counts": True})
    assert row["avg_response_s"] == 5.0


def test_reply_after_midnight_belongs_to_the_start_day(make_store):
    store = make_store(F.MIDNIGHT)
    row = one(store, "a1", period=parse_period("2026-10-05"))
    assert row["rounds"] == 1
    assert row["avg_response_s"] == 120.0
    assert row["received_buyers"] == 1
    assert row["reply_rate"] == 1.0
    by_day = compute_kpis(store, by="day", metrics=["rounds", "consult_buyers"])
    assert by_day == [{"day": "2026-10-05", "rounds": 1, "consult_buyers": 1}]


def test_reply_after_the_session_gap(make_store):
    row = one(make_store(F.GAP), "a1")
    assert row["avg_response_s"] == 2400.0
    assert row["unanswered_rounds"] == 0
    assert row["sessions"] == 1  # the reply opens a session without buyer messages
    assert row["slow_rounds"] == 1
    assert row["slow_buyers"] == 1


def test_a_long_unanswered_run_is_one_round_per_horizon(make_store):
    # a1 greets, then b1 writes every 25 h for five days and is never answered: each message
    # comes more than the 24 h horizon after the open round's start, so each starts a new
    # round: 5 unanswered rounds (more than the inline split passes handle).
    rows = [msg("b1", "a1", "agent", "2026-10-01 09:00:00")]
    rows += [msg("b1", "a1", "buyer", f"2026-10-0{d + 1} {10 + d}:00:00") for d in range(5)]
    row = one(make_store(rows), "a1")
    assert row["rounds"] == 5
    assert row["unanswered_rounds"] == 5
    assert row["consult_buyers"] == 5


def test_unanswered_round(make_store):
    row = one(make_store(F.UNANSWERED), "a1")
    assert row["rounds"] == 1
    assert row["unanswered_rounds"] == 1
    assert row["consult_buyers"] == 1
    assert row["received_buyers"] == 0
    assert row["unreplied_buyers"] == 1
    assert row["reply_rate"] == 0.0
    assert row["avg_response_s"] is None
    assert row["median_response_s"] is None
    assert row["first_response_s"] is None
    assert row["slow_buyers"] == 1
    assert row["reply_within_rate"] == 0.0


def test_a1_all_scenarios_together(make_store):
    rows = F.MULTI + F.AUTO + F.MIDNIGHT + F.GAP + F.UNANSWERED
    row = one(make_store(rows), "a1", period=parse_period("2026-10-05"))
    assert row["rounds"] == 5
    assert row["consult_buyers"] == 5
    assert row["received_buyers"] == 4
    assert row["reply_rate"] == 0.8
    assert row["avg_response_s"] == (60 + 90 + 120 + 2400) / 4
    assert row["median_response_s"] == 105.0
    assert row["p90_response_s"] == pytest.approx(120 + 0.7 * (2400 - 120))
    assert row["slow_rounds"] == 2  # 120 s and 2400 s
    assert row["slow_buyers"] == 3  # + the unanswered one
    assert row["reply_60s_rate"] == 0.2
    assert row["taobao_3min_rate"] == pytest.approx(3 / 5)


def test_bot_handoff_first_response_42s(make_store):
    row = one(make_store(F.HANDOFF), "a2")
    assert row["first_response_s"] == 42.0
    assert row["avg_response_s"] == 42.0
    assert row["rounds"] == 1
    assert row["agent_messages"] == 1


def test_taobao_cap_600_with_unanswered_counted_at_600(make_store):
    row = one(make_store(F.TAOBAO), "a3")
    assert row["taobao_avg_response_s"] == (60 + 600 + 600) / 3
    assert row["avg_response_s"] == (60 + 900 + 30) / 3
    assert row["rounds"] == 4
    row = one(make_store(F.TAOBAO), "a3", params={"avg_response_s.cap_s": 100})
    assert row["avg_response_s"] == (60 + 100 + 30) / 3


def test_jd_first_30s_excludes_night_starts_and_uses_10min_gap(make_store):
    row = one(make_store(F.JD), "a4")
    assert row["jd_first_30s_rate"] == 0.5
    assert row["greet_30s_rate"] == 1.0
    assert row["first_within_rate"] == 1.0
    assert row["first_response_s"] == 15.0
    assert row["sessions"] == 2


def test_first_response_reads_only_sessions_started_in_the_service_window(make_store):
    # x1's session starts at 10:00 (first reply after 20 s; its 10:15 round after 60 s), y1's
    # at 23:30 (10 s), outside 08:00-23:00: both response figures leave y1 out
    row = one(make_store(F.JD), "a4", params={"service_window": "08:00-23:00"})
    assert row["first_response_s"] == 20.0
    assert row["avg_response_s"] == (20 + 60) / 2


def test_pdd_buyer_invalid_after_61_minutes(make_store):
    row = one(make_store(F.PDD), "a5")
    assert row["pdd_effective_reply_rate"] == 0.5
    assert row["pdd_5min_reply_rate"] == pytest.approx(1 / 3)
    assert row["kuaishou_3min_rate"] == 0.0
    assert row["reply_within_rate"] == pytest.approx(1 / 3)


def test_same_buyer_two_agents_counted_once_for_the_shop(make_store):
    store = make_store(F.TWO_AGENTS)
    by_agent = {r["agent"]: r for r in compute_kpis(store, by="agent")}
    assert by_agent["a6"]["consult_buyers"] == 1
    assert by_agent["a7"]["consult_buyers"] == 1
    assert by_agent["a6"]["transfers_out"] == 1
    assert by_agent["a7"]["transfers_in"] == 1
    assert by_agent["a6"]["transfers_in"] == 0
    shop = compute_kpis(
        store, by="shop", metrics=["consult_buyers", "received_buyers", "rounds", "transfers_out"]
    )
    assert shop == [
        {"shop": "s2", "consult_buyers": 1, "received_buyers": 1, "rounds": 2, "transfers_out": 1}
    ]


def test_agent_with_no_data_gives_nulls(make_store):
    store = make_store(F.MULTI)
    row = one(store, "ghost", agents=["ghost"])
    assert row["reply_rate"] is None
    assert row["avg_response_s"] is None
    assert row["answer_ratio"] is None
    assert row["max_concurrent"] is None
    assert row["consult_buyers"] == 0


def test_horizon_splits_rounds(make_store):
    row = one(make_store(F.HORIZON), "a8")
    assert row["rounds"] == 2
    assert row["unanswered_rounds"] == 1
    assert row["avg_response_s"] == 60.0
    assert row["consult_buyers"] == 2  # two buyer-days


def test_max_concurrent_and_session_duration(make_store):
    row = one(make_store(F.CONCURRENT), "a9")
    assert row["max_concurrent"] == 2
    assert row["sessions"] == 2
    assert row["avg_session_minutes"] == (10 + 1) / 2
    assert row["long_sessions"] == 0
    row = one(make_store(F.CONCURRENT), "a9", params={"long_session": 5})
    assert row["long_sessions"] == 1


def test_grouping_team_all_platform(make_store):
    store = make_store(F.ALL, roster=F.ROSTER)
    teams = {r["team"]: r for r in compute_kpis(store, by="team", metrics=["rounds"])}
    assert teams["A组"]["rounds"] == 6  # a1: 5 rounds, a2: 1
    assert teams["B组"]["rounds"] == 4
    total = compute_kpis(store, by="all", metrics=["rounds", "consult_buyers"])
    assert len(total) == 1
    agents = compute_kpis(store, by="agent", metrics=["rounds", "consult_buyers"])
    assert total[0]["rounds"] == sum(r["rounds"] for r in agents)
    platforms = {
        r["platform"]: r for r in compute_kpis(store, by="platform", metrics=["consult_buyers"])
    }
    assert platforms["pdd"]["consult_buyers"] == 2
    assert platforms["jd"]["consult_buyers"] == 2


def test_exclusion_list(make_store):
    store = make_store(F.MULTI + F.AUTO)
    row = one(store, "a1", params={"exclude_buyers": ["b1"]})
    assert row["rounds"] == 1
    assert row["avg_response_s"] == 90.0


def test_ad_filter_hook_excludes_sessions(make_store):
    rows = F.MULTI + [
        msg("b9", "a1", "buyer", "2026-10-05 15:00:00", "加微信 abc123"),
        msg("b9", "a1", "agent", "2026-10-05 15:00:10"),
    ]
    row = one(make_store(rows), "a1", params={"ad_patterns": ["加微信|VX"]})
    assert row["rounds"] == 1
    assert row["consult_buyers"] == 1


def test_withdrawn_and_system_are_not_replies(make_store):
    rows = [
        msg("w1", "a1", "buyer", "2026-10-05 10:00:00"),
        msg("w1", "a1", "agent", "2026-10-05 10:00:10", kind="withdrawn"),
        msg("w1", "a1", "system", "2026-10-05 10:00:20"),
        msg("w1", "a1", "agent", "2026-10-05 10:00:50"),
    ]
    assert one(make_store(rows), "a1")["avg_response_s"] == 50.0


def test_service_windows():
    night = parse_window("23:00-09:00")
    assert night.crosses_midnight
    assert night.contains(23 * 3600 + 30 * 60) and night.contains(3600)
    assert not night.contains(9 * 3600) and not night.contains(12 * 3600)
    assert parse_window("08:00-24:00").contains(23 * 3600 + 59 * 60)
    assert parse_window("00:00-24:00") is None


def test_periods():
    assert parse_period("2026-10").end.isoformat() == "2026-10-31"
    week = parse_period("2026-W43")
    assert (week.start.isoformat(), week.end.isoformat()) == ("2026-10-19", "2026-10-25")
    from datetime import date

    last = parse_period("last30", today=date(2026, 11, 1))
    assert (last.start.isoformat(), last.end.isoformat()) == ("2026-10-02", "2026-10-31")


def test_quarter_periods():
    from kaohe.engine.periods import months_of
    from kaohe.errors import UsageError

    q4 = parse_period("2026-q4")  # seed 002 连续1季度: every command takes 2026-Q4
    assert (q4.start.isoformat(), q4.end.isoformat(), q4.label) == (
        "2026-10-01",
        "2026-12-31",
        "2026-Q4",
    )
    q1 = parse_period("2028-Q1")  # a leap year: February has 29 days
    assert q1.end.isoformat() == "2028-03-31" and len(q1.days) == 31 + 29 + 31
    assert [m.label for m in months_of(q4)] == ["2026-10", "2026-11", "2026-12"]
    week = months_of(parse_period("2026-W44"))  # 26 Oct – 1 Nov: two clipped months
    assert [(m.label, m.start.isoformat(), m.end.isoformat()) for m in week] == [
        ("2026-10", "2026-10-26", "2026-10-31"),
        ("2026-11", "2026-11-01", "2026-11-01"),
    ]
    with pytest.raises(UsageError, match="bad quarter"):
        parse_period("2026-Q5")
