"""`kaohe pay` through the command line: settled periods, provisional runs, payslips."""

from __future__ import annotations

import json
import zipfile

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.store import Store
from tests.engine import fixtures as F
from tests.engine.conftest import fill

# 5 元 per valid reply (the engine's agent_messages, read back in the test) plus an imported
# bonus of 100 for a1 from metric_values
PLAN = """\
id: mine
name: 我的薪资
params:
  per_reply: 5
inputs:
  bonus: 手工奖金
lines:
  - id: replies_pay
    name: 回复提成
    formula: per_reply * agent_messages
  - id: bonus_pay
    name: 奖金
    formula: if(bonus > 0, bonus, 0)
"""


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "k.duckdb")
    with Store(path) as store:
        fill(store, F.ALL, F.ROSTER)
        store.con.execute(
            "INSERT INTO metric_values (period, subject, metric, value, source) "
            "VALUES ('2026-10', 'a1', 'bonus', 100, 'manual')"
        )
    return path


def kaohe(db: str, *args: str):
    return CliRunner().invoke(cli, ["--db", db, *args])


def test_pay_lines_from_metrics_and_inputs(db, tmp_path):
    plan = tmp_path / "mine.yaml"
    plan.write_text(PLAN, "utf-8")
    res = kaohe(db, "kpi", "--period", "2026-10", "--metrics", "agent_messages", "--format", "json")
    replies = {r["agent"]: r["agent_messages"] for r in json.loads(res.output)["rows"]}
    res = kaohe(db, "pay", "--plan", str(plan), "--period", "2026-10", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["plan"] == "mine" and data["settled"] is True
    rows = {r["agent"]: r for r in data["rows"]}
    a1 = rows["a1"]
    assert a1["replies_pay"] == 5 * replies["a1"]
    assert a1["bonus_pay"] == 100.0
    assert a1["total"] == 5 * replies["a1"] + 100.0
    assert a1["status"] == "已结算"
    res = kaohe(db, "pay", "--plan", str(plan), "--period", "2026-10", "--payslip", "a1")
    assert res.exit_code == 0 and "回复提成" in res.output and "应发合计" in res.output


def test_pay_refuses_an_unsettled_period_unless_provisional(db, tmp_path):
    plan = tmp_path / "mine.yaml"
    plan.write_text(PLAN, "utf-8")
    with Store(db) as store:  # a day far in the future is never settled
        fill(store, [dict(F.MULTI[0], time="2099-01-05 10:00:00")])
    res = kaohe(db, "pay", "--plan", str(plan), "--period", "2099-01")
    assert res.exit_code == 1 and "--provisional" in res.output
    res = kaohe(
        db, "pay", "--plan", str(plan), "--period", "2099-01", "--provisional", "--format", "json"
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["settled"] is False
    assert all(r["status"] == "暂估" for r in data["rows"])


def test_pay_needs_a_scheme_for_score_lines(db):
    res = kaohe(db, "pay", "--plan", "pk_rewards", "--period", "2026-10")
    assert res.exit_code == 1 and "--scheme" in res.output


def test_pay_workbook_has_payroll_and_a_payslip_per_agent(db, tmp_path):
    import fastexcel

    plan = tmp_path / "mine.yaml"
    plan.write_text(PLAN, "utf-8")
    out = tmp_path / "pay.xlsx"
    res = kaohe(
        db, "pay", "--plan", str(plan), "--period", "2026-10", "--format", "xlsx", "--out", str(out)
    )
    assert res.exit_code == 0, res.output
    book = fastexcel.read_excel(str(out))
    assert book.sheet_names[-2:] == ["工资表", "工资条"]
    payroll = book.load_sheet("工资表", header_row=2).to_polars()
    # the payslips: one printed A5 page each (a page break before every one but the first)
    slips = book.load_sheet("工资条", header_row=None).to_polars()
    cells = [str(v) for column in slips.columns for v in slips[column] if v is not None]
    assert sum(c.startswith("客服签字") for c in cells) == len(payroll) >= 3
    assert sum(c.startswith("工资条　") for c in cells) == len(payroll)
    with zipfile.ZipFile(out) as z:
        sheet = z.read(f"xl/worksheets/sheet{len(book.sheet_names)}.xml").decode()
    assert (
        f'<rowBreaks count="{len(payroll) - 1}"' in sheet and '<pageSetup paperSize="11"' in sheet
    )
    # money columns name their unit
    assert payroll.columns[:5] == ["客服", "姓名", "回复提成 (元)", "奖金 (元)", "应发合计 (元)"]
    a1 = payroll.filter(payroll["客服"] == "a1").row(0, named=True)
    assert a1["奖金 (元)"] == 100.0
    assert a1["应发合计 (元)"] == a1["回复提成 (元)"] + a1["奖金 (元)"]
