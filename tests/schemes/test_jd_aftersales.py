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
