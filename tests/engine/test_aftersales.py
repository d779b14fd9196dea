"""Hand-computed values for the after-sales metrics (rows: fixtures_service_quality)."""

from __future__ import annotations

import math
from datetime import datetime

import ibis
import pyarrow as pa
import pytest

from kaohe.engine import compute_kpis
from kaohe.engine.aftersales import business_s
from kaohe.engine.registry import all_metrics
from tests.engine import fixtures_service_quality as F

SECTIONS = ("Satisfaction", "Online time", "After-sales")
AFTERSALES = [m.id for m in all_metrics() if m.section == "After-sales"]


def one(make_store, agent: str, tables: dict, **kw) -> dict:
    store = F.load(make_store(F.MESSAGES), tables)
    kw.setdefault("period", "2026-10")
    kw.setdefault("metrics", AFTERSALES)
    got = compute_kpis(store, by="agent", use_facts=False, **kw)
    return {r["agent"]: r for r in got}[agent]


def refunds(make_store, **kw) -> dict:
    return one(make_store, "b2-k1", {"refunds": F.REFUNDS, "orders": F.ORDERS}, **kw)


def test_kuaishou_return_refund_self_completion_both_legs(make_store):
    row = refunds(make_store)
    # r1: (14:00 − 10:00) + (15:00 − 09:00) = 10 h; r2: 24 h + 12 h = 36 h;
    # r3 is left out (platform intervened) → (10 + 36) / 2
    assert row["return_refund_self_h"] == pytest.approx(23.0)
    # refund_only completed without intervention: r4 2.5 h (success), r5 1.5 h (closed)
    assert row["refund_only_self_h"] == pytest.approx(2.0)


def test_kuaishou_merchant_liable_rate(make_store):
    row = refunds(make_store)
    # completed (success or closed): r1–r5; merchant-liable: r3 → 1 / 5
    assert row["merchant_liable_disputes"] == 1
    assert row["merchant_liable_rate"] == pytest.approx(0.2)


def test_refund_duration_cases_and_resolution(make_store):
    row = refunds(make_store)
    # successes: r1 77 h, r3 96 h, r4 2.5 h
    assert row["refund_duration_h"] == pytest.approx((77 + 96 + 2.5) / 3)
    assert row["aftersales_cases"] == 6
    # completed without intervention: r1, r2, r4, r5 of 6
    assert row["resolution_rate"] == pytest.approx(4 / 6)


def test_completion_metrics_are_dated_by_completion(make_store):
    row = refunds(make_store, period="2026-10-06")
    # completed on the 6th: r2 (return, 36 h) and r5 (refund only, 1.5 h); applied: r5 only
    assert row["return_refund_self_h"] == pytest.approx(36.0)
    assert row["refund_only_self_h"] == pytest.approx(1.5)
    assert row["aftersales_cases"] == 1
    assert row["refund_duration_h"] is None  # r5 closed, not a success


def test_48_hour_response_rate(make_store):
    row = refunds(make_store)
    # in time: r1 1 h, r2 24 h, r4 0.5 h, r6 exactly 48 h; r3 49 h late, r5 none → 4 / 6
    assert row["response_48h_rate"] == pytest.approx(4 / 6)
    pdd = one(make_store, "b2-p1", {"refunds": F.REFUNDS, "orders": F.ORDERS})
    assert pdd["response_48h_rate"] == 0.5  # 48 h in time, 48 h 1 s late


def test_intervention_rate_rolls_over_30_days(make_store):
    # on the 31st the window is 2–31 October: r2–r6, r3 intervened → 1 / 5
    assert refunds(make_store, period="2026-10-31")["intervention_rate"] == pytest.approx(0.2)
    # on the 7th every case applied 1–7 October counts: r1–r6 → 1 / 6
    assert refunds(make_store, period="2026-10-07")["intervention_rate"] == pytest.approx(1 / 6)
    # a 3-day window on the 7th: r4, r5, r6 (5–7 October), none intervened
    row = refunds(make_store, period="2026-10-07", params={"rolling_days": 3})
    assert row["intervention_rate"] == 0.0
    # on 1 November the 30 days are 3 Oct – 1 Nov: r3–r6 → 1 / 4
    assert refunds(make_store, period="2026-11-01")["intervention_rate"] == pytest.approx(0.25)


def test_refund_platform_from_the_order_else_the_shop(make_store):
    store = F.load(make_store(F.MESSAGES), {"refunds": F.REFUNDS, "orders": F.ORDERS})
    got = {
        r["platform"]: r
        for r in compute_kpis(
            store,
            by="platform",
            period="2026-10",
            metrics=["aftersales_cases", "response_48h_rate"],
            use_facts=False,
        )
    }
    assert got["pdd"] == {"platform": "pdd", "aftersales_cases": 2, "response_48h_rate": 0.5}
    assert got["kuaishou"]["aftersales_cases"] == 6


def _business_minutes(begin: str, end: str, hours: str = "09:00-21:00") -> float:
    t = ibis.memtable(
        pa.table({"b": [datetime.fromisoformat(begin)], "e": [datetime.fromisoformat(end)]})
    )
    expr = t.select(s=business_s(t.b, t.e, hours))
    return float(ibis.duckdb.connect().to_pyarrow(expr)["s"][0].as_py()) / 60


