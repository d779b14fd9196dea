"""Due times: JD service orders inside 09:00–21:00 (the inverse of the engine's business_s)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kaohe.alerts.deadlines import business_due, deadline_state, left_text

HOURS = "09:00-21:00"


@pytest.mark.parametrize(
    ("applied", "due"),
    [
        (datetime(2026, 11, 3, 20, 55), datetime(2026, 11, 4, 9, 15)),  # 5 min today, 15 tomorrow
        (datetime(2026, 11, 3, 10, 0), datetime(2026, 11, 3, 10, 20)),
        (datetime(2026, 11, 3, 7, 30), datetime(2026, 11, 3, 9, 20)),  # before opening
        (datetime(2026, 11, 3, 22, 0), datetime(2026, 11, 4, 9, 20)),  # after closing
        (datetime(2026, 11, 3, 20, 40), datetime(2026, 11, 3, 21, 0)),  # exactly at closing
    ],
)
def test_twenty_business_minutes(applied, due):
    assert business_due(applied, 20 * 60, HOURS) == due


def test_without_service_hours_the_clock_runs_all_day():
    assert business_due(datetime(2026, 11, 3, 23, 50), 1200, None) == datetime(2026, 11, 4, 0, 10)


def test_the_due_time_is_where_the_engines_business_seconds_reach_the_limit():
    """business_s (the metric's definition) between applied and due is exactly 20 minutes."""
    import ibis

    from kaohe.engine.aftersales import business_s

    starts = [datetime(2026, 11, 3, h, m) for h, m in ((20, 55), (7, 0), (12, 34), (23, 59))]
    t = ibis.memtable({"begin": starts, "end": [business_due(b, 1200, HOURS) for b in starts]})
    seconds = t.select(s=business_s(t.begin, t.end, HOURS)).to_pyarrow()["s"].to_pylist()
    assert seconds == [1200] * len(starts)


def test_states_and_what_is_left():
    due = datetime(2026, 11, 4, 9, 15)
    warn = timedelta(minutes=5)
    assert deadline_state(due - timedelta(minutes=6), due, warn) is None
    assert deadline_state(due - timedelta(minutes=5), due, warn) == "at_risk"
    assert deadline_state(due + timedelta(seconds=1), due, warn) == "missed"
    assert left_text(due - timedelta(minutes=65), due) == "剩余 1小时5分"
    assert left_text(due + timedelta(minutes=20), due) == "已超时 20分"
