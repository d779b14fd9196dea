"""Payslips computed by hand: the JD commission plan, the silent-sales split, PK rewards,
grade penalties, supervisor rules, and the settled/provisional rule."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kaohe.errors import ConfigError, UsageError
from kaohe.pay.payslip import PROVISIONAL_MARK, pay, score_inputs
from kaohe.pay.plan import load_plan, parse_plan_text

ROWS = [
    {
        "agent": "a1",
        "sales_amount": 10000.0,
        "refund_amount": 500.0,
        "received_buyers": 100,
        "consult_to_pay_rate": 0.30,
        "avg_order_value": 250.0,
        "flexible_bonus": 50.0,
    },
    {
        "agent": "a2",
        "sales_amount": 6000.0,
        "refund_amount": 0.0,
        "received_buyers": 80,
        "consult_to_pay_rate": 0.20,
        "avg_order_value": 200.0,
    },
    {
        "agent": "a3",
        "sales_amount": 2000.0,
        "refund_amount": 200.0,
        "received_buyers": 0,
        "consult_to_pay_rate": None,
        "avg_order_value": None,
    },
]
ROSTER = [
    {"agent": "a1", "name": "小王", "shops": "s1", "base_salary": 2000},
    {"agent": "a2", "name": "小李", "shops": "s1", "base_salary": "1500"},
    {"agent": "a3", "name": "小张", "shops": "s1", "base_salary": 1100},
]
SHOPS = {"s1": {"silent_net_sales": 30000.0}}
# the team's pooled figures as compute_kpis gives them (no roster team: everyone paid)
TEAMS = {None: {"consult_to_pay_rate": 0.25, "avg_order_value": 225.0}}


def jd_pay(**kw: object):  # noqa: ANN201
    plan = load_plan("jd_commission", {"bonus_base": 2.0})
    return pay(plan, ROWS, ROSTER, None, settled=True, shops=SHOPS, teams=TEAMS, **kw)


def test_jd_commission_against_team_averages() -> None:
    # team (pooled): 转化率 0.25, 客单价 225; 静默 1 % × 30000 (net of returns) = 300 ÷ 2
    # eligible (a3 received nobody)
    a1 = jd_pay().payslip("a1")
    assert {ln.id: ln.amount for ln in a1.lines} == {
        "silent_share": 150.0,  # 300 / 2
        "note_error_share": 0.0,  # no 订单备注错误 cost this month
        "special_request_share": 0.0,
        "base": 2000.0,
        "commission": 200.0,  # 2 % × 10000
        "returns_deduction": -20.0,  # −4 % × 500
        "basic_bonus": 200.0,  # 100 received × 2
        "conversion_bonus": 40.0,  # 200 × (0.30 − 0.25) / 0.25
        "aov_bonus": 22.22,  # 200 × (250 − 225) / 225 = 22.222…
        "basic_performance": 262.22,  # 200 + 40 + 22.22
        "flexible": 50.0,
        "performance_pay": 312.22,  # 262.22 + 50
    }
    assert a1.total == 2642.22  # 150 + 2000 + 200 − 20 + 312.22 (components not added)
    # printed as a payslip reads: 底薪 first, the shop's share and the shared costs last
    order = [ln.id for ln in a1.lines]
    assert order[0] == "base" and order[-3:] == [
        "silent_share",
        "note_error_share",
        "special_request_share",
    ]
    assert [i for i, _ in load_plan("jd_commission").printed()] == order  # the pay table's too


def test_jd_commission_below_team_average_and_missing_inputs() -> None:
    result = jd_pay()
    a2 = result.payslip("a2")
    assert a2.amount("conversion_bonus") == -32.0  # 160 × (0.20 − 0.25) / 0.25
    assert a2.amount("aov_bonus") == -17.78  # 160 × (200 − 225) / 225 = −17.777…
    assert a2.amount("performance_pay") == 110.22  # 160 − 32 − 17.78 + 0 (no 灵活绩效)
    assert a2.line("flexible").notes == ["no value for flexible_bonus: 0"]
    assert a2.total == 1880.22  # 150 + 1500 + 120 − 0 + 110.22
    a3 = result.payslip("a3")
    assert a3.amount("silent_share") == 0.0
    assert a3.line("conversion_bonus").notes[-1] == "no value for consult_to_pay_rate: 0"
    assert a3.total == 1132.0  # 1100 + 40 − 8


def test_every_line_explains_itself() -> None:
    line = jd_pay().payslip("a1").line("conversion_bonus")
    assert line.inputs == {
        "basic_bonus": 200.0,
        "consult_to_pay_rate": 0.30,
        "team.consult_to_pay_rate": 0.25,
    }
    assert line.notes == ["team.consult_to_pay_rate = pooled over everyone paid"]
    assert line.explain().startswith(
        "转化率加权奖金 = basic_bonus * (consult_to_pay_rate - team.consult_to_pay_rate) / "
        "team.consult_to_pay_rate; basic_bonus = ¥200.00; consult_to_pay_rate = 30%; "
        "team.consult_to_pay_rate = 25% → ¥40.00"
    )  # an earlier line and the pay in yuan, rates as percents (kaohe.units)
    silent = jd_pay().payslip("a1").line("silent_share")
    assert silent.inputs == {
        "s1: silent_rate": 0.01,
        "s1: shop.silent_net_sales": 30000.0,
        "s1: eligible agents": 2.0,
    }
    assert silent.notes == ["s1: ¥300.00 ÷ 2 = ¥150.00"]
    assert "s1: silent_rate = 0.01; s1: shop.silent_net_sales = ¥30,000.00" in silent.explain()


def test_payroll_table_has_chinese_headers() -> None:
    row = jd_pay().table()[0]
    assert row["客服"] == "a1" and row["姓名"] == "小王"
    assert row["个人提成"] == 200.0 and row["应发合计"] == 2642.22 and row["状态"] == "已结算"


SPLIT_PLAN = """\
id: split
name: 分摊
pools:
  - id: silent_share
    name: 静默分摊
    amount: 1% * shop.silent_sales
    eligible: received_buyers > 0
