"""What `explain` says each listed row contributes ("→part") for counting and summing parts,
checked against the hand-built rows of fixtures_service_quality / fixtures_operations
(October 2026)."""

from __future__ import annotations

from typing import Any

import pytest

from kaohe.engine.explain import explain
from kaohe.engine.periods import parse_period
from tests.engine import fixtures_operations as C
from tests.engine import fixtures_service_quality as F
from tests.engine.conftest import fill_table


def rows_of(store: Any, metric: str, agent: str, key: tuple[str, ...]) -> tuple[dict, list]:
    """The explain result and its rows as sorted (key columns…, contributions…) tuples: the
    rows are ordered by a column with ties, so their order is not part of the contract."""
    result = explain(store, metric, agent, parse_period("2026-10"), limit=50)
    arrows = sorted(c for c in result["rows"][0] if c.startswith("→"))
    rows = sorted((tuple(str(r[c]) for c in key), *(r[c] for c in arrows)) for r in result["rows"])
    return result, [arrows, *rows]


def test_email_on_time_rows(make_store):
    store = F.load(make_store(F.MESSAGES), {"tickets": F.TICKETS})
    result, (arrows, *rows) = rows_of(
        store, "email_on_time_rate", "b2-j1", ("kind", "received_at", "replied_at")
    )
    assert arrows == ["→emails", "→emails_on_time"]
    # (received, replied) → (is an e-mail, on time): before 16:00 due 18:00 the same day,
    # from 16:00 on due 18:00 the next day; complaints are no e-mails
    assert rows == [
        (("complaint", "2026-10-05 10:00:00", "2026-10-05 13:00:00"), False, False),
        (("complaint", "2026-10-05 10:00:00", "2026-10-05 13:00:01"), False, False),
        (("complaint", "2026-10-05 22:00:00", "2026-10-06 00:30:00"), False, False),
        (("complaint", "2026-10-06 09:00:00", "None"), False, False),
        (("email", "2026-10-05 15:59:00", "2026-10-05 17:59:00"), True, True),
        (("email", "2026-10-05 16:01:00", "2026-10-06 17:00:00"), True, True),
        (("email", "2026-10-05 16:01:00", "2026-10-06 18:30:00"), True, False),  # 18:30 > 18:00
        (("email", "2026-10-06 10:00:00", "2026-10-06 18:00:00"), True, True),  # at 18:00
        (("email", "2026-10-06 11:00:00", "None"), True, False),  # never answered
        (("email", "2026-10-07 16:00:00", "2026-10-07 18:30:00"), True, True),  # due the 8th
        (("email", "2026-10-07 16:00:00", "2026-10-08 09:00:00"), True, True),
    ]
    # the flags add up to the parts: 7 e-mails, 5 on time → 5 / 7
    assert result["parts"] == {"emails_on_time": 5, "emails": 7}
    assert result["value"] == pytest.approx(5 / 7)


def test_merchant_liable_rows(make_store):
    store = F.load(make_store(F.MESSAGES), {"refunds": F.REFUNDS, "orders": F.ORDERS})
    result, (arrows, *rows) = rows_of(store, "merchant_liable_rate", "b2-k1", ("refund_id",))
    assert arrows == ["→completed", "→liable"]
    # completed (success or closed) in October: r1–r5, each counted once; r6 is pending and
    # not listed; only r3 was judged merchant-liable → 1 / 5
    assert rows == [((f"b2-r{i}",), True, i == 3) for i in range(1, 6)]
    assert result["parts"] == {"liable": 1, "completed": 5}
    assert result["value"] == pytest.approx(0.2)


def test_long_hangup_rows(make_store):
    store = F.load(make_store(F.MESSAGES), {"agent_status": F.STATUS})
    result, (arrows, *rows) = rows_of(
        store, "hangups_over_15min", "b2-o1", ("day", "status", "full_ms")
    )
    assert arrows == ["→long_hangups"]
    # b2-o1's status pieces; the 22:00–02:00 online interval has a piece on the 5th and the
    # 6th (full 4 h = 14 400 000 ms). Hang-ups of 5 min, exactly 15 min and 15 min 1 s
    # (901 000 ms): only the last is over 15 min
    assert rows == [
        (("2026-10-05", "away", "3600000"), False),
        (("2026-10-05", "busy", "7200000"), False),
        (("2026-10-05", "hangup", "300000"), False),
        (("2026-10-05", "hangup", "900000"), False),
        (("2026-10-05", "hangup", "901000"), True),
        (("2026-10-05", "online", "14400000"), False),
        (("2026-10-06", "online", "14400000"), False),
        (("2026-10-08", "away", "3600000"), False),
    ]
    assert result["parts"] == {"long_hangups": 1}


def test_bad_attitude_rows(make_store):
    store = F.load(make_store(F.MESSAGES), {"ratings": F.RATINGS})
    result, (arrows, *rows) = rows_of(store, "bad_attitude_rate", "b2-k1", ("buyer", "level"))
    assert arrows == ["→attitude", "→mid_bad"]
    # 快手 levels: 满意 4, 一般 3, 失望 2; poor (≤ 3): k4, k5, k6; of those k4 (服务态度差) and
    # k5 (回复慢,服务态度差) for attitude, k6 (问题未解决) not → 2 / 3
    assert rows == [
        (("k1-buyer", "4"), False, False),
        (("k2-buyer", "4"), False, False),
        (("k3-buyer", "4"), False, False),
        (("k4-buyer", "3"), True, True),
        (("k5-buyer", "2"), True, True),
        (("k6-buyer", "2"), False, True),
    ]
    assert result["parts"] == {"attitude": 2, "mid_bad": 3}
    assert result["value"] == pytest.approx(2 / 3)


def test_handling_time_rows_sum_seconds(make_store):
    store = make_store([], roster=[("ops-c1", "呼叫组")])
    fill_table(store, "calls", C.CALLS)
    result, (arrows, *rows) = rows_of(store, "aht_s", "ops-c1", ("call_id",))
    assert arrows == ["→handle_s", "→timed_calls"]
    # talk + wrap-up: k1 300 + 60 = 360 s, k2 120 + 30 = 150 s, k5 600 + 0 s; k3 was never
    # answered: no handling time, not counted; k4 has no agent
    assert rows == [
        (("ops-k1",), 360.0, True),
        (("ops-k2",), 150.0, True),
        (("ops-k3",), None, False),
        (("ops-k5",), 600.0, True),
    ]
    assert result["parts"] == {"handle_s": 360.0 + 150.0 + 600.0, "timed_calls": 3}
    assert result["value"] == pytest.approx(1110.0 / 3)
