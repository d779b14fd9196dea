"""Appeals of an order's credit and of a manual review, by hand: accepted, the order is
credited to the appealing agent (sales and the commission line move from one agent to the
other, `kaohe credit` says why) or the review stops counting (IQS without it, and rescoring
the reviews does not bring it back); rejected, nothing moves."""

from __future__ import annotations

import pytest

from kaohe.engine import compute_kpis
from kaohe.engine.attribution import credit
from kaohe.errors import NotFoundError, UsageError
from kaohe.pay.fetch import pay_period
from kaohe.pay.plan import parse_plan_text
from kaohe.qa.appeals import (
    appeals,
    decide,
    file_credit_appeal,
    file_review_appeal,
    voided_reviews,
)
from kaohe.qa.reviews import import_reviews, refresh_review_scores
from kaohe.store import Store
from tests.engine.conftest import fill, fill_table
from tests.engine.test_attribution import TWO_AGENTS, TWO_ORDER
from tests.qa.test_service_score import HEAD, ROWS

PLAN = """
id: commission
name: 提成
lines:
  - id: commission
    name: 销售提成
    formula: 0.1 * sales_amount
"""


def commission(store) -> dict[str, float]:
    plan = parse_plan_text(PLAN, "commission.yaml")
    slips, _ = pay_period(store, plan, "2026-10", None, True, {})
    return {s.agent: s.lines[0].amount for s in slips.payslips}


@pytest.fixture
def sales():
    with Store(":memory:") as s:
        fill(s, TWO_AGENTS, roster=[("a1", "t"), ("a2", "t")])
        fill_table(s, "orders", TWO_ORDER)
        yield s


def test_an_accepted_credit_appeal_moves_the_sale_and_the_commission(sales):
    # last touch: a2 (10:05) is credited with o1's ¥250 → ¥25 commission; a1 nothing
    assert credit(sales, "o1")["credited_agent"] == "a2"
    assert commission(sales) == {"a1": 0.0, "a2": 25.0}
    appeal_id = file_credit_appeal(sales, "o1", "a1", "agent_a1", "是我接待下单的")
    with pytest.raises(UsageError, match="已有待处理的申诉"):
        file_credit_appeal(sales, "o1", "a1", "agent_a1", "再申诉")
    assert appeals(sales, {"a1"})[0]["period"] == "2026-10"  # paid in October
    decide(sales, appeal_id, True, "super", "核实属实")
    found = credit(sales, "o1")
    assert found["credited_agent"] == "a1" and found["overridden"]
    assert found["reason"]["zh"].startswith("申诉改判: 归属客服 a1")
    assert commission(sales) == {"a1": 25.0, "a2": 0.0}
    rows = compute_kpis(sales, by="agent", period="2026-10", metrics=["sales_amount"])
    assert {r["agent"]: r["sales_amount"] for r in rows} == {"a1": 250.0}  # a2 sold nothing
    trail = sales.con.execute(
        "SELECT order_id, agent, appeal_id, by_user FROM credit_overrides"
    ).fetchall()
    assert trail == [("o1", "a1", appeal_id, "super")]
    with pytest.raises(UsageError, match="已归属于你"):
        file_credit_appeal(sales, "o1", "a1", "agent_a1", "again")


def test_a_rejected_credit_appeal_moves_nothing(sales):
    appeal_id = file_credit_appeal(sales, "o1", "a1", "agent_a1", "是我的")
    assert decide(sales, appeal_id, False, "super", "规则如此")["status"] == "rejected"
    assert commission(sales) == {"a1": 0.0, "a2": 25.0}
    with pytest.raises(NotFoundError):
        file_credit_appeal(sales, "o9", "a1", "agent_a1", "no such order")


@pytest.fixture
def reviewed(tmp_path):
    with Store(":memory:") as s:
        path = tmp_path / "reviews.csv"
        path.write_text(HEAD + ROWS, "utf-8")
        import_reviews(s, path)
        yield s


def iqs(store) -> float:
    rows = compute_kpis(store, by="agent", period="2026-10", metrics=["service_score"])
    return next(r["service_score"] for r in rows if r["agent"] == "alice")


def test_an_accepted_review_appeal_takes_the_review_out(reviewed):
    # alice: r1 0.875, r2 0.5, r3 1.0 count (r4 is a calibration) → IQS 79.17
    assert iqs(reviewed) == pytest.approx(100 * (0.875 + 0.5 + 1.0) / 3)
    with pytest.raises(NotFoundError):  # bob's review is not alice's to appeal
        file_review_appeal(reviewed, "r5", "alice", "agent_alice", "不是我的")
    appeal_id = file_review_appeal(reviewed, "r2", "alice", "agent_alice", "评分表用错了")
    decide(reviewed, appeal_id, True, "super", "重新质检")
    assert voided_reviews(reviewed, ["r1", "r2"]) == {"r2"}
    assert iqs(reviewed) == pytest.approx(100 * (0.875 + 1.0) / 2)  # 93.75
    refresh_review_scores(reviewed)  # the scorer rewrites qa_review_scores …
    assert iqs(reviewed) == pytest.approx(93.75)  # … and the appeal still holds


def test_a_rejected_review_appeal_changes_nothing(reviewed):
    appeal_id = file_review_appeal(reviewed, "r2", "alice", "agent_alice", "评分偏低")
    decide(reviewed, appeal_id, False, "super", "评分无误")
    assert voided_reviews(reviewed, ["r2"]) == set()
    assert iqs(reviewed) == pytest.approx(100 * (0.875 + 0.5 + 1.0) / 3)
