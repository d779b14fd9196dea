"""The quality metrics from stored findings, computed by hand (qa.md: 100 − deductions per
session, floor 0, a red line → 0; the agent's score is the mean over sessions)."""

from __future__ import annotations

import pytest

from kaohe.engine import compute_kpis
from kaohe.qa.findings import run_pack
from kaohe.qa.rules import parse_pack_text
from kaohe.store import Store
from tests.engine.conftest import fill, msg

PACK = """\
id: tiny
name: 小规则集
rules:
  - id: interrogation
    name: 质问
    category: attitude
    severity: minor
    scope: agent
    detector: phrases
    params: {phrases: [不是告诉你了]}
    deduction: 5
    explanation: 不要质问顾客。
  - id: insult
    name: 辱骂
    category: abuse
    severity: redline
    scope: agent
    detector: phrases
    params: {phrases: [滚]}
    deduction: 0
    explanation: 严禁辱骂顾客。
"""
D = "2026-10-05"
ROWS = [
    # session 1: two interrogations → 100 − 5 − 5 = 90
    msg("b1", "a1", "buyer", f"{D} 10:00:00", "在吗"),
    msg("b1", "a1", "agent", f"{D} 10:00:30", "不是告诉你了"),
    msg("b1", "a1", "buyer", f"{D} 10:01:00", "哪里"),
    msg("b1", "a1", "agent", f"{D} 10:01:30", "不是告诉你了吗"),
    # session 2 (an hour later): a red line → 0
    msg("b1", "a1", "buyer", f"{D} 11:05:00", "退款"),
    msg("b1", "a1", "agent", f"{D} 11:05:20", "滚"),
    # session 3: clean → 100
    msg("b2", "a1", "buyer", f"{D} 12:00:00", "你好"),
    msg("b2", "a1", "agent", f"{D} 12:00:10", "您好，请问有什么可以帮您"),
]
METRICS = ["qa_auto_score", "qa_violations", "qa_redline_sessions", "qa_violations_per_1k"]


@pytest.fixture
def store():
    with Store(":memory:") as s:
        fill(s, ROWS)
        run_pack(s, parse_pack_text(PACK, "tiny.yaml"))
        yield s


def test_scores_violations_and_red_lines(store):
    row = compute_kpis(
        store,
        by="agent",
        period="2026-10",
        metrics=METRICS,
        params={"pack": "tiny"},
        use_facts=False,
    )[0]
    assert row["qa_auto_score"] == pytest.approx((90 + 0 + 100) / 3)
    assert row["qa_violations"] == 3
    assert row["qa_redline_sessions"] == 1
    assert row["qa_violations_per_1k"] == pytest.approx(3 * 1000 / 4)  # 4 agent messages
    only_minor = compute_kpis(
        store,
        by="agent",
        period="2026-10",
        metrics=["qa_violations"],
        params={"pack": "tiny", "severity": "minor"},
        use_facts=False,
    )
    assert only_minor[0]["qa_violations"] == 2


def test_another_pack_has_no_findings_yet(store):
    row = compute_kpis(store, by="agent", period="2026-10", metrics=METRICS, use_facts=False)[0]
    assert row["qa_auto_score"] == 100.0 and row["qa_violations"] == 0


def test_facts_agree(store):
    direct = compute_kpis(store, by="shop", period="2026-10", metrics=METRICS, use_facts=False)
    assert compute_kpis(store, by="shop", period="2026-10", metrics=METRICS) == direct
