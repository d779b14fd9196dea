"""Importing manual reviews (qa_reviews) from a CSV or spreadsheet: one row per rated category.

The generic import does the reading, header mapping, typing and the write in one transaction
(kaohe.ingest.load); this adds the checks a review needs against its scorecard: the scorecard
is known, the item is one of its categories, the score lies on the category's scale and N/A
only where the category allows it. Scorecard and item are stored as ids. A review with one bad
row is quarantined whole: a partial review would score wrong. Re-importing a file changes
nothing (rows upsert on review_id + item; quarantine entries are keyed by file and row).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import polars as pl

from kaohe import schema
from kaohe.ingest.load import ImportResult, TableRules, _write_all, check_columns, map_frame
from kaohe.ingest.readers import read_raw
from kaohe.ingest.validate import R_MISSING, REJECT_SCHEMA, validate
from kaohe.qa.review import (
    CALIBRATION,
    EPS,
    FIRST,
    Scorecard,
    list_scorecards,
    review_scores,
    stored_reviews,
)
from kaohe.store import Store

ROW = "_row"
R_SCORECARD = "未知的评分表 / unknown scorecard"
R_ITEM = "评分表中没有该项目 / item not on the scorecard"
R_SCALE = "分值不在量表上 / score not on the category's scale"
R_NA = "该项目不允许不适用 / N/A not allowed for this item"
R_REVIEW = "同一抽检的其他行被拒 / another row of this review was rejected"
R_INTENT = (
    "该会话已有抽检（值为其质检ID）：请在「复核类型」列填 复核（取代原评分）或 校准（不计分） / "
    "session already reviewed (the value is that review's id): set 复核类型 to 复核 (recheck, "
    "replaces that score) or 校准 (calibration, counts toward none)"
)
NEEDED = ("agent", "scorecard", "item")  # optional in the table, needed to score a review


def category_table(cards: Iterable[Scorecard]) -> pl.DataFrame:
    """One row per (scorecard key, item key): ids and names both resolve to the ids."""
    rows = [
        {
            "_card_key": ck,
            "_item_key": ik,
            "_card": card.id,
            "_item": cat.id,
            "_min": cat.scale.min,
            "_max": cat.scale.max,
            "_step": cat.scale.step,
            "_na": cat.allow_na,
        }
        for card in cards
        for ck in {card.id, card.name}
        for cat in card.categories
        for ik in {cat.id, cat.name}
    ]
    return pl.DataFrame(
        rows,
        schema={
            "_card_key": pl.String,
            "_item_key": pl.String,
            "_card": pl.String,
            "_item": pl.String,
            "_min": pl.Float64,
            "_max": pl.Float64,
            "_step": pl.Float64,
            "_na": pl.Boolean,
        },
    )


def _reason(frame: pl.DataFrame) -> pl.Expr:
    """The first failing check of a typed row, with its column."""
    score = pl.col("score")
    steps = (score - pl.col("_min")) / pl.col("_step")
    off_step = pl.col("_step").is_not_null() & ((steps - steps.round()).abs() > 1e-6)
    outside = (score < pl.col("_min") - EPS) | (score > pl.col("_max") + EPS) | off_step
    na = (
        score.is_null() & pl.col("passed").is_null()
        if "passed" in frame.columns
        else score.is_null()
    )
    checks = [(pl.col(c).is_null(), c, R_MISSING) for c in NEEDED]
    checks += [
        (pl.col("_card_known").not_(), "scorecard", R_SCORECARD),
        (pl.col("_card").is_null(), "item", R_ITEM),
        (outside.fill_null(False), "score", R_SCALE),
        (na & pl.col("_na").not_(), "score", R_NA),
    ]
    expr = pl.struct(column=pl.lit(None, pl.String), reason=pl.lit(None, pl.String))
    for failed, column, reason in reversed(checks):
        expr = (
            pl.when(failed)
            .then(pl.struct(column=pl.lit(column), reason=pl.lit(reason)))
            .otherwise(expr)
        )
    return expr.alias("_bad")


def check_reviews(
    typed: pl.DataFrame, cards: Iterable[Scorecard], spoiled: Iterable[str] = ()
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows that pass with scorecard and item as ids, rejects[row, column, value, reason]).
    ``spoiled``: review ids with a row rejected earlier (their other rows are rejected too)."""
    cats = category_table(cards)
    frame = typed.with_columns(
        pl.lit(None, pl.String).alias(c) for c in NEEDED if c not in typed.columns
    )
    if "score" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("score"))
    known = cats["_card_key"].unique().implode()
    frame = frame.with_columns(pl.col("scorecard").is_in(known).alias("_card_known"))
    frame = frame.join(
        cats,
        left_on=["scorecard", "item"],
        right_on=["_card_key", "_item_key"],
        how="left",
        maintain_order="left",
    ).with_columns(_reason(frame))
    bad = frame.filter(pl.col("_bad").struct.field("reason").is_not_null()).unnest("_bad")
    rejects = bad.select(pl.col(ROW).alias("row"), "column", _value(bad), "reason")
    bad_ids = pl.Series([*bad["review_id"], *spoiled], dtype=pl.String).implode()
    others = frame.filter(
        pl.col("review_id").is_in(bad_ids) & pl.col("_bad").struct.field("reason").is_null()
    )
    rejects = pl.concat(
        [
            rejects,
            others.select(
                pl.col(ROW).alias("row"),
                pl.lit("review_id").alias("column"),
                pl.col("review_id").alias("value"),
                pl.lit(R_REVIEW).alias("reason"),
            ),
        ]
    )
    good = frame.filter(~pl.col("review_id").is_in(bad_ids))
    good = good.with_columns(pl.col("_card").alias("scorecard"), pl.col("_item").alias("item"))
    return good.select(typed.columns), rejects.cast(REJECT_SCHEMA).sort("row", "column")


