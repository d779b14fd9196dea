import pytest

from kaohe.ingest.validate import R_MISSING, R_NUMBER
from kaohe.qa.review import parse_scorecard_text, review_scores, stored_reviews
from kaohe.qa.reviews import R_ITEM, R_NA, R_REVIEW, R_SCALE, R_SCORECARD, import_reviews
from kaohe.store import Store

HEAD = "质检ID,会话,店铺,客服,日期,质检员,评分表,项目,得分,备注\n"
ROWS = """\
r1,s1,A,alice,2026-01-05,qa1,考核表2 服务态度,问候语热情度,5,
r1,s1,A,alice,2026-01-05,qa1,kaohe2_attitude,reply_timeliness,4,
r2,s2,A,bob,2026-01-05,qa1,kaohe2_attitude,greeting_warmth,7,
r2,s2,A,bob,2026-01-05,qa1,kaohe2_attitude,farewell_warmth,3,
r3,s3,A,bob,2026-01-05,qa1,nope,greeting_warmth,3,
r4,s4,A,bob,2026-01-05,qa1,kaohe2_attitude,不存在,3,
r5,s5,A,bob,2026-01-05,qa1,kaohe2_attitude,greeting_warmth,abc,
r5,s5,A,bob,2026-01-05,qa1,kaohe2_attitude,farewell_warmth,4,
r6,s6,A,,2026-01-05,qa1,kaohe2_attitude,farewell_warmth,4,
"""


@pytest.fixture
def store():
    with Store() as s:
        yield s


def _quarantine(store):
    return store.con.execute(
        'SELECT file, "row", "column", value, reason FROM quarantine ORDER BY "row"'
    ).fetchall()


def test_good_rows_in_bad_rows_quarantined(store, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(HEAD + ROWS, "utf-8")
    result = import_reviews(store, path)
    assert (result.read, result.inserted, result.rejected) == (9, 2, 7)
    stored = store.con.execute(
        "SELECT review_id, scorecard, item, score FROM qa_reviews ORDER BY item"
    ).fetchall()
    assert stored == [
        ("r1", "kaohe2_attitude", "greeting_warmth", 5.0),
        ("r1", "kaohe2_attitude", "reply_timeliness", 4.0),
    ]
    f = str(path)
    assert _quarantine(store) == [
        (f, 4, "score", "7", R_SCALE),
        (f, 5, "review_id", "r2", R_REVIEW),
        (f, 6, "scorecard", "nope", R_SCORECARD),
        (f, 7, "item", "不存在", R_ITEM),
        (f, 8, "score", "abc", R_NUMBER),
        (f, 9, "review_id", "r5", R_REVIEW),
        (f, 10, "agent", None, R_MISSING),
    ]


def test_reimport_is_idempotent(store, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(HEAD + ROWS, "utf-8")
    import_reviews(store, path)
    again = import_reviews(store, path)
    assert (again.inserted, again.updated) == (0, 0)
    assert (store.count("qa_reviews"), store.count("quarantine")) == (2, 7)


def test_imported_reviews_score(store, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(HEAD + ROWS, "utf-8")
    import_reviews(store, path)
    scored = review_scores(stored_reviews(store.con))
    assert scored.select("review_id", "score", "passed", "calibration").rows() == [
        ("r1", 0.875, True, False)
    ]  # (100 % + 75 %) / 2


def test_na_only_where_the_category_allows_it(store, tmp_path):
    card = parse_scorecard_text(
        "id: strict\nname: 严格\ncategories:\n  - {id: a, name: 甲, scale: 1-5, allow_na: false}\n"
        "  - {id: b, name: 乙, scale: 1-5}\n",
        "strict.yaml",
    )
    path = tmp_path / "na.csv"
    path.write_text(
        HEAD + "x1,s1,A,al,2026-01-05,qa1,strict,乙,,\nx2,s2,A,al,2026-01-05,qa1,strict,甲,,\n",
        "utf-8",
    )
    result = import_reviews(store, path, scorecards=[card])
    assert result.inserted == 1
    assert [(r[1], r[2], r[4]) for r in _quarantine(store)] == [(3, "score", R_NA)]


def test_refresh_only_the_named_sessions(store, tmp_path):
    from kaohe.qa.reviews import refresh_review_scores

    path = tmp_path / "reviews.csv"
    path.write_text(HEAD + ROWS, "utf-8")
    import_reviews(store, path)
    session = store.con.execute("SELECT session FROM qa_review_scores").fetchone()[0]
    assert refresh_review_scores(store, sessions=["no/such/session"]) == 0
    assert refresh_review_scores(store, sessions=[session]) == 1
    assert refresh_review_scores(store) == 1  # all of them: the one scored review


def test_scores_refreshed_again_beside_a_readers_older_snapshot(store, tmp_path):
    # the server's readers hold snapshots while pages compute; DuckDB refuses a second delete
    # and insert of a review id beside one, so a score is replaced in place
    from kaohe.qa.reviews import refresh_review_scores

    path = tmp_path / "reviews.csv"
    path.write_text(HEAD + ROWS, "utf-8")
    import_reviews(store, path)
    reader = store.con.cursor()
    reader.execute("BEGIN")
    before = reader.execute("SELECT review_id, score FROM qa_review_scores").fetchall()
    for _ in range(3):
        assert refresh_review_scores(store) == 1
    assert store.con.execute("SELECT review_id, score FROM qa_review_scores").fetchall() == before
    reader.execute("ROLLBACK")
