"""Manual review (人工抽检): scorecards as data and review scoring (spec: qa.md).

A scorecard (``kaohe/qa/scorecards/*.yaml`` or a user's YAML) lists rated categories, each with
a scale, a weight, a ``critical`` flag and whether N/A is allowed; ``items`` are the points a
reviewer checks inside a category (the 要求 of seed 001). Scoring, exactly as the spec:

* category score = (selected − min) / (max − min);
* review score = weighted mean of the rated categories (N/A drops out);
* a critical category below 50 % makes the review score 0;
* IQS (``service_score``) = mean review score; a review passes at ≥ 80 %
  (``spot_check_pass_rate`` = passed reviews / scored reviews);
* a second review of a session says why (``intent``): 复核 (``recheck``) replaces the
  earlier score — the earlier review is kept, marked ``superseded_by`` the recheck, and counts
  no more; 校准 (``calibration``) counts toward neither and shows the reviewers' spread with the
  counted review instead. A second review without an intent is refused where it is entered
  (import, web form): a score never changes without the reviewer saying so.

Scores are fractions (0.75 = 75 %), like every ratio metric of the engine.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kaohe.datafile import FieldProblem, parse_model
from kaohe.errors import UsageError

PASS_LINE = 0.8
CRITICAL_LINE = 0.5
EPS = 1e-9  # a weighted mean of exact 80 % must not fail on float rounding
SCALE_NAMES: dict[str, tuple[float, float]] = {
    "pass_fail": (0, 1),
    "1-5": (1, 5),
    "0-10": (0, 10),
    "0-100": (0, 100),
}
PRESET_DIR = Path(__file__).parent / "scorecards"


class Scale(BaseModel):
    """The values a reviewer may select: min..max in steps of ``step`` (None: any value)."""

    model_config = ConfigDict(extra="forbid")
    min: float
    max: float
    step: float | None = Field(1, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: object) -> object:
        if isinstance(data, str):
            if data not in SCALE_NAMES:
                raise ValueError(
                    f"unknown scale {data!r} (known: {', '.join(SCALE_NAMES)}, "
                    "or {min, max, step})"
                )
            low, high = SCALE_NAMES[data]
            return {"min": low, "max": high, "step": None if data == "0-100" else 1}
        return data

    @model_validator(mode="after")
    def _check(self) -> Scale:
        if self.max <= self.min:
            raise FieldProblem(("max",), "max must be above min")
        return self

    def problem(self, value: float) -> str | None:
        """Why ``value`` cannot be selected on this scale, or None."""
        if not self.min - EPS <= value <= self.max + EPS:
            return f"outside the scale {self.min:g}–{self.max:g}"
        if self.step is not None:
            steps = (value - self.min) / self.step
            if abs(steps - round(steps)) > 1e-6:
                return f"not a step of {self.step:g} from {self.min:g}"
        return None

    def normalise(self, value: float) -> float:
        return (value - self.min) / (self.max - self.min)


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    scale: Scale
    weight: float = Field(1, gt=0)
    critical: bool = False
    allow_na: bool = True
    items: list[str] = Field(default_factory=list, description="what the reviewer checks")


class Scorecard(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    source: str = ""
    description: str = ""
    pass_line: float = Field(PASS_LINE, gt=0, le=1)
    categories: list[Category] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Scorecard:
        seen: set[str] = set()
        for i, cat in enumerate(self.categories):
            for key in {cat.id, cat.name}:
                if key in seen:
                    raise FieldProblem(("categories", i, "id"), f"duplicate category {key!r}")
            seen |= {cat.id, cat.name}
        return self

    def category(self, key: str) -> Category | None:
        """A category by id or by its Chinese name."""
        return next((c for c in self.categories if key in (c.id, c.name)), None)


# ---------------------------------------------------------------- loading


def parse_scorecard_text(text: str, file: str) -> Scorecard:
    """Validate one scorecard YAML; errors name file, line and field."""
    what = "a scorecard must be a mapping (id, name, categories)"
    return parse_model(Scorecard, text, file, what)[0]


@functools.cache
def _presets() -> tuple[Scorecard, ...]:
    files = sorted(PRESET_DIR.glob("*.yaml"))
    return tuple(
        parse_scorecard_text(f.read_text("utf-8"), f"kaohe/qa/scorecards/{f.name}") for f in files
    )


def list_scorecards() -> list[Scorecard]:
    """Every shipped preset scorecard, by id."""
    return sorted((c.model_copy(deep=True) for c in _presets()), key=lambda c: c.id)


def load_scorecard(id_or_path: str) -> Scorecard:
    """A preset by id (or its name, 考核1 岗位技能) or a user's scorecard YAML."""
    card = next((c for c in list_scorecards() if id_or_path in (c.id, c.name)), None)
    if card is not None:
        return card
    path = Path(id_or_path)
    if path.suffix.lower() not in (".yaml", ".yml") and not path.exists():
        known = ", ".join(c.id for c in list_scorecards())
        raise UsageError(f"unknown scorecard {id_or_path!r} (known: {known}, or a .yaml file)")
    if not path.is_file():
        raise UsageError(f"scorecard file not found: {id_or_path}")
    return parse_scorecard_text(path.read_text("utf-8"), str(path))


