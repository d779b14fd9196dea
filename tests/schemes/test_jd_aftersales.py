"""The JD after-sales 综合服务评分 (seeds 000, 004) with hand-computed points."""

import pytest

from kaohe.schemes import load_scheme, score

TARGETS = {
    "satisfaction_target": 0.95,
    "review_target": 0.9,
    "process_target": 0.9,
    "spot_check_target": 0.95,
    "awaiting_feedback_target": 0.1,
}


def row(**kw):
    base = {
        "agent": "a1",
        "ratings": 60,
        "satisfaction_rate": 0.95,
        "bad_ratings": 0,
        "so_review_20min_rate": 0.9,
        "so_process_20min_rate": 0.9,
        "spot_checks": 25,
        "spot_check_pass_rate": 0.95,
        "failed_spot_checks": 0,
        "so_awaiting_feedback_rate": 0.1,
    }
    return {**base, **kw}


def run(**kw):
    scheme = load_scheme("jd_aftersales", params=TARGETS)
    return score(scheme, [row(**kw)], None, "2026-10").agents[0]


def test_all_targets_met_scores_full_marks():
    a = run()
    # 50 + 20 + 10 + 20 + 0 (awaiting feedback 0.1 is not above 0.1)
    assert a.total == 100
    assert a.grade.label == "达标·优秀" and a.grade.award_eligible


def test_more_than_50_ratings_deducts_2_per_point():
    a = run(ratings=51, satisfaction_rate=0.92, bad_ratings=9)
    item = a.item("satisfaction")
    # 0.95 − 0.92 = 3 points short × 2 = 6 → 50 − 6 = 44 (bad ratings ignored)
    assert item.points == pytest.approx(44)
    assert item.rule == "when→deduct_per_point"
    assert "ratings > 50 is True" in item.explanation


def test_50_ratings_or_fewer_deducts_1_per_bad_rating():
    a = run(ratings=50, satisfaction_rate=0.5, bad_ratings=7)
    item = a.item("satisfaction")
    # ≤ 50 ratings: 50 − 7 × 1 = 43 (the rate is ignored)
    assert item.points == 43
    assert item.rule == "when→deduct_per_count"
    assert item.inputs["bad_ratings"] == 7


def test_satisfaction_floor_is_zero():
    # 60 points short × 2 = 120 > 50 → floor 0; 80 bad ratings × 1 > 50 → 0
    assert run(satisfaction_rate=0.35).item("satisfaction").points == 0
    assert run(ratings=40, bad_ratings=80).item("satisfaction").points == 0


def test_review_and_process_rates():
    a = run(so_review_20min_rate=0.82, so_process_20min_rate=0.75)
    # review: 8 points short × 1 = 8 → 12; process: 15 short × 0.5 = 7.5 → 2.5
    assert a.item("so_review").points == pytest.approx(12)
    assert a.item("so_process").points == pytest.approx(2.5)


def test_20_spot_checks_or_more_deduct_per_point():
    a = run(spot_checks=20, spot_check_pass_rate=0.91, failed_spot_checks=2)
    # ≥ 20 checks: 0.95 − 0.91 = 4 points short × 1 → 20 − 4 = 16
    assert a.item("spot_check").points == pytest.approx(16)


def test_fewer_than_20_spot_checks_deduct_per_failed_check():
    a = run(spot_checks=19, spot_check_pass_rate=0.5, failed_spot_checks=3)
    # < 20 checks: 20 − 3 × 1 = 17
    assert a.item("spot_check").points == 17
    assert a.item("spot_check").rule == "when→deduct_per_count"


def test_awaiting_feedback_above_target_costs_5():
    above, at, below = (
        run(so_awaiting_feedback_rate=0.11),
        run(),
        run(so_awaiting_feedback_rate=0.02),
    )
    assert above.item("awaiting_feedback").points == -5
    assert above.total == 95  # 100 − 5
    assert at.item("awaiting_feedback").points == 0  # equal to the target: no penalty
    assert below.item("awaiting_feedback").points == 0


def test_mixed_month():
    a = run(
        ratings=60,
        satisfaction_rate=0.92,
        so_review_20min_rate=0.85,
        so_process_20min_rate=0.8,
        spot_checks=25,
        spot_check_pass_rate=0.9,
        so_awaiting_feedback_rate=0.12,
    )
    # 44 + (20 − 5) + (10 − 10 × 0.5) + (20 − 5) − 5 = 44 + 15 + 5 + 15 − 5 = 74
    assert a.total == pytest.approx(74)
    assert (a.grade.label, a.grade.penalty, a.grade.improvement_months) == ("未达标", 2000, 1)


# (satisfaction rate, expected total, grade, band, penalty): the satisfaction item moves the
# total: s below 0.95 by k points gives 100 − 2k
GRADE_CASES = [
    (0.95, 100, "达标·优秀", "x ≥ 90", 0),
    (0.90, 90, "达标·优秀", "x ≥ 90", 0),  # 5 short × 2 = 10 → 90: boundary, top band
    (0.895, 89, "达标", "80 ≤ x < 90", 0),  # 5.5 short × 2 = 11 → 89
    (0.85, 80, "达标", "80 ≤ x < 90", 0),  # 10 × 2 = 20 → 80: boundary
    (0.845, 79, "未达标", "70 ≤ x < 80", 2000),  # 10.5 × 2 = 21 → 79
    (0.80, 70, "未达标", "70 ≤ x < 80", 2000),  # 15 × 2 = 30 → 70: boundary
    (0.795, 69, "未达标", "60 ≤ x < 70", 5000),  # 15.5 × 2 = 31 → 69
    (0.75, 60, "未达标", "60 ≤ x < 70", 5000),  # 20 × 2 = 40 → 60: boundary
    (0.745, 59, "未达标", "x < 60", 10000),  # 20.5 × 2 = 41 → 59
    (0.45, 50, "未达标", "x < 60", 10000),  # 50 × 2 = 100 → floor 0 → 50
]