def _cell(value: object) -> str | None:
    if value is None:
        return None
    return f"{value:g}" if isinstance(value, float) else str(value)


def _value(bad: pl.DataFrame) -> pl.Series:
    """The offending cell of each reject, as text."""
    cells = [_cell(row[row["column"]]) for row in bad.iter_rows(named=True)]
    return pl.Series("value", cells, pl.String)


def import_reviews(
    store: Store,
    path: str | Path,
    scorecards: Iterable[Scorecard] = (),
    zone: str = "Asia/Shanghai",
) -> ImportResult:
    """Import one review file into qa_reviews in one transaction; bad rows go to quarantine
    with file, row, column and reason. ``scorecards`` add user cards to the presets."""
    scorecards = list(scorecards)
    raw = read_raw(path)
    tbl, preset_id, frame = map_frame(raw, "qa_reviews", None, None, None)
    check_columns(tbl, frame, raw.path)
    typed, rejects = validate(tbl, frame, zone)
    rejected = frame.filter(pl.col(ROW).cast(pl.Int64).is_in(rejects["row"].implode()))
    spoiled = (
        rejected["review_id"].str.strip_chars().drop_nulls().to_list()
        if "review_id" in frame.columns
        else []
    )
    cards = {c.id: c for c in [*list_scorecards(), *scorecards]}  # a user's card wins
    typed, review_rejects = check_reviews(typed, cards.values(), spoiled)
    rejects = pl.concat([rejects, review_rejects]).sort("row", "column")
    result = ImportResult(
        raw.path, tbl.name, preset_id, raw.sha256, frame.height, 0, 0, rejects["row"].n_unique()
    )
    with store.transaction() as con:
        _write_all(con, schema.QA_REVIEWS, raw, typed, rejects, result, review_rules(scorecards))
    return result


def review_rules(scorecards: Iterable[Scorecard] = ()) -> TableRules:
    """The rules every import of qa_reviews runs in its transaction: a second review of a
    session must say 复核 or 校准 (hold_unmarked_rereviews), and the reviews are scored on
    the preset scorecards plus `scorecards` for the metrics (refresh_review_scores)."""
    cards = list(scorecards)
    return TableRules(
        check=hold_unmarked_rereviews, after=lambda con: refresh_review_scores(con, cards)
    )


SCORE_COLUMNS = (
    "review_id",
    "session",
    "shop",
    "agent",
    "day",
    "reviewer",
    "scorecard",
    "score",
    "pass_line",
    "passed",
    "intent",
    "superseded_by",
)