"""


def test_silent_sales_split_among_eligible_agents_of_each_shop() -> None:
    plan = parse_plan_text(SPLIT_PLAN, "split.yaml")
    rows = [
        {"agent": a, "received_buyers": n}
        for a, n in (("a1", 5), ("a2", 3), ("a3", 1), ("a4", 0), ("a5", 9))
    ]
    roster = [
        {"agent": "a1", "shops": "s1"},
        {"agent": "a2", "shops": "s1、s2"},
        {"agent": "a3", "shops": "s1"},
        {"agent": "a4", "shops": "s1,s2"},
        {"agent": "a5", "shops": "s3"},
    ]
    shops = {
        "s1": {"silent_sales": 10000.0},
        "s2": {"silent_sales": 5000.0},
        "s3": {"silent_sales": None},
    }
    result = pay(plan, rows, roster, settled=True, shops=shops)
    # s1: 100 ÷ 3 eligible (a1, a2, a3; a4 received nobody) = 33.33;
    # s2: 50 ÷ 1 eligible (a2) = 50; s3 has no silent sales value: no split
    amounts = {s.agent: s.amount("silent_share") for s in result.payslips}
    assert amounts == {"a1": 33.33, "a2": 83.33, "a3": 33.33, "a4": 0.0, "a5": 0.0}
    assert [(p.shop, p.amount, p.eligible, p.share) for p in result.pools] == [
        ("s1", 100.0, ["a1", "a2", "a3"], 33.33),
        ("s2", 50.0, ["a2"], 50.0),
    ]
    assert result.payslip("a2").line("silent_share").notes == [
        "s1: ¥100.00 ÷ 3 = ¥33.33",
        "s2: ¥50.00 ÷ 1 = ¥50.00",
    ]


def test_single_shop_without_roster_shops() -> None:
    plan = parse_plan_text(SPLIT_PLAN, "split.yaml")
    rows = [{"agent": "a1", "received_buyers": 1}, {"agent": "a2", "received_buyers": 2}]
    result = pay(plan, rows, settled=True, shops={"s1": {"silent_sales": 999.0}})
    assert [s.amount("silent_share") for s in result.payslips] == [5.0, 5.0]  # 9.99 / 2 = 4.995


def test_team_scope_uses_the_roster_team() -> None:
    text = """\
id: t
name: 团队
team_scope: team
lines:
  - id: above
    name: 高于团队
    formula: sales_amount - team.sales_amount
