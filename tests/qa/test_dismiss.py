"""A finding dismissed as a false positive leaves the quality scores, stays out when the
inspection runs again, and comes back when restored; each step is logged."""

from __future__ import annotations

import pytest

from kaohe.engine import compute_kpis
from kaohe.errors import NotFoundError
from kaohe.qa.dismiss import APPEAL, FindingKey, dismiss, dismissed, history, restore
from kaohe.qa.findings import run_pack
from kaohe.qa.rules import parse_pack_text
from kaohe.store import Store
from tests.engine.conftest import fill
from tests.qa.test_quality_metrics import PACK, ROWS

METRICS = ["qa_auto_score", "qa_violations", "qa_redline_sessions"]


@pytest.fixture
def store():
    with Store(":memory:") as s:
        fill(s, ROWS)
        run_pack(s, parse_pack_text(PACK, "tiny.yaml"))
        yield s


def scores(store, use_facts: bool) -> dict:
    return compute_kpis(
        store,
        by="agent",
        period="2026-10",
        metrics=METRICS,
        params={"pack": "tiny"},
        use_facts=use_facts,
    )[0]


def key_of(store, rule: str) -> FindingKey:
    msg_key = store.con.execute(
        "SELECT msg_key FROM qa_findings WHERE rule = ? ORDER BY time LIMIT 1", [rule]
    ).fetchone()[0]
    return FindingKey("tiny", msg_key, rule)


@pytest.mark.parametrize("use_facts", [False, True])
def test_a_false_positive_leaves_the_scores_and_comes_back(store, use_facts):
    assert scores(store, use_facts)["qa_auto_score"] == pytest.approx((90 + 0 + 100) / 3)
    redline = key_of(store, "insult")
    dismiss(store, redline, "reviewer", "顾客说的是“滚动屏”")
    dismiss(store, redline, "reviewer")  # again: nothing changes
    # session 2 is clean now: (90 + 100 + 100) / 3, two violations left, no red line
    row = scores(store, use_facts)
    assert row["qa_auto_score"] == pytest.approx(290 / 3)
    assert (row["qa_violations"], row["qa_redline_sessions"]) == (2, 0)
    run_pack(store, parse_pack_text(PACK, "tiny.yaml"))  # the inspection runs again
    assert scores(store, use_facts)["qa_violations"] == 2
    restore(store, redline, "super", "确为辱骂")
    assert scores(store, use_facts)["qa_violations"] == 3
    assert [(h["action"], h["by"]) for h in history(store, redline)] == [
        ("dismiss", "reviewer"),
        ("restore", "super"),
    ]
    assert dismissed(store) == {}


def test_an_accepted_appeal_and_an_unknown_finding(store):
    minor = key_of(store, "interrogation")
    dismiss(store, minor, "super", "申诉：顾客要求复述", kind=APPEAL)
    assert dismissed(store)[minor]["kind"] == APPEAL
    with pytest.raises(NotFoundError, match="未找到该质检发现"):
        dismiss(store, FindingKey("tiny", "nope", "insult"), "x")
