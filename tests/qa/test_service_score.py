"""service_score (IQS, 0–100) and spot_check_pass_rate from imported reviews, by hand (qa.md: review
score = mean of the normalised categories, passes at ≥ 80 %). A second review of a session says
why: 复核 (recheck) replaces the first score, 校准 (calibration) counts toward none, and one that
says neither is refused — a score never moves unannounced."""

from __future__ import annotations

import pytest

from kaohe.engine import compute_kpis
from kaohe.imports import import_file
from kaohe.qa.reviews import import_reviews
from kaohe.store import Store

HEAD = "质检ID,会话,店铺,客服,日期,质检员,评分表,项目,得分,复核类型\n"
CARD = "kaohe2_attitude"  # every category 1–5, equal weights: 5 → 100 %, 4 → 75 %, 3 → 50 %
ROWS = f"""\
r1,s1,A,alice,2026-10-05,qa1,{CARD},greeting_warmth,5,
r1,s1,A,alice,2026-10-05,qa1,{CARD},reply_timeliness,4,
r2,s2,A,alice,2026-10-06,qa1,{CARD},greeting_warmth,3,
r2,s2,A,alice,2026-10-06,qa1,{CARD},reply_timeliness,3,
r3,s3,A,alice,2026-10-07,qa1,{CARD},greeting_warmth,5,
r4,s3,A,alice,2026-10-07,qa2,{CARD},greeting_warmth,1,校准
r5,s4,A,bob,2026-10-07,qa1,{CARD},greeting_warmth,4,
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
        "SELECT review_id, day::VARCHAR, score, passed, intent FROM qa_review_scores "
        "ORDER BY review_id"
    ).fetchall()
    assert rows == [
        ("r1", "2026-10-05", 0.875, True, None),
        ("r2", "2026-10-06", 0.5, False, None),
        ("r3", "2026-10-07", 1.0, True, None),
        ("r4", "2026-10-07", 0.0, False, "calibration"),
        ("r5", "2026-10-07", 0.75, False, None),
    ]


@pytest.mark.parametrize("use_facts", [True, False])
def test_iqs_and_pass_rate_leave_calibration_out(store, tmp_path, use_facts):
    path = tmp_path / "reviews.csv"
    path.write_text(HEAD + ROWS, "utf-8")
    import_reviews(store, path)
    rows = _by_agent(store, use_facts=use_facts)
    # alice: r1 0.875, r2 0.5 and r3 1.0 count; r4 is qa2's 校准 of s3 and counts toward none
    assert rows["alice"]["service_score"] == pytest.approx(100 * (0.875 + 0.5 + 1.0) / 3)
    assert rows["alice"]["spot_check_pass_rate"] == pytest.approx(2 / 3)
    # bob: one review at 75 % — below the 80 % pass line
    assert rows["bob"]["service_score"] == pytest.approx(75.0)
    assert rows["bob"]["spot_check_pass_rate"] == 0.0


def test_generic_import_scores_reviews_too(store, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(HEAD + ROWS, "utf-8")
    import_file(store, path, table="qa_reviews")
    assert store.count("qa_review_scores") == 5


def _second_review(store, tmp_path, intent):
    """qa2 reviews bob's s4 again (5 → 100 %) with `intent` ("" for none)."""
    path = tmp_path / f"second{intent}.csv"
    path.write_text(HEAD + f"r6,s4,A,bob,2026-10-08,qa2,{CARD},greeting_warmth,5,{intent}\n")
    return import_reviews(store, path)


@pytest.fixture
def reviewed(store, tmp_path):
    first = tmp_path / "reviews.csv"
    first.write_text(HEAD + ROWS, "utf-8")
    import_reviews(store, first)
    return store


def test_a_second_review_without_intent_is_refused(reviewed, tmp_path):
    result = _second_review(reviewed, tmp_path, "")
    assert (result.inserted, result.rejected) == (0, 1)
    [(column, value, reason)] = reviewed.con.execute(
        'SELECT "column", value, reason FROM quarantine'
    ).fetchall()
    assert (column, value) == ("intent", "r5") and "复核" in reason and "校准" in reason
    assert _by_agent(reviewed, use_facts=False)["bob"]["service_score"] == 75.0  # unchanged


def test_a_recheck_replaces_the_first_score(reviewed, tmp_path):
    assert _by_agent(reviewed)["bob"]["service_score"] == pytest.approx(75.0)  # facts built
    assert _second_review(reviewed, tmp_path, "复核").rejected == 0
    # the facts follow: bob's IQS is the recheck's 100 %, r5 is kept, marked replaced
    assert _by_agent(reviewed)["bob"]["service_score"] == pytest.approx(100.0)
    assert _by_agent(reviewed, use_facts=False)["bob"]["spot_check_pass_rate"] == 1.0
    assert reviewed.con.execute(
        "SELECT superseded_by FROM qa_review_scores WHERE review_id = 'r5'"
    ).fetchone() == ("r6",)


def test_a_calibration_review_counts_toward_none(reviewed, tmp_path):
    from kaohe.qa.review import calibration_spread, review_scores, stored_reviews

    assert _second_review(reviewed, tmp_path, "校准").rejected == 0
    assert _by_agent(reviewed, use_facts=False)["bob"]["service_score"] == 75.0
    spread = calibration_spread(review_scores(stored_reviews(reviewed.con)))
    assert dict(zip(spread["session"], spread["spread"], strict=True))["s4"] == pytest.approx(0.25)


def test_stores_from_before_intents_keep_their_calibration_pairs(tmp_path):
    from kaohe.store import migrate

    path = tmp_path / "old.duckdb"
    with Store(path) as old:
        import_reviews(old, _write(tmp_path, ROWS))
        old.con.execute("UPDATE qa_reviews SET intent = NULL")  # as version 8 stored them
        old.con.execute("UPDATE qa_review_scores SET intent = NULL, superseded_by = NULL")
        old.con.execute("DELETE FROM schema_version WHERE version >= 9")  # back to 8
        migrate(old.con)
        marked = old.con.execute(
            "SELECT DISTINCT review_id FROM qa_review_scores WHERE intent = 'calibration' "
            "ORDER BY 1"
        ).fetchall()
    assert marked == [("r3",), ("r4",)]  # the pair on s3, left out of every score as before


def _write(tmp_path, rows):
    path = tmp_path / "reviews.csv"
    path.write_text(HEAD + rows, "utf-8")
    return path
