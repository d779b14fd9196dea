"""京东: first reply within 30 s and hang-ups per agent, the after-sales service score per
shop, the e-mail (16:00 cut-off) and complaint-ticket deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kaohe.compliance import run_checks
from kaohe.compliance.cases import email_due
from kaohe.compliance.report import consequence_text, notes_text
from tests.compliance.helpers import NOW, chat, make, rating

D = datetime(2026, 10, 5, 10)


def test_first_30s_per_agent():
    rows = []
    # a1: 10 sessions, 9 first replies within 30 s, one at 31 s → 90 %
    for i in range(10):
        rows += chat(
            f"x{i}",
            D + timedelta(minutes=30 * i),
            31 if i == 9 else 20,
            shop="j",
            platform="jd",
            agent="a1",
        )
    # a2: a session started 23:30 is left out; of the other two one at 40 s → 50 %
    rows += chat("y0", D.replace(hour=23, minute=30), 90, shop="j", platform="jd", agent="a2")
    rows += chat("y1", D + timedelta(days=1), 10, shop="j", platform="jd", agent="a2")
    rows += chat("y2", D + timedelta(days=2), 40, shop="j", platform="jd", agent="a2")
    with make(rows) as store:
        got = {r.subject: r for r in run_checks(store, "2026-10", ["jd_first_30s"], now=NOW)}
    assert (got["a1"].value, got["a1"].status) == (0.9, "at_risk")  # margin 3 points
    assert (got["a2"].value, got["a2"].status) == (0.5, "fail")
    assert got["a2"].subject_kind == "agent" and got["a2"].shop == "j"
    assert [c["response_s"] for c in got["a2"].cases] == [40.0]


def test_hang_up_over_15_minutes_fails_the_day():
    rows = chat("b", D, 10, shop="j", platform="jd") + chat(
        "c", D + timedelta(days=1), 10, shop="j", platform="jd"
    )
    status = [
        {
            "agent": "a1",
            "start": D + timedelta(hours=1),
            "end": D + timedelta(hours=1, minutes=16),
            "status": "hangup",
        },
        {
            "agent": "a1",
            "start": D + timedelta(days=1, hours=1),
            "end": D + timedelta(days=1, hours=1, minutes=15),
            "status": "hangup",
        },
    ]
    with make(rows, agent_status=status) as store:
        got = {r.cycle: r for r in run_checks(store, "2026-10", ["jd_hangup"], now=NOW)}
    # the 5th: one hang-up of 16 min; the 6th: exactly 15 min is not over 15
    assert (got["2026-10-05"].value, got["2026-10-05"].status) == (1, "fail")
    assert got["2026-10-05"].cases == [
        {
            "agent": "a1",
            "start": "2026-10-05 11:00:00",
            "end": "2026-10-05 11:16:00",
            "minutes": 16.0,
        }
    ]
    assert (got["2026-10-06"].value, got["2026-10-06"].status) == (0, "pass")
    # the cases follow the metric's parameters as the engine resolves them (`--set`)
    with make(rows, agent_status=status) as store:
        got = {
            r.cycle: r
            for r in run_checks(
                store, "2026-10", ["jd_hangup"], now=NOW, overrides={"hangup_minutes": 14}
            )
        }
    assert [c["minutes"] for c in got["2026-10-06"].cases] == [15.0]  # 15 min > 14


def service_order(i: int, review_min: int) -> dict:
    applied = D + timedelta(days=i)
    return {
        "id": f"so{i}",
        "shop": "j",
        "agent": "a1",
        "applied_at": applied,
        "first_reviewed_at": applied + timedelta(minutes=review_min),
        "ready_at": applied + timedelta(hours=1),
        "first_result_at": applied + timedelta(hours=1, minutes=5),
        "awaiting_feedback": False,
    }


def test_jd_aftersales_scheme_total_per_shop():
    rows = chat("b", D, 10, shop="j", platform="jd")
    ratings = [rating("j", D, "非常满意", buyer="x"), rating("j", D, "不满意", buyer="y")]
    orders = [service_order(0, 5), service_order(1, 30)]
    failed = {
        "period": "2026-10",
        "subject": "j",
        "metric": "failed_spot_checks",
        "value": 3,
        "source": "manual",
    }
    with make(
        rows,
        ratings=ratings,
        service_orders=orders,
        metric_values=[failed],
        agents=[{"agent": "a1", "role": "aftersales"}],
    ) as store:
        [got] = run_checks(store, "2026-10", ["jd_aftersales"], now=NOW)
    # 2 ratings ≤ 50: 50 − 1 bad = 49; review 1 / 2 = 50 %, 40 points short of 90 % → 0;
    # processing 2 / 2 → 10; spot checks: kaohe counts none, the shop's imported 3 failed
    # checks win: 20 − 3 = 17; awaiting 0 → 76
    assert (got.value, got.status) == (76, "fail")
    assert notes_text(got) == ["未达标: 违约金2000元，给予一个考核月的改进期限"]
    # the agent's own score: 49 + 0 + 10 + 20 (kaohe's own reviews: no check, so no failed
    # check, full marks — seed 004: 每出现一条抽检不达标，扣减1分) = 79 < 80, so it is listed
    assert got.cases == [{"agent": "a1", "name": None, "total": 79.0, "grade": "未达标"}]


def test_email_deadline_cut_off_at_16():
    assert email_due(datetime(2026, 10, 5, 15, 59), "16:00", "18:00") == datetime(2026, 10, 5, 18)
    assert email_due(datetime(2026, 10, 5, 16, 1), "16:00", "18:00") == datetime(2026, 10, 6, 18)


def test_emails_at_15_59_and_16_01_answered_the_next_afternoon():
    rows = chat("b", D, 10, shop="j", platform="jd")
    nxt = datetime(2026, 10, 6, 17)

    def email(i: str, received: datetime, replied: datetime | None) -> dict:
        return {
            "id": i,
            "shop": "j",
            "kind": "email",
            "buyer": "buyer" + i,
            "agent": "a1",
            "received_at": received,
            "replied_at": replied,
        }

    tickets = [
        email("1", datetime(2026, 10, 5, 15, 59), nxt),  # due 18:00 the 5th: late
        email("2", datetime(2026, 10, 5, 16, 1), nxt),  # due 18:00 the 6th: on time
        {
            "id": "c1",
            "shop": "j",
            "kind": "complaint",
            "received_at": D,
            "replied_at": D + timedelta(hours=3),
        },  # exactly 3 h: in time
        {
            "id": "c2",
            "shop": "j",
            "kind": "complaint",
            "received_at": D,
            "replied_at": D + timedelta(hours=3, seconds=1),
        },
    ]
    with make(rows, tickets=tickets) as store:
        got = {r.check: r for r in run_checks(store, "2026-10", ["jd_deadlines"], now=NOW)}
    assert (got["emails"].value, got["emails"].status) == (0.5, "fail")
    assert [(c["id"], c["due"]) for c in got["emails"].cases] == [("1", "2026-10-05 18:00:00")]
    assert got["emails"].cases[0]["buyer"] == "b***1"
    assert (got["complaint_tickets"].value, got["complaint_tickets"].status) == (0.5, "fail")
    assert [c["id"] for c in got["complaint_tickets"].cases] == ["c2"]
    assert "卖家" in consequence_text(got["emails"])


@pytest.mark.parametrize("preset", ["jd_first_30s", "jd_hangup", "jd_aftersales", "jd_deadlines"])
def test_jd_presets_leave_other_platforms_alone(preset):
    rows = chat("b", D, 10, shop="t", platform="tmall")
    with make(rows) as store:
        assert run_checks(store, "2026-10", [preset], now=NOW) == []
