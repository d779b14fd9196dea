"""Issue 15 definitions on schemes: 打字速度's two thresholds as parameters (seed 001), and
the supervisor's quarter from the agents' monthly results (seed 002: 客服团队连续1季度评分达到90
以上，给予1000元奖励; 连续1季度考评不满60分 … 转回客服岗位)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaohe.schemes import load_scheme, parse_scheme_text, score
from kaohe.schemes.score import team_means
from kaohe.store import Store
from tests.engine.conftest import fill_table


@pytest.mark.parametrize(("speed", "points"), [(85, 10), (80, 10), (79, 5), (50, 5), (49, 0)])
def test_typing_speed_basic_50_and_duty_80(speed: int, points: int):
    # seed 001: 至少要达到50字/分钟 (basic) and 打字速度不得低于80字/分 (the role's duty)
    result = score(
        load_scheme("presales_growth"), [{"agent": "a", "typing_speed": speed}], None, "2026-10"
    )
    assert result.agents[0].item("typing").points == points


def test_typing_thresholds_are_parameters():
    scheme = load_scheme("aftersales_returns", params={"typing_speed_duty": 60})
    result = score(scheme, [{"agent": "a", "typing_speed": 65}], None, "2026-10")
    item = result.agents[0].item("typing")
    assert item.points == 10 and item.explanation == "65 in band x ≥ 60 → 10"


def test_a_band_edge_must_name_a_parameter():
    text = """\
id: t
name: 测试
items:
  - {id: i, rule: tiers, metric: typing_speed, bands: [{min: fast, points: 1}, {points: 0}]}
"""
    with pytest.raises(Exception, match="unknown parameter 'fast'"):
        parse_scheme_text(text, "t.yaml")


# the supervisor's quarter ---------------------------------------------------------------------

AGENTS_SCHEME = """\
id: agents_points
name: 客服月度分
population: {roles: [presales]}
inputs: {month_points: 月度分 (手工录入)}
items:
  - {id: points, rule: fixed, metric: month_points, points: 100}
"""


def _supervisor_store(
    tmp_path: Path, monthly: dict[str, tuple[float, float]]
) -> tuple[Store, Path]:
    """Team A: supervisor s and agents a1, a2 with `month_points` per month (a1, a2); team B:
    b1 (95 every month) must not count for s."""
    agents_file = tmp_path / "agents_points.yaml"
    agents_file.write_text(AGENTS_SCHEME, encoding="utf-8")
    store = Store(":memory:")
    fill_table(
        store,
        "agents",
        [
            {"agent": "s", "team": "A", "level": "supervisor", "role": "presales"},
            {"agent": "a1", "team": "A", "level": "regular", "role": "presales"},
            {"agent": "a2", "team": "A", "level": "regular", "role": "presales"},
            {"agent": "b1", "team": "B", "level": "regular", "role": "presales"},
        ],
    )
    rows = []
    for month, (a1, a2) in monthly.items():
        for agent, value in (("a1", a1), ("a2", a2), ("b1", 95.0)):
            rows.append(
                {
                    "period": month,
                    "subject": agent,
                    "metric": "month_points",
                    "value": value,
                    "source": "m",
                }
            )
        for metric in ("report_timeliness", "training_timeliness"):
            rows.append(
                {"period": month, "subject": "s", "metric": metric, "value": 20.0, "source": "m"}
            )
    fill_table(store, "metric_values", rows)
    return store, agents_file


def _supervisor_scheme(agents_file: Path):
    from kaohe.schemes.model import TeamScore

    scheme = load_scheme("supervisor")
    return scheme.model_copy(
        update={"team_score": TeamScore(metric="team_mean_score", schemes=[str(agents_file)])}
    )


def test_the_team_score_is_the_mean_of_the_agents_results_month_by_month(tmp_path):
    from kaohe.pay.payslip import pay, score_inputs
    from kaohe.pay.plan import load_plan
    from kaohe.schemes.fetch import roster_rows, score_period

    # team A's months: (90 + 100) / 2 = 95, (80 + 80) / 2 = 80, (85 + 75) / 2 = 80: the
    # quarter averages 85
    store, agents_file = _supervisor_store(
        tmp_path, {"2026-10": (90, 100), "2026-11": (80, 80), "2026-12": (85, 75)}
    )
    with store:
        result = score_period(store, _supervisor_scheme(agents_file), "2026-Q4")
        roster = roster_rows(store)
    s = result.agent("s")
    assert s.team_months == {"2026-10": 95.0, "2026-11": 80.0, "2026-12": 80.0}
    # each month: 60 × min(team / 90, 1) + 20 + 20; Oct 100, Nov 60 × 80/90 + 40 = 93.33…
    assert s.months["2026-10"] == 100.0
    assert s.months["2026-11"] == pytest.approx(60 * 80 / 90 + 40)
    assert s.total == pytest.approx((100 + 2 * (60 * 80 / 90 + 40)) / 3)
    inputs = score_inputs(result)["s"]
    assert inputs["team_mean"] == pytest.approx(85.0) and inputs["team_lowest"] == 80.0
    # seed 002: no ¥1000 when the team's quarter averages 85, under either reading
    for every_month in (1, 0):
        plan = load_plan("supervisor_rules", {"every_month": every_month})
        slip = pay(plan, [], roster, {"s": inputs}, settled=True).payslip("s")
        assert slip.amount("quarter_reward_line") == 0.0


def test_every_month_at_90_earns_the_reward_and_three_months_below_60_demote(tmp_path):
    from kaohe.pay.payslip import pay, score_inputs
    from kaohe.pay.plan import load_plan
    from kaohe.schemes.fetch import score_period

    store, agents_file = _supervisor_store(
        tmp_path, {"2026-10": (90, 92), "2026-11": (95, 91), "2026-12": (90, 90)}
    )
    with store:
        good = score_inputs(score_period(store, _supervisor_scheme(agents_file), "2026-Q4"))
    roster = [{"agent": "s", "level": "supervisor", "team": "A"}]
    plan = load_plan("supervisor_rules")
    slip = pay(plan, [], roster, {"s": good["s"]}, settled=True).payslip("s")
    assert good["s"]["team_lowest"] == 90.0  # 91, 93, 90
    assert slip.amount("quarter_reward_line") == 1000.0
    # the supervisor's own totals 50, 55, 59 in the three months: back to an agent's post
    low = {"total": 54.67, "highest_total": 59.0, "team_lowest": 70.0, "team_mean": 75.0}
    slip = pay(plan, [], roster, {"s": low}, settled=True).payslip("s")
    assert slip.notices == ["连续1季度 (每个月) 考评不满60分：转回客服岗位，收入待遇回归客服岗位"]


def test_team_means_count_each_agent_once_and_leave_supervisors_out():
    scheme = parse_scheme_text(AGENTS_SCHEME, "a.yaml")
    rows = [{"agent": a, "month_points": v} for a, v in (("a1", 80), ("a2", 90), ("s", 10))]
    roster = [
        {"agent": "a1", "team": "A", "role": "presales"},
        {"agent": "a2", "team": "A", "role": "presales"},
        {"agent": "s", "team": "A", "role": "presales", "level": "supervisor"},
    ]
    first = score(scheme, rows, roster, "2026-10")
    again = score(scheme, [{"agent": "a1", "month_points": 0}], roster, "2026-10")
    assert team_means([first, again], roster) == {"A": (85.0, 2)}  # a1 from the first only