# ---------------------------------------------------------------- scoring


def score_review(card: Scorecard, ratings: Mapping[str, float | None]) -> float | None:
    """The review score (0–1) from selected values by category id or name; None or a missing
    category is N/A. None when every category is N/A (the review has no score)."""
    unknown = [k for k in ratings if card.category(k) is None]
    if unknown:
        raise UsageError(f"scorecard {card.id} has no category {', '.join(unknown)}")
    total = weights = 0.0
    for cat in card.categories:
        value = ratings.get(cat.id, ratings.get(cat.name))
        if value is None:
            continue
        problem = cat.scale.problem(value)
        if problem:
            raise UsageError(f"{cat.id} = {value:g}: {problem}")
        score = cat.scale.normalise(value)
        if cat.critical and score < CRITICAL_LINE - EPS:
            return 0.0
        total, weights = total + cat.weight * score, weights + cat.weight
    return total / weights if weights else None


def review_passes(score: float, pass_line: float = PASS_LINE) -> bool:
    return score >= pass_line - EPS


@dataclass(frozen=True)
class IQS:
    service_score: float | None  # mean review score
    spot_check_pass_rate: float | None  # reviews ≥ pass line / scored reviews
    reviews: int  # scored, non-calibration reviews
    passed: int


def iqs(scores: Iterable[float | None], pass_line: float = PASS_LINE) -> IQS:
    """IQS over review scores; unscored (all N/A) reviews drop out. Pass calibration reviews
    out beforehand (`review_scores` marks them)."""
    kept = [s for s in scores if s is not None and not math.isnan(s)]
    passed = sum(review_passes(s, pass_line) for s in kept)
    if not kept:
        return IQS(None, None, 0, 0)
    return IQS(sum(kept) / len(kept), passed / len(kept), len(kept), passed)


# ---------------------------------------------------------------- stored reviews

REVIEW_COLUMNS = (
    "review_id",
    "session",
    "shop",
    "agent",
    "date",
    "reviewer",
    "scorecard",
    "intent",
)
FIRST, RECHECK, CALIBRATION = "first", "recheck", "calibration"


def rating_value(
    card: Scorecard, item: str, score: float | None, passed: bool | None
) -> float | None:
    """The selected value of one qa_reviews row: ``score``, else a pass/fail verdict as the
    scale's max/min; neither is N/A."""
    if score is not None and not math.isnan(score):
        return score
    cat = card.category(item)
    if passed is None or cat is None:
        return None
    return cat.scale.max if passed else cat.scale.min