def test_business_hours_duration():
    assert _business_minutes("2026-10-05 20:50:00", "2026-10-06 09:05:00") == 15  # 10 + 5
    assert _business_minutes("2026-10-05 10:00:00", "2026-10-05 10:25:00") == 25
    assert _business_minutes("2026-10-05 22:00:00", "2026-10-06 08:00:00") == 0
    assert _business_minutes("2026-10-07 08:00:00", "2026-10-07 09:10:00") == 10
    # Friday 20:00 → Monday 10:00: 1 h + 12 h + 12 h + 1 h
    assert _business_minutes("2026-10-02 20:00:00", "2026-10-05 10:00:00") == 26 * 60
    assert _business_minutes("2026-10-05 20:50:00", "2026-10-06 09:05:00", "") == 735


def test_jd_service_order_20_minute_rates_count_09_to_21_only(make_store):
    row = one(make_store, "b2-j1", {"service_orders": F.SERVICE_ORDERS})
    # reviewed so1 (15 min), so2 (25), so3 (20), so4 (10) → 3 / 4 in time; so5 not reviewed
    assert row["so_review_20min_rate"] == pytest.approx(3 / 4)
    # processed so1 (20 min), so2 (5 + 16 = 21), so4 (15) → 2 / 3
    assert row["so_process_20min_rate"] == pytest.approx(2 / 3)
    # awaiting feedback: so1, so3 of 4 reviewed
    assert row["so_awaiting_feedback_rate"] == 0.5
    all_day = one(
        make_store, "b2-j1", {"service_orders": F.SERVICE_ORDERS}, params={"service_hours": None}
    )
    # counting every minute: so1 735, so2 25, so3 680 and so4 70 minutes, all late
    assert all_day["so_review_20min_rate"] == 0.0


def test_service_orders_dated_by_review_and_result(make_store):
    store = F.load(make_store(F.MESSAGES), {"service_orders": F.SERVICE_ORDERS})
    got = {
        r["day"]: r
        for r in compute_kpis(
            store,
            by="day",
            period="2026-10",
            metrics=["so_review_20min_rate", "so_process_20min_rate"],
            use_facts=False,
        )
    }
    # the 6th: reviews so1 (in time) and so2 (late); results so1 (in time)
    assert got["2026-10-06"]["so_review_20min_rate"] == 0.5
    assert got["2026-10-06"]["so_process_20min_rate"] == 1.0
    # the 7th: reviews so3 and so4 (in time); results so2 (late) and so4 (in time)
    assert got["2026-10-07"]["so_review_20min_rate"] == 1.0
    assert got["2026-10-07"]["so_process_20min_rate"] == 0.5
    assert "2026-10-05" not in got  # so1 was applied on the 5th, reviewed on the 6th


def test_spot_check_pass_rate(make_store):
    row = one(make_store, "b2-j1", {"qa_reviews": F.QA_REVIEWS})
    # q1 passes, q2 fails one item, q3 has no verdict, q4 passes → 2 / 3
    assert row["spot_check_pass_rate"] == pytest.approx(2 / 3)
    row = one(make_store, "b2-j1", {"qa_reviews": F.QA_REVIEWS}, period="2026-10-06")
    assert row["spot_check_pass_rate"] == 0.0  # q2, dated by reviewed_at


def test_jd_email_deadlines_before_and_after_16(make_store):
    row = one(make_store, "b2-j1", {"tickets": F.TICKETS})
    # on time: e1 (15:59 → 17:59), e2 (16:01 → next day 17:00), e4 (18:00 sharp),
    # e6 and e7 (16:00 is not before 16:00: due 18:00 next day); late: e3, e5 → 5 / 7
    assert row["email_on_time_rate"] == pytest.approx(5 / 7)
    by_day = {
        r["day"]: r["email_on_time_rate"]
        for r in compute_kpis(
            F.load(make_store(F.MESSAGES), {"tickets": F.EMAILS}),
            by="day",
            period="2026-10",
            metrics=["email_on_time_rate"],
            use_facts=False,
        )
    }
    assert by_day["2026-10-05"] == pytest.approx(2 / 3)  # e1, e2 on time, e3 late


def test_complaint_tickets_answered_within_3_hours(make_store):
    row = one(make_store, "b2-j1", {"tickets": F.TICKETS})
    # c1 exactly 3 h and c3 2.5 h across midnight in time; c2 3 h 1 s and c4 late → 2 / 4
    assert row["ticket_3h_rate"] == 0.5


def test_agent_with_no_data_gives_nulls_for_ratios(make_store):
    ids = [m.id for m in all_metrics() if m.section in SECTIONS]
    row = one(make_store, "ghost", F.PARITY_TABLES, agents=["ghost"], metrics=ids)
    ratios = [m.id for m in all_metrics() if m.section in SECTIONS and m.unit == "ratio"]
    assert ratios and all(row[r] is None for r in ratios)
    assert row["aftersales_cases"] == 0 and row["merchant_liable_disputes"] == 0


def test_every_metric_is_non_null_on_the_parity_rows(make_store):
    ids = [m.id for m in all_metrics() if m.section in SECTIONS]
    store = F.load(make_store(F.MESSAGES), F.PARITY_TABLES)
    total = compute_kpis(store, by="all", period="2026-10", metrics=ids, use_facts=False)[0]
    missing = [
        i for i in ids if total[i] is None or (isinstance(total[i], float) and math.isnan(total[i]))
    ]
    assert not missing