@pytest.mark.parametrize(("rate", "total", "label", "band", "penalty"), GRADE_CASES)
def test_every_grade_band_and_boundary(rate, total, label, band, penalty):
    a = run(satisfaction_rate=rate)
    assert a.total == pytest.approx(total)
    assert (a.grade.label, a.grade.band, a.grade.penalty) == (label, band, penalty)
    assert a.grade.meets_standard == (total >= 80)
    assert a.grade.improvement_months == (0 if total >= 80 else 1)


# on a store: the checks and failures counted from kaohe's own reviews (issue 15) ------------


def _store_with_a_month(failed_reviews: int, service_orders: bool = True):
    """A JD after-sales agent's October: 20 ratings (9 不满意), 10 service orders reviewed in
    10 min and processed in 5 (2 put to awaiting feedback), 10 reviews of which
    `failed_reviews` failed; a2 only has 5 good ratings."""
    from kaohe.store import Store
    from tests.engine.conftest import fill_table

    store = Store(":memory:")
    fill_table(
        store,
        "agents",
        [
            {"agent": "a1", "role": "aftersales"},
            {"agent": "a2", "role": "aftersales"},
        ],
    )
    ratings = [
        {
            "shop": "jd1",
            "buyer": f"b{i}",
            "agent": "a1" if i < 20 else "a2",
            "time": f"2026-10-{10 + i % 10:02d} 12:00:00",
            "level": "2" if i < 9 else "5",
            "rating_key": f"r{i}",
        }
        for i in range(25)
    ]
    fill_table(store, "ratings", ratings)
    if service_orders:
        fill_table(
            store,
            "service_orders",
            [
                {
                    "id": f"so{i}",
                    "shop": "jd1",
                    "agent": "a1",
                    "applied_at": f"2026-10-{12 + i:02d} 10:00:00",
                    "first_reviewed_at": f"2026-10-{12 + i:02d} 10:10:00",
                    "ready_at": f"2026-10-{12 + i:02d} 11:00:00",
                    "first_result_at": f"2026-10-{12 + i:02d} 11:05:00",
                    "awaiting_feedback": i < 2,
                }
                for i in range(10)
            ],
        )
    reviews = [
        {
            "review_id": f"rv{i}",
            "item": "服务规范",
            "agent": "a1",
            "shop": "jd1",
            "date": f"2026-10-{5 + i:02d}",
            "passed": i >= failed_reviews,
        }
        for i in range(10)
    ]
    fill_table(store, "qa_reviews", reviews)
    return store


def test_jd_total_84_with_ten_reviews_and_two_failures():
    from kaohe.schemes.fetch import score_period

    with _store_with_a_month(failed_reviews=2) as store:
        a1 = score_period(store, load_scheme("jd_aftersales"), "2026-10").agent("a1")
    # 20 ratings ≤ 50: 50 − 9 不满意 = 41; reviews 10/10 in 20 min: 20; processed: 10;
    # 10 checks < 20: 20 − 2 failed = 18; awaiting feedback 2/10 = 20 % > 10 %: −5
    assert [a1.item(i).points for i in ("satisfaction", "so_review", "so_process")] == [41, 20, 10]
    assert a1.item("spot_check").points == 18
    assert a1.item("spot_check").inputs == {"spot_checks": 10, "failed_spot_checks": 2}
    assert a1.total == 84  # 41 + 20 + 10 + 18 − 5
    assert a1.grade.label == "达标" and a1.grade.penalty == 0


def test_jd_no_failed_check_gives_full_marks_and_imported_figures_win():
    from kaohe.schemes.fetch import score_period
    from tests.engine.conftest import fill_table

    with _store_with_a_month(failed_reviews=0) as store:
        scheme = load_scheme("jd_aftersales")
        assert score_period(store, scheme, "2026-10").agent("a1").item("spot_check").points == 20
        # JD's own 抽检 for the month, imported: 25 checks, 92 % → 20 − 3 points short = 17
        fill_table(
            store,
            "metric_values",
            [
                {"period": "2026-10", "subject": "a1", "metric": m, "value": v, "source": "jd"}
                for m, v in (
                    ("spot_checks", 25),
                    ("failed_spot_checks", 2),
                    ("spot_check_pass_rate", 0.92),
                )
            ],
        )
        item = score_period(store, scheme, "2026-10").agent("a1").item("spot_check")
    assert item.points == pytest.approx(17)
    assert item.rule == "when→deduct_per_point"


def test_an_agent_without_service_orders_is_not_failed_on_them():
    from kaohe.schemes.fetch import score_period

    with _store_with_a_month(failed_reviews=0, service_orders=False) as store:
        a2 = score_period(store, load_scheme("jd_aftersales"), "2026-10").agent("a2")
    # a2: 5 good ratings → 50; no service orders: both items and the awaiting-feedback
    # penalty have nothing to measure and drop out; no checks → no failed check → 20;
    # 70 of the 70 points left, re-scaled to 100
    assert [a2.item(i).dropped for i in ("so_review", "so_process", "awaiting_feedback")] == [
        True,
        True,
        True,
    ]
    assert a2.total == 100
    assert "dropped so_review, so_process, awaiting_feedback: 70 × 100 / 70" in a2.notes[0]