def review_scores(
    rows: pl.DataFrame,
    cards: Mapping[str, Scorecard] | None = None,
) -> pl.DataFrame:
    """One row per review from qa_reviews rows (one per category): the review columns plus
    ``score`` (None when all N/A), ``passed``, ``calibration`` (a 校准 review) and
    ``superseded_by`` (the 复核 that replaced it; see `counted_review`). Unknown scorecards
    raise UsageError."""
    cards = dict(cards or {})
    out: list[dict[str, object]] = []
    for key, group in rows.group_by("review_id", maintain_order=True):
        first = group.row(0, named=True)
        card_id = first.get("scorecard")
        card = cards.get(card_id) if card_id in cards else load_scorecard(str(card_id))
        cards[str(card_id)] = card
        ratings = {
            r["item"]: rating_value(card, r["item"], r.get("score"), r.get("passed"))
            for r in group.iter_rows(named=True)
            if card.category(str(r["item"]))
        }
        score = score_review(card, ratings)
        row = {c: first.get(c) for c in REVIEW_COLUMNS}
        row.update(
            _when=first.get("reviewed_at") or _midnight(first.get("date")),
            review_id=key[0],
            score=score,
            pass_line=card.pass_line,
            passed=None if score is None else review_passes(score, card.pass_line),
        )
        out.append(row)
    if not out:
        return pl.DataFrame(
            schema={
                **dict.fromkeys(REVIEW_COLUMNS, pl.String),
                "score": pl.Float64,
                "pass_line": pl.Float64,
                "passed": pl.Boolean,
                "calibration": pl.Boolean,
                "superseded_by": pl.String,
            }
        )
    _mark_intents(out)
    return pl.DataFrame(out, infer_schema_length=None).drop("_when")


def _midnight(day: Any) -> datetime | None:
    return datetime.combine(day, datetime.min.time()) if isinstance(day, date) else None


def counted_review(reviews: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Of one session's reviews (dicts with review_id, intent and `_when`), the one whose score
    counts: the latest 复核, else the first review; calibration reviews never count."""
    scored = [r for r in reviews if r.get("intent") != CALIBRATION]
    if not scored:
        return None
    order = sorted(scored, key=lambda r: (r["_when"] or datetime.min, str(r["review_id"])))
    rechecks = [r for r in order if r.get("intent") == RECHECK]
    return rechecks[-1] if rechecks else order[0]


def _mark_intents(reviews: list[dict[str, Any]]) -> None:
    """Set `calibration` and `superseded_by` on every review (in place)."""
    by_session: dict[str, list[dict[str, Any]]] = {}
    for review in reviews:
        review["calibration"] = review.get("intent") == CALIBRATION
        review["superseded_by"] = None
        if review.get("session") is not None:
            by_session.setdefault(str(review["session"]), []).append(review)
    for group in by_session.values():
        counted = counted_review(group)
        for review in group:
            if counted is not None and review is not counted and not review["calibration"]:
                review["superseded_by"] = counted["review_id"]


def agent_iqs(scored: pl.DataFrame, by: tuple[str, ...] = ("agent",)) -> pl.DataFrame:
    """service_score, spot_check_pass_rate, reviews and passed per group; calibration,
    superseded and unscored reviews left out (input: `review_scores`)."""
    counted = scored.filter(
        ~pl.col("calibration") & pl.col("superseded_by").is_null() & pl.col("score").is_not_null()
    )
    return (
        counted.group_by(list(by), maintain_order=True)
        .agg(
            pl.col("score").mean().alias("service_score"),
            pl.col("passed").mean().alias("spot_check_pass_rate"),
            pl.len().alias("reviews"),
            pl.col("passed").sum().alias("passed"),
        )
        .sort(list(by))
    )


def calibration_spread(scored: pl.DataFrame) -> pl.DataFrame:
    """Per calibrated session (one with a 校准 review): the counted review and the calibration
    reviews' reviewers, min, max, spread (max − min) and mean score."""
    calibrated = scored.filter(pl.col("calibration"))["session"].unique().implode()
    cal = scored.filter(
        pl.col("session").is_in(calibrated)
        & pl.col("superseded_by").is_null()
        & pl.col("score").is_not_null()
    )
    return (
        cal.group_by("session", maintain_order=True)
        .agg(
            pl.col("reviewer").n_unique().alias("reviewers"),
            pl.col("score").min().alias("min"),
            pl.col("score").max().alias("max"),
            (pl.col("score").max() - pl.col("score").min()).alias("spread"),
            pl.col("score").mean().alias("mean"),
        )
        .sort("session")
    )


def stored_reviews(
    con: duckdb.DuckDBPyConnection, sessions: list[str] | None = None
) -> pl.DataFrame:
    """The qa_reviews rows of a store connection as a Polars frame; with `sessions`, only the
    reviews of those sessions."""
    if sessions is None:
        return con.execute("SELECT * FROM qa_reviews ORDER BY review_id, item").pl()
    return con.execute(
        "SELECT * FROM qa_reviews WHERE session IN (SELECT unnest(?)) ORDER BY review_id, item",
        [list(sessions)],
    ).pl()
