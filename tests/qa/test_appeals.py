"""An agent's appeal of a QA finding: filed with a comment, accepted by a supervisor, the
finding leaves the scores and a plan's line that reads them changes (pay reads the store,
so `kaohe pay` agrees); a rejected appeal changes nothing; an appeal is decided once."""

from __future__ import annotations

import pytest

from kaohe.errors import UsageError
from kaohe.pay.fetch import pay_period
from kaohe.pay.plan import parse_plan_text
from kaohe.qa.appeals import ACCEPTED, REJECTED, appeals, decide, file_appeal
from kaohe.qa.dismiss import FindingKey, history
from kaohe.qa.findings import run_pack
from kaohe.qa.rules import parse_pack_text
from kaohe.store import Store
from tests.engine.conftest import fill
from tests.qa.test_quality_metrics import PACK, ROWS

PLAN = """
id: qa_pay
name: 质检扣款
lines:
  - id: qa_deduction
    name: 质检扣款
    formula: -20 * qa_violations
"""


@pytest.fixture
def store():
    with Store(":memory:") as s:
        fill(s, ROWS)
        run_pack(s, parse_pack_text(PACK, "tiny.yaml"))
        yield s


def deduction(store) -> float:
    plan = parse_plan_text(PLAN, "qa_pay.yaml")
    slips, _ = pay_period(store, plan, "2026-10", None, True, {"pack": "tiny"})
    return next(s for s in slips.payslips if s.agent == "a1").lines[0].amount


def first_key(store, rule: str) -> FindingKey:
    key = store.con.execute(
        "SELECT msg_key FROM qa_findings WHERE rule = ? ORDER BY time LIMIT 1", [rule]
    ).fetchone()[0]
    return FindingKey("tiny", key, rule)


def test_an_accepted_appeal_changes_the_pay_line(store):
    assert deduction(store) == -60  # 3 violations × ¥20
    key = first_key(store, "interrogation")
    appeal_id = file_appeal(store, key, "agent_a1", "顾客要求我复述")
    with pytest.raises(UsageError, match="已有待处理的申诉"):
        file_appeal(store, key, "agent_a1", "再次申诉")
    decided = decide(store, appeal_id, True, "super", "确为误判", {"lines": {"qa": -60}})
    assert decided["status"] == ACCEPTED and decided["pay_before"] == {"lines": {"qa": -60}}
    assert deduction(store) == -40  # 2 violations left
    assert [h["kind"] for h in history(store, key)] == ["appeal"]
    with pytest.raises(UsageError, match="已处理"):
        decide(store, appeal_id, False, "super")


def test_a_rejected_appeal_changes_nothing(store):
    key = first_key(store, "insult")
    appeal_id = file_appeal(store, key, "agent_a1", "没有辱骂")
    assert decide(store, appeal_id, False, "super", "确有辱骂")["status"] == REJECTED
    assert deduction(store) == -60
    assert [a["status_text"] for a in appeals(store, {"a1"})] == ["已驳回"]
    with pytest.raises(UsageError, match="需要填写理由"):
        file_appeal(store, key, "agent_a1", "  ")
