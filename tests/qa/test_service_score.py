"""service_score (IQS, 0–100) and spot_check_pass_rate from imported reviews, by hand (qa.md: review
score = mean of the normalised categories, passes at ≥ 80 %; calibration reviews — several
reviewers on one session — count toward no score)."""

from __future__ import annotations

import pytest

from kaohe.engine import compute_kpis
from kaohe.ingest import import_file
from kaohe.qa.reviews import import_reviews
from kaohe.store import Store

HEAD = "质检ID,会话,店铺,客服,日期,质检员,评分表,项目,得分\n"
CARD = "kaohe2_attitude"  # every category 1–5, equal weights: 5 → 100 %, 4 → 75 %, 3 → 50 %
ROWS = f"""\
r1,s1,A,alice,2026-10-05,qa1,{CARD},greeting_warmth,5
r1,s1,A,alice,2026-10-05,qa1,{CARD},reply_timeliness,4
r2,s2,A,alice,2026-10-06,qa1,{CARD},greeting_warmth,3
r2,s2,A,alice,2026-10-06,qa1,{CARD},reply_timeliness,3
r3,s3,A,alice,2026-10-07,qa1,{CARD},greeting_warmth,5
r4,s3,A,alice,2026-10-07,qa2,{CARD},greeting_warmth,1
r5,s4,A,bob,2026-10-07,qa1,{CARD},greeting_warmth,4
"""
METRICS = ["service_score", "spot_check_pass_rate"]


@pytest.fixture
def store():
    with Store() as s:
        yield s


def _by_agent(store, **kw):
    return {
        r["agent"]: r
        for r in compute_kpis(store, by="agent", period="2026-10", metrics=METRICS, **kw)
    }


def test_scores_stored_at_import(store, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(HEAD + ROWS, "utf-8")
    import_reviews(store, path)
    rows = store.con.execute(
        "SELECT review_id, day::VARCHAR, score, passed FROM qa_review_scores ORDER BY review_id"
    ).fetchall()
    assert rows == [
        ("r1", "2026-10-05", 0.875, True),
        ("r2", "2026-10-06", 0.5, False),
        ("r3", "2026-10-07", 1.0, True),
        ("r4", "2026-10-07", 0.0, False),
        ("r5", "2026-10-07", 0.75, False),
    ]


@pytest.mark.parametrize("use_facts", [True, False])
def test_iqs_and_pass_rate_leave_calibration_out(store, tmp_path, use_facts):
    path = tmp_path / "reviews.csv"
    path.write_text(HEAD + ROWS, "utf-8")
    import_reviews(store, path)
    rows = _by_agent(store, use_facts=use_facts)
    # alice: r1 0.875 and r2 0.5 count; r3/r4 are a calibration pair on s3 (qa1 and qa2)
    assert rows["alice"]["service_score"] == pytest.approx(100 * (0.875 + 0.5) / 2)
    assert rows["alice"]["spot_check_pass_rate"] == pytest.approx(1 / 2)
    # bob: one review at 75 % — below the 80 % pass line
    assert rows["bob"]["service_score"] == pytest.approx(75.0)
    assert rows["bob"]["spot_check_pass_rate"] == 0.0


def test_generic_import_scores_reviews_too(store, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(HEAD + ROWS, "utf-8")
    import_file(store, path, table="qa_reviews")
    assert store.count("qa_review_scores") == 5


def test_a_new_calibration_review_refreshes_the_facts(store, tmp_path):
    first = tmp_path / "reviews.csv"
    first.write_text(HEAD + ROWS, "utf-8")
    import_reviews(store, first)
    assert _by_agent(store)["bob"]["service_score"] == pytest.approx(75.0)
    second = tmp_path / "calibration.csv"  # qa2 also reviews bob's s4 → calibration
    second.write_text(HEAD + f"r6,s4,A,bob,2026-10-07,qa2,{CARD},greeting_warmth,5\n", "utf-8")
    import_reviews(store, second)
    assert _by_agent(store).get("bob", {}).get("service_score") is None
