"""Choosing sessions for manual review (抽检): N per stratum, reproducible, with a reserved
share for sessions the automatic rules flagged (spec: qa.md, Manual review → Sampling).

A stratum is an agent (and shop, with ``by_shop``) in one cycle (day, week or month). Inside a
stratum, ``round(n × flagged_share)`` sessions are drawn from the flagged ones first; the rest
from every session left. Both draws take days in turn (stratified by day). The draw order is
a keyed hash of (seed, session id): the same seed gives the same sample whatever the row order
of the input, and the hash is stable across library versions (unlike polars' ``hash``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from typing import Literal

import polars as pl

from kaohe.errors import UsageError

Cycle = Literal["day", "week", "month"]
CYCLE_TRUNC: dict[str, str] = {"day": "1d", "week": "1w", "month": "1mo"}
WHY_FLAGGED = "flagged"
WHY_RANDOM = "random"


def _draw_key(seed: int, session: str) -> int:
    digest = hashlib.blake2b(
        session.encode("utf-8"), digest_size=8, key=str(seed).encode("utf-8")
    ).digest()
    return int.from_bytes(digest, "big")


def _frame(sessions: pl.DataFrame | Iterable[Mapping[str, object]]) -> pl.DataFrame:
    frame = (
        sessions
        if isinstance(sessions, pl.DataFrame)
        else pl.DataFrame(list(sessions), infer_schema_length=None)
    )
    missing = [c for c in ("session", "agent") if c not in frame.columns]
    if missing:
        raise UsageError(f"sessions to sample need column(s) {', '.join(missing)}")
    extra = {
        "shop": pl.lit(None, pl.String),
        "flagged": pl.lit(False),
        "day": pl.lit(None, pl.Date),
    }
    frame = frame.with_columns(v.alias(k) for k, v in extra.items() if k not in frame.columns)
    return frame.with_columns(
        pl.col("session").cast(pl.String),
        pl.col("flagged").cast(pl.Boolean).fill_null(False),
        pl.col("day").cast(pl.Date)
        if frame.schema["day"] != pl.String
        else pl.col("day").str.to_date(strict=False),
    )


def _spread(frame: pl.DataFrame, strata: list[str]) -> pl.DataFrame:
    """Order a pool so that taking its first k rows per stratum visits days in turn."""
    turn = pl.col("_key").rank("ordinal").over([*strata, "day"]).alias("_turn")
    return frame.with_columns(turn).sort([*strata, "_turn", "_key"])


def sample_sessions(
    sessions: pl.DataFrame | Iterable[Mapping[str, object]],
    n: int,
    *,
    seed: int,
    flagged_share: float = 0.25,
    cycle: Cycle | None = None,
    by_shop: bool = False,
) -> pl.DataFrame:
    """The chosen sessions: session, agent, shop, period, day, flagged and ``why`` (flagged:
    drawn from the reserved share; random: the stratified draw), in stratum order.

    Input: a frame or list of dicts with ``session`` and ``agent``; optional ``shop``,
    ``flagged`` (bool) and ``day`` (date, or time). ``cycle`` needs ``day``; without it the
    whole input is one cycle."""
    if n < 0 or not 0 <= flagged_share <= 1:
        raise UsageError("sampling needs n ≥ 0 and 0 ≤ flagged_share ≤ 1")
    frame = _frame(sessions).unique("session", keep="first", maintain_order=True)
    period = pl.col("day").dt.truncate(CYCLE_TRUNC[cycle]) if cycle else pl.lit(None, pl.Date)
    keys = [_draw_key(seed, s) for s in frame["session"].to_list()]
    frame = frame.with_columns(period.alias("period"), pl.Series("_key", keys, pl.UInt64))
    strata = ["agent", "shop", "period"] if by_shop else ["agent", "period"]
    reserved = math.floor(n * flagged_share + 0.5)
    flagged = _spread(frame.filter(pl.col("flagged")), strata)
    first = flagged.filter(pl.int_range(pl.len()).over(strata) < reserved)
    taken = first.group_by(strata).agg(pl.len().alias("_taken"))
    rest = _spread(frame.join(first, on="session", how="anti"), strata)
    rest = rest.join(taken, on=strata, how="left", nulls_equal=True)
    rest = rest.filter(pl.int_range(pl.len()).over(strata) < n - pl.col("_taken").fill_null(0))
    chosen = pl.concat(
        [
            first.with_columns(pl.lit(WHY_FLAGGED).alias("why")),
            rest.drop("_taken").with_columns(pl.lit(WHY_RANDOM).alias("why")),
        ]
    )
    cols = ["session", "agent", "shop", "period", "day", "flagged", "why"]
    return chosen.sort([*strata, "why", "_turn", "_key"], nulls_last=True).select(cols)