def hold_unmarked_rereviews(
    con: duckdb.DuckDBPyConnection, typed: pl.DataFrame, rejects: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Refuse a second review of a session that does not say why (复核 or 校准): a review of a
    session already reviewed — in the store or earlier in the same file — without an intent
    is rejected whole (R_INTENT, naming the earlier review), so no score moves unannounced.
    Re-importing a review (same review_id) is an update, not a second review."""
    if typed.is_empty() or "session" not in typed.columns:
        return typed, rejects
    reviews = _reviews_of(typed)
    earlier = _stored_sessions(con, reviews)
    refused: dict[str, str] = {}
    for review in reviews.iter_rows(named=True):
        session, intent = review["session"], review["intent"]
        if session is None:
            continue
        if session in earlier and intent in (None, FIRST):
            refused[review["review_id"]] = earlier[session]
        elif intent != CALIBRATION:
            earlier.setdefault(session, review["review_id"])
    if not refused:
        return typed, rejects
    held = typed.filter(pl.col("review_id").is_in(list(refused)))
    new = held.select(
        pl.col(ROW).cast(pl.Int64).alias("row"),
        pl.lit("intent").alias("column"),
        pl.col("review_id").replace_strict(refused, return_dtype=pl.String).alias("value"),
        pl.lit(R_INTENT).alias("reason"),
    ).cast(REJECT_SCHEMA)
    kept = typed.filter(~pl.col("review_id").is_in(list(refused)))
    return kept, pl.concat([rejects, new]).sort("row", "column")


def _reviews_of(typed: pl.DataFrame) -> pl.DataFrame:
    """One row per review of an import: review_id, session, intent, in the order reviewed."""
    when = [c for c in ("reviewed_at", "date") if c in typed.columns]
    frame = typed.with_columns(
        pl.lit(None, pl.String).alias("intent") if "intent" not in typed.columns else []
    )
    order = [pl.col(c).min().alias(c) for c in when]
    return (
        frame.group_by("review_id", maintain_order=True)
        .agg(
            pl.col("session").drop_nulls().first(),
            pl.col("intent").drop_nulls().first(),
            pl.col(ROW).min().alias("_first_row"),
            *order,
        )
        .sort([*when, "_first_row"], nulls_last=True)
    )


def _stored_sessions(con: duckdb.DuckDBPyConnection, reviews: pl.DataFrame) -> dict[str, str]:
    """Session → a review already stored for it that counts toward a score (not a 校准 one,
    nor one of the reviews being imported)."""
    sessions = [s for s in reviews["session"].unique().to_list() if s is not None]
    if not sessions:
        return {}
    rows = con.execute(
        "SELECT session, min(review_id) FROM qa_reviews WHERE session IN (SELECT unnest(?)) "
        "AND review_id NOT IN (SELECT unnest(?)) AND coalesce(intent, '') <> 'calibration' "
        "GROUP BY session",
        [sessions, reviews["review_id"].to_list()],
    ).fetchall()
    return {str(session): str(review) for session, review in rows}


def refresh_review_scores(
    target: Store | duckdb.DuckDBPyConnection,
    scorecards: Iterable[Scorecard] = (),
    sessions: Iterable[str] | None = None,
) -> int:
    """Recompute qa_review_scores from qa_reviews for every review whose scorecard is known
    (the presets plus ``scorecards``); reviews on an unknown card keep their stored score.
    With `sessions`, only the reviews of those sessions (a review submitted on the web moves
    no other session's scores: whether a review counts is decided within its session).
    Returns the number of scored reviews written."""
    if isinstance(target, Store):
        # one transaction: a refresh's scores are written together
        with target.transaction() as con:
            return refresh_review_scores(con, scorecards, sessions)
    con = target
    cards = {c.id: c for c in [*list_scorecards(), *scorecards]}
    chosen = None if sessions is None else list(sessions)
    rows = stored_reviews(con, chosen).filter(pl.col("scorecard").is_in(list(cards)))
    if rows.is_empty():
        return 0
    days = rows.group_by("review_id").agg(
        pl.coalesce(pl.col("date"), pl.col("reviewed_at").dt.date()).max().alias("day")
    )
    frame = review_scores(rows, cards).join(days, on="review_id", how="left").select(SCORE_COLUMNS)
    con.register("_kaohe_review_scores", frame.to_arrow())
    try:
        # replaced in place, not deleted and inserted again: DuckDB 1.4 refuses to commit a
        # second delete-and-insert of a review id while a reader of the server still holds a
        # snapshot from before the first ("write-write conflict on key")
        con.execute(
            f"INSERT OR REPLACE INTO qa_review_scores ({', '.join(SCORE_COLUMNS)}) "
            f"SELECT {', '.join(SCORE_COLUMNS)} FROM _kaohe_review_scores"
        )
    finally:
        con.unregister("_kaohe_review_scores")
    return frame.height
