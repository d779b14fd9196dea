"""The demo's simulated reviews: every sampled session rated on each category, the first one by
both reviewers (a calibration pair that counts toward no score)."""

from datetime import date

import polars as pl

from kaohe.demo.reviews import REVIEWERS, review_rows

SAMPLE = pl.DataFrame(
    {
        "session": ["s/b1/a1/x", "s/b2/a1/y", "s/b3/a2/z"],
        "agent": ["a1", "a1", "a2"],
        "shop": ["s"] * 3,
        "day": [date(2026, 10, 5)] * 3,
        "flagged": [True, False, False],
    }
)


def test_one_calibration_pair_and_a_rating_per_item():
    rows = pl.DataFrame(review_rows(SAMPLE, ["greeting", "farewell"], seed=3))
    per_review = (
        rows.group_by("review_id")
        .agg(pl.len(), pl.col("reviewer").first(), pl.col("session").first())
        .sort("review_id")
    )
    # 3 sessions + 1 second review of the first = 4 reviews × 2 items
    assert per_review["len"].to_list() == [2, 2, 2, 2]
    first = per_review.filter(pl.col("session") == "s/b1/a1/x")
    assert sorted(first["reviewer"].to_list()) == sorted(REVIEWERS)
    assert rows["score"].is_between(1, 5).all()
    assert review_rows(SAMPLE, ["greeting"], seed=3) == review_rows(SAMPLE, ["greeting"], seed=3)