"""
    rows = [
        {"agent": "a", "sales_amount": 100.0},
        {"agent": "b", "sales_amount": 300.0},
        {"agent": "c", "sales_amount": 1000.0},
    ]
    roster = [{"agent": "a", "team": "x"}, {"agent": "b", "team": "x"}, {"agent": "c", "team": "y"}]
    result = pay(parse_plan_text(text, "t.yaml"), rows, roster, settled=True)
    # team x: mean (100 + 300) / 2 = 200; team y: 1000 alone
    assert [s.amount("above") for s in result.payslips] == [-100.0, 100.0, 0.0]


def test_unsettled_period_refused_unless_provisional() -> None:
    plan = load_plan("jd_commission")
    with pytest.raises(UsageError, match="period 2026-10 is not settled.*--provisional"):
        pay(plan, ROWS, ROSTER, settled=False, shops=SHOPS, period="2026-10")
    result = pay(plan, ROWS, ROSTER, settled=False, provisional=True, shops=SHOPS, teams=TEAMS)
    assert result.provisional
    assert all(s.provisional and s.notices[0] == PROVISIONAL_MARK for s in result.payslips)
    assert {row["状态"] for row in result.table()} == {"暂估"}


def test_pk_rewards_with_ties_and_grade_penalty() -> None:
    plan = load_plan("pk_rewards")
    scores = {
        "a1": {
            "total": 95,
            "grade": "达标·优秀",
            "penalty": 0,
            "reward": 0,
            "rank": {"sales_amount": 1, "received_buyers": 2},
        },
        "a2": {
            "total": 75,
            "grade": "未达标",
            "penalty": 2000,
            "reward": 0,
            "rank": {"sales_amount": 1, "received_buyers": 1},
        },
        "a3": {"total": 65, "grade": "未达标", "penalty": 5000, "rank": {"sales_amount": 3}},
        "a4": {"total": None, "grade": None, "rank": {"sales_amount": None}},
    }
    result = pay(plan, [], None, scores, settled=True)
    lines = {s.agent: {ln.id: ln.amount for ln in s.lines} for s in result.payslips}
    # tied first on sales (a1, a2) both take 300; the next is third: 100
    assert [lines[a]["pk_sales_amount"] for a in ("a1", "a2", "a3", "a4")] == [300, 300, 100, 0]
    assert lines["a1"]["pk_received_buyers"] == 200.0
    assert [lines[a]["grade_penalty"] for a in ("a1", "a2", "a3")] == [0, -2000, -5000]
    assert result.payslip("a1").total == 500.0  # 300 + 200
    assert result.payslip("a2").total == -1400.0  # 300 + 300 − 2000
    assert result.payslip("a4").line("pk_sales_amount").notes == [
        "no value for rank.sales_amount: 0"
    ]


def test_supervisor_rules() -> None:
    # seed 002: the ¥1,000 is for 客服团队连续1季度评分达到90以上 — the team's score, every month
    # of the quarter (team_lowest) — not the supervisor's own total
    plan = load_plan("supervisor_rules")
    roster = [
        {"agent": "s1", "level": "supervisor"},
        {"agent": "s2", "level": "supervisor"},
        {"agent": "a1", "level": "regular"},
    ]
    rows = [
        {"agent": "s1", "adopted_suggestion_reward": 500.0, "untrained_lost_orders": 2},
        {"agent": "s2"},
        {"agent": "a1"},
    ]
    scores = {
        # own total 70, but the team scored 91, 93, 95 in the three months
        "s1": {"total": 70.0, "highest_total": 75.0, "team_lowest": 91.0, "team_mean": 93.0},
        # the team's quarter averages 85 (95, 80, 80); every own month below 60
        "s2": {"total": 55.0, "highest_total": 58.0, "team_lowest": 80.0, "team_mean": 85.0},
        "a1": {"total": 99.0},
    }
    result = pay(plan, rows, roster, scores, settled=True)
    assert [s.agent for s in result.payslips] == ["s1", "s2"]  # only supervisors
    s1 = result.payslip("s1")
    assert s1.amount("quarter_reward_line") == 1000.0  # every month ≥ 90
    assert s1.amount("lost_orders") == -400.0  # −200 × 2
    assert s1.total == 1100.0  # 1000 + 500 − 400
    assert s1.notices == []
    s2 = result.payslip("s2")
    assert s2.amount("quarter_reward_line") == 0.0 and s2.total == 0.0  # no ¥1000 at 85
    assert s2.notices == ["连续1季度 (每个月) 考评不满60分：转回客服岗位，收入待遇回归客服岗位"]


def test_boundary_of_the_supervisor_reward_and_the_quarter_mean_reading() -> None:
    roster = [{"agent": "s", "level": "supervisor"}]

    def reward(every_month: int, lowest: float, mean: float) -> float:
        plan = load_plan("supervisor_rules", {"every_month": every_month})
        score = {"s": {"total": 80.0, "team_lowest": lowest, "team_mean": mean}}
        return pay(plan, [], roster, score, settled=True).payslip("s").amount("quarter_reward_line")

    assert reward(1, 90.0, 92.0) == 1000.0  # the lowest month exactly 90
    assert reward(1, 89.99, 95.0) == 0.0  # one month short: not 连续
    assert reward(0, 80.0, 90.0) == 1000.0  # the other reading: the quarter's mean ≥ 90
    assert reward(0, 95.0, 85.0) == 0.0  # mean 85: no ¥1000 under either reading


def test_shared_costs_split_between_agent_and_supervisor() -> None:
    # seed 002: 订单备注错误 … 费用由客服主管以及客服承担; agent share 0.5 (cost_agent_share)
    roster = [
        {"agent": "s", "level": "supervisor", "team": "A"},
        {"agent": "a1", "level": "regular", "team": "A"},
        {"agent": "a2", "level": "regular", "team": "A"},
        {"agent": "b1", "level": "regular", "team": "B"},
    ]
    rows = [
        {"agent": "a1", "note_error_cost": 120.0, "special_request_cost": 30.0},
        {"agent": "a2", "note_error_cost": 40.0},
        {"agent": "b1", "note_error_cost": 1000.0},
    ]
    agents = pay(
        load_plan("jd_commission", {"cost_agent_share": 0.25}),
        rows,
        roster,
        settled=True,
        teams=TEAMS,
    )
    assert agents.payslip("a1").amount("note_error_share") == -30.0  # 120 × 0.25
    assert agents.payslip("a1").amount("special_request_share") == -7.5  # 30 × 0.25
    assert agents.payslip("a2").amount("note_error_share") == -10.0  # 40 × 0.25
    # jd_commission bears the agent's side only: nothing for the supervisor there
    assert agents.payslip("s").amount("note_error_share") == 0.0
    boss = pay(
        load_plan("supervisor_rules", {"cost_agent_share": 0.25}),
        rows,
        roster,
        {"s": {"total": 80.0}},
        settled=True,
    ).payslip("s")
    # team A (b1 is team B): (120 + 40) × 0.75 = 120; 30 × 0.75 = 22.5
    assert boss.amount("note_error_share") == -120.0
    assert boss.amount("special_request_share") == -22.5


def test_pooled_team_figures_differ_from_the_mean_of_rates() -> None:
    # seed 004 转化率加权奖金 = 基础奖金 × (个人转化率 − 团队转化率) / 团队转化率. a1: 30 of 100
    # inquiries paid (0.30), a2: 4 of 10 (0.40), a3 after-sales: no inquiry. Pooled team rate
    # (30 + 4) / (100 + 10) = 0.309090…; the old mean of rates would be (0.30 + 0.40) / 2 = 0.35
    text = """\
