"""The Tmall ops KPI (seed 000): every tier at and around every boundary."""

import pytest

from kaohe.schemes import load_scheme, score

FULL = {
    "agent": "op1",
    "ad_roi": 6.5,
    "sales_target_completion": 1.0,
    "plan_execution_rate": 1.0,
    "team_progress_rate": 1.0,
    "cooperation": 5,
    "discipline": 5,
}


def item(item_id, **kw):
    a = score(load_scheme("tmall_ops_kpi"), [{**FULL, **kw}], None, "2026-10").agents[0]
    return a.item(item_id)


# ad_roi is sales ÷ spend compared with the base 5: value / 5 is the ratio
@pytest.mark.parametrize(
    ("roi", "points", "band"),
    [
        (6.5, 20, "x > 1.2"),  # 6.5 / 5 = 1.3
        (6.05, 20, "x > 1.2"),  # 1.21
        (6.0, 15, "1 ≤ x ≤ 1.2"),  # 1.2 exactly: not 超过 120 %
        (5.0, 15, "1 ≤ x ≤ 1.2"),  # 1.0
        (4.95, 10, "0.8 ≤ x < 1"),  # 0.99
        (4.0, 10, "0.8 ≤ x < 1"),  # 0.8
        (3.95, 5, "0.6 ≤ x < 0.8"),  # 0.79
        (3.0, 5, "0.6 ≤ x < 0.8"),  # 0.6
        (2.95, 0, "x < 0.6"),  # 0.59
    ],
)
def test_ad_roi_tiers(roi, points, band):
    it = item("ad_roi", ad_roi=roi)
    assert (it.points, it.band) == (points, band)
    assert it.inputs["target"] == 5


@pytest.mark.parametrize(
    ("completion", "points"),
    [
        (1.2, 30),
        (1.0, 30),
        (0.999, 25),
        (0.9, 25),
        (0.899, 20),
        (0.8, 20),
        (0.799, 15),
        (0.7, 15),
        (0.699, 10),
        (0.0, 10),
    ],
)
def test_sales_completion_tiers(completion, points):
    assert item("sales_completion", sales_target_completion=completion).points == points


@pytest.mark.parametrize(
    ("rate", "points"),
    [(1.0, 20), (0.99, 15), (0.9, 15), (0.89, 10), (0.8, 10), (0.79, 5), (0.1, 5)],
)
def test_plan_execution_tiers(rate, points):
    assert item("plan_execution", plan_execution_rate=rate).points == points


@pytest.mark.parametrize(
    ("rate", "points"),
    [(1.0, 20), (0.99, 15), (0.9, 15), (0.89, 10), (0.8, 10), (0.79, 5), (0.7, 5), (0.69, 0)],
)
def test_team_progress_tiers(rate, points):
    assert item("team_progress", team_progress_rate=rate).points == points


def test_fixed_points_are_capped_and_total():
    assert item("cooperation", cooperation=3).points == 3
    assert item("discipline", discipline=9).points == 5  # at most 5
    a = score(
        load_scheme("tmall_ops_kpi"),
        [
            {
                **FULL,
                "ad_roi": 5.5,
                "sales_target_completion": 0.93,
                "plan_execution_rate": 0.85,
                "team_progress_rate": 0.72,
                "cooperation": 4,
            }
        ],
        None,
        "2026-10",
    ).agents[0]
    # 1.1 → 15; 0.93 → 25; 0.85 → 10; 0.72 → 5; 4; 5 → 64
    assert a.total == 64


def test_base_is_a_parameter():
    a = score(load_scheme("tmall_ops_kpi", params={"ad_roi_base": 4}), [FULL], None, "2026-10")
    it = a.agents[0].item("ad_roi")
    assert it.inputs["ratio"] == pytest.approx(1.625)  # 6.5 / 4
    assert it.points == 20
