"""Scoring and paying by the assignments (kaohe.assigned): each population with its own plan,
`kaohe pay` without --plan, and what happens with no plan at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe.assigned import PlanPay, pay_assigned
from kaohe.assignments import Populations, members, parse_assignments, populations
from kaohe.cli import cli
from kaohe.store import Store
from tests.engine.conftest import fill_table

RULES = """\
assignments:
  - {when: {platform: 天猫}, plan: tmall_commission}
  - {when: {platform: pdd}, plan: pdd_commission}
"""
# (shop, platform, agent): one agent per shop, 乙 has no roster row (seen in chats only)
CHATS = [
    ("猫店", "tmall", "猫店:甲"),
    ("多多店", "pdd", "多多店:乙"),
    ("多多店", "pdd", "多多店:丙"),
]


def _store(path: Path) -> Store:
    store = Store(str(path))
    fill_table(
        store,
        "agents",
        [
            {
                "agent": "猫店:甲",
                "name": "张三",
                "shops": "猫店",
                "base_salary": 3000,
                "role": "general",
            },
            {"agent": "多多店:丙", "name": "王五", "shops": "多多店", "base_salary": 2000},
        ],
    )
    for i, (shop, platform, agent) in enumerate(CHATS):
        rows = [
            {
                "shop": shop,
                "platform": platform,
                "buyer": f"b{i}",
                "agent": agent if sender == "agent" else None,
                "sender": sender,
                "time": f"2025-03-0{i + 1} 10:00:{second:02d}",
                "seq": 2 * i + second // 20,
                "msg_key": f"k{i}{sender}",
            }
            for sender, second in (("buyer", 0), ("agent", 20))
        ]
        fill_table(store, "messages", rows)
    return store


@pytest.fixture(scope="module")
def paid(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[PlanPay], Populations]:
    base = tmp_path_factory.mktemp("assigned")
    assignments = parse_assignments(RULES, str(base / "assignments.yaml"))
    with _store(base / "k.duckdb") as store:
        return pay_assigned(store, assignments, "2025-03", provisional=True)


def test_each_population_is_paid_with_its_plan(paid: tuple[list[PlanPay], Populations]) -> None:
    runs, found = paid
    plans = {run.plan.id: [s.agent for s in run.result.payslips] for run in runs}
    assert plans == {"tmall_commission": ["猫店:甲"], "pdd_commission": ["多多店:丙", "多多店:乙"]}
    assert found.unassigned == []
    slips = {s.agent: s for run in runs for s in run.result.payslips}
    # no orders: no commission, no conversion bonus; the base salary is the roster's (乙: none)
    # 甲 answered in 20 s ≤ 30 s: the response bonus, ¥200
    assert slips["猫店:甲"].total == 3200.0
    # 丙 answered in 20 s: 5-minute reply rate 100 % ≥ 90 %, the reply bonus, ¥200
    assert slips["多多店:丙"].total == 2200.0
    assert slips["多多店:乙"].amount("base") == 0.0
    commission = next(ln for ln in slips["猫店:甲"].lines if ln.id == "commission")
    assert commission.wording == "个人提成比例 2% × 客服销售额 ¥0.00 = ¥0.00"


def test_a_bonus_without_its_figure_says_so(paid: tuple[list[PlanPay], Populations]) -> None:
    slip = next(s for run in paid[0] for s in run.result.payslips if s.agent == "猫店:甲")
    words = {ln.id: ln.wording for ln in slip.lines}
    assert words["satisfaction_bonus"] == (
        "缺少满意度的数据，不计（满意度 无数据 ≥ 满意度达标线 90% 时为 满意度奖金 200 元），"
        "记 ¥0.00"
    )
    assert words["response_bonus"] == (
        "首次响应时长 20秒 ≤ 首次响应达标线 30 秒，达到 → 响应奖金 200 元"
    )


def test_pay_without_a_plan_reads_the_assignments_file(tmp_path: Path) -> None:
    _store(tmp_path / "k.duckdb").close()
    db = str(tmp_path / "k.duckdb")
    run = ["--db", db, "pay", "--period", "2025-03", "--provisional", "--format", "csv"]
    refused = CliRunner().invoke(cli, run)
    assert refused.exit_code == 1 and "--plan" in refused.output  # no plan anywhere: says how
    (tmp_path / "assignments.yaml").write_text(RULES, encoding="utf-8")
    result = CliRunner().invoke(cli, run)
    assert result.exit_code == 0, result.output
    assert "天猫/淘宝售前薪资" in result.output and "拼多多客服薪资" in result.output
    slip = CliRunner().invoke(cli, [*run[:-2], "--payslip", "王五"])
    assert "拼多多客服薪资" in slip.output and "底薪：¥2,000.00" in slip.output


def test_an_agent_nobody_assigns_is_listed_not_dropped(tmp_path: Path) -> None:
    only_tmall = parse_assignments(
        "assignments:\n  - {when: {platform: tmall}, plan: tmall_commission}\n", "a.yaml"
    )
    with _store(tmp_path / "k.duckdb") as store:
        found = populations(only_tmall, members(store), "plan")
    assert found.groups == {"tmall_commission": ["猫店:甲"]}
    assert found.unassigned == ["多多店:丙", "多多店:乙"]


def test_score_without_a_scheme_scores_each_population_with_its_own(tmp_path: Path) -> None:
    _store(tmp_path / "k.duckdb").close()
    (tmp_path / "assignments.yaml").write_text(
        "assignments:\n  - {when: {shop: 猫店}, scheme: general}\n", encoding="utf-8"
    )
    db = str(tmp_path / "k.duckdb")
    result = CliRunner().invoke(cli, ["--db", db, "score", "--period", "2025-03"])
    assert result.exit_code == 0, result.output
    assert "综合型客服" in result.output and "猫店:甲" in result.output
    assert "多多店:丙" not in result.output.split("综合型客服 2025-03")[1]  # the table
    assert "没有分配考核方案" in result.output  # 乙 and 丙: listed, not dropped in silence