id: t
name: 团队
team_scope: team
team_stat: pooled
lines:
  - id: bonus
    name: 转化率加权
    formula: >-
      100 * (consult_to_pay_rate - team.consult_to_pay_rate) / team.consult_to_pay_rate
"""
    rows = [
        {"agent": "a1", "consult_to_pay_rate": 0.30},
        {"agent": "a2", "consult_to_pay_rate": 0.40},
        {"agent": "a3", "consult_to_pay_rate": None},
    ]
    roster = [{"agent": a, "team": "A"} for a in ("a1", "a2", "a3")]
    teams = {"A": {"consult_to_pay_rate": 34 / 110}}
    result = pay(parse_plan_text(text, "t.yaml"), rows, roster, settled=True, teams=teams)
    # a1: 100 × (0.30 − 0.30909) / 0.30909 = −2.94; a2: 100 × (0.40 − 0.30909) / 0.30909 = 29.41
    assert result.payslip("a1").amount("bonus") == -2.94
    assert result.payslip("a2").amount("bonus") == 29.41
    assert result.payslip("a1").line("bonus").notes == [
        "team.consult_to_pay_rate = pooled over team A"
    ]


def test_line_applies_and_runtime_errors_name_the_plan() -> None:
    text = """\
id: x
name: 测试
lines:
  - id: senior_bonus
    name: 资深补贴
    formula: 100
    applies: level == 'senior'
  - id: power
    name: 乘方
    formula: sales_amount ^ received_buyers
"""
    plan = parse_plan_text(text, "x.yaml")
    rows = [{"agent": "a", "sales_amount": 2.0, "received_buyers": 3}]
    slip = pay(plan, rows, [{"agent": "a", "level": "regular"}], settled=True).payslip("a")
    assert slip.amount("senior_bonus") == 0.0
    assert slip.line("senior_bonus").notes == ["does not apply (level == 'senior')"]
    assert slip.amount("power") == 8.0  # 2 ^ 3
    rows[0]["received_buyers"] = 50
    with pytest.raises(ConfigError, match=r"x.yaml:10, field 'lines.1.formula'.*exponent 50"):
        pay(plan, rows, settled=True)


def test_score_inputs_from_a_score_result() -> None:
    grade = SimpleNamespace(label="未达标", penalty=2000.0, reward=0.0)
    items = [
        SimpleNamespace(id="satisfaction", points=46.0, dropped=False),
        SimpleNamespace(id="spot_check", points=0.0, dropped=True),
    ]
    result = SimpleNamespace(
        agents=[SimpleNamespace(agent="a1", total=76.0, grade=grade, items=items)]
    )
    pk = {
        "sales_amount": [
            SimpleNamespace(agent="a1", place=2),
            SimpleNamespace(agent="a9", place=None),
        ]
    }
    assert score_inputs(result, pk) == {
        "a1": {
            "total": 76.0,
            "lowest_total": 76.0,  # one period: its total is the lowest and highest month
            "highest_total": 76.0,
            "team_lowest": None,  # not a supervisor scheme: no team score
            "team_mean": None,
            "grade": "未达标",
            "penalty": 2000.0,
            "reward": 0.0,
            "items": {"satisfaction": 46.0, "spot_check": None},
            "rank": {"sales_amount": 2},
        },
        "a9": {"rank": {"sales_amount": None}},
    }


def test_score_items_are_names() -> None:
    text = """\
id: y
name: 单项
lines:
  - id: satisfaction_bonus
    name: 满意度奖
    formula: if(score.satisfaction >= 45, 100, 0) + if(score.grade == '达标', 50, 0)
"""
    scores = {"a": {"grade": "达标", "items": {"satisfaction": 46.0}}}
    slip = pay(parse_plan_text(text, "y.yaml"), [], None, scores, settled=True).payslip("a")
    assert slip.amount("satisfaction_bonus") == 150.0


def test_every_line_reads_in_chinese_with_its_figures() -> None:
    a1 = {ln.id: ln.wording for ln in jd_pay().payslip("a1").lines}
    # 2 % × 10000 = 200; the parameter, the metric and the amount in their units
    assert a1["commission"] == "个人提成比例 2% × 客服销售额 ¥10,000.00 = ¥200.00"
    # 1 % × 30000 = 300, split between the 2 agents who received buyers
    assert a1["silent_share"].startswith("s1：静默销售分摊比例 1% × 店铺静默净销售额 ¥30,000.00")
    assert "由 2 名客服均分，每人 ¥150.00" in a1["silent_share"]
    assert a1["note_error_share"] == "本期没有订单备注错误费用，¥0.00"
    a3 = {ln.id: ln.wording for ln in jd_pay().payslip("a3").lines}
    assert a3["aov_bonus"].endswith("：缺少客单价的数据，记 ¥0.00")  # a3 sold to nobody
    assert not any(
        code in text
        for text in [*a1.values(), *a3.values()]
        for code in ("sales_amount", "received_buyers", "team.", "commission_rate")
    )
