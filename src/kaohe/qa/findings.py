"""Automatic inspection over the store: run a rule pack's text and session rules on the
messages of a period and keep the findings (one row per message and rule) with their
session.

The messages, their agents, sessions, valid replies and rounds are the conversation model's
(:mod:`kaohe.engine.conversation`) for the resolved metric parameters, so the findings' sessions
are the ones `kaohe kpi` counts, a 快手 buyer row is judged with its assigned agent, and a
`session_gap` changes both together. The inspection reads every session overlapping the
period whole and keeps the findings dated inside it: a session crossing the month's edge is
judged once, as a whole, each finding stored by the run of its own month."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from kaohe.engine.conversation import Scope, block_params
from kaohe.engine.periods import Period
from kaohe.qa.behaviour import behaviour_findings, empty_findings
from kaohe.qa.process import process_findings_for_store
from kaohe.qa.rules import Pack
from kaohe.qa.scan import scan

if TYPE_CHECKING:
    from kaohe.store import Store

START_FORMAT = "%Y-%m-%d %H:%M:%S"
COLUMNS = (
    "pack",
    "msg_key",
    "shop",
    "platform",
    "buyer",
    "agent",
    "time",
    "session_start",
    "session_end",
    "session_gap",
    "rule",
    "category",
    "severity",
    "deduction",
    "span_start",
    "span_end",
    "matched",
)
SLICE_MESSAGES = 1_000_000  # messages of the period per slice of a sliced run (its memory)


@dataclass
class RunSummary:
    pack: str
    start: datetime
    end: datetime
    messages: int
    findings: int
    by_rule: dict[str, int]


def bounds(period: Period | None, store: Store) -> tuple[datetime, datetime]:
    """The period as [start, end) timestamps, or all messages."""
    if period is not None:
        return (
            datetime.combine(period.start, time.min),
            datetime.combine(period.end + timedelta(days=1), time.min),
        )
    lo, hi = store.con.execute("SELECT min(time), max(time) FROM messages").fetchone()
    if lo is None:
        return datetime(1970, 1, 1), datetime(1970, 1, 1)
    return lo, hi + timedelta(microseconds=1)


def inspected_params(params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The parameters the inspection reads the model with: the resolved ones, except that
    sessions an earlier run found to be advertising stay in (finding them is this run's job;
    left out, a re-run would delete the findings that filter them)."""
    return {**(params or {}), "exclude_ad_sessions": False}


def inspected_messages(
    store: Store, start: datetime, end: datetime, params: Mapping[str, Any] | None = None
) -> pl.DataFrame:
    """The conversation model of every session overlapping [start, end), as Polars."""
    from kaohe.engine.conversation import frame

    table = frame(store, inspected_params(params), Scope(start, end))
    return pl.from_arrow(table)  # type: ignore[return-value]


def slice_count(store: Store, start: datetime, end: datetime, size: int = SLICE_MESSAGES) -> int:
    """How many thread slices keep a slice near `size` messages of [start, end)."""
    row = store.con.execute(
        "SELECT count(*) FROM messages WHERE time >= ? AND time < ?", [start, end]
    ).fetchone()
    return max(1, -(-int(row[0] if row else 0) // size))


def model_slices(
    store: Store,
    start: datetime,
    end: datetime,
    params: Mapping[str, Any] | None = None,
    slices: int | None = None,
) -> Iterator[pl.DataFrame]:
    """:func:`inspected_messages` one slice of whole threads at a time
    (kaohe.engine.conversation.in_slice; `slices`: how many, by default ~1M messages each):
    the slices' rows together are the whole run's, and memory holds one slice's model. The
    engine builds each slice's blocks on that slice's threads alone."""
    from kaohe.engine.conversation import frame

    count = slices or slice_count(store, start, end)
    for index in range(count):
        scope = Scope(start, end, slice=(index, count))
        yield pl.from_arrow(frame(store, inspected_params(params), scope))  # type: ignore[misc]


def session_findings(
    store: Store,
    pack: Pack,
    start: datetime,
    end: datetime,
    params: Mapping[str, Any] | None = None,
    slices: int | None = None,
) -> pl.DataFrame:
    """The pack's session rules (:func:`kaohe.qa.behaviour.behaviour_findings`) on every
    session overlapping [start, end), judged slice by slice (:func:`model_slices`): the same
    rows as on the whole period's model at once (in another order), in a slice's memory. A
    session rule reads one thread's sessions and rounds only, so no finding needs two
    slices."""
    found = [empty_findings()]
    for messages in model_slices(store, start, end, params, slices):
        found.append(behaviour_findings(messages, pack))
        del messages  # not alive beside the next slice's model
    return pl.concat(found)


def _inside(start: datetime, end: datetime) -> pl.Expr:
    """`time` in [start, end), compared in microseconds (a millisecond column would cut the
    end bound of a whole-store run, max + 1 µs, down to the last message itself)."""
    return pl.col("time").cast(pl.Datetime("us")).is_between(start, end, closed="left")


def run_pack(
    store: Store,
    pack: Pack,
    period: Period | None = None,
    params: Mapping[str, Any] | None = None,
) -> RunSummary:
    """Scan the period's messages with the pack and replace its findings for that period in
    one transaction (a re-run gives the same rows, not more). `params`: the resolved metric
    parameters (session_gap, reply_horizon, auto_reply_counts, exclude_buyers …)."""
    start, end = bounds(period, store)
    messages = inspected_messages(store, start, end, params)
    inside = int(messages.select(_inside(start, end).sum()).item())
    context = messages.select("msg_key", "session_start", "session_end")
    texts = scan(messages, pack).join(context, on="msg_key", how="left")
    process = process_findings_for_store(store, messages, pack, start, end).join(
        context, on="msg_key", how="left"
    )
    found = pl.concat([texts, behaviour_findings(messages, pack), process], how="vertical_relaxed")
    found = found.filter(_inside(start, end))
    platforms = messages.select("msg_key", "platform")
    gap = block_params(inspected_params(params)).session_gap_ms / 60_000
    rows = found.join(platforms, on="msg_key", how="left").select(
        pl.lit(pack.id).alias("pack"),
        "msg_key",
        "shop",
        "platform",
        "buyer",
        "agent",
        "time",
        "session_start",
        "session_end",
        pl.lit(gap).alias("session_gap"),
        "rule",
        "category",
        "severity",
        "deduction",
        pl.col("start").cast(pl.Int32).alias("span_start"),
        pl.col("end").cast(pl.Int32).alias("span_end"),
        "matched",
    )
    with store.transaction() as con:
        con.execute(
            "DELETE FROM qa_findings WHERE pack = ? AND time >= ? AND time < ?",
            [pack.id, start, end],
        )
        if len(rows):
            con.register("_kaohe_new_findings", rows.to_arrow())
            try:
                con.execute(
                    f"INSERT INTO qa_findings ({', '.join(COLUMNS)}) "
                    f"SELECT {', '.join(COLUMNS)} FROM _kaohe_new_findings"
                )
            finally:
                con.unregister("_kaohe_new_findings")
    counts = rows.group_by("rule").len().sort("rule") if len(rows) else None
    by_rule = dict(counts.iter_rows()) if counts is not None else {}
    return RunSummary(pack.id, start, end, inside, len(rows), by_rule)


def session_id(shop: Any, buyer: Any, agent: Any, session_start: Any) -> str:
    """A readable, stable session key: shop/buyer/agent/start."""
    start = session_start.strftime(START_FORMAT) if session_start is not None else ""
    return f"{shop}/{buyer}/{agent or ''}/{start}"


def findings(
    store: Store,
    period: Period | None = None,
    agent: str | None = None,
    severity: str | None = None,
    pack: str | None = None,
    masked: bool = True,
) -> list[dict[str, Any]]:
    """Stored findings as cli.md shapes them; buyer data in the text and ids masked unless
    `masked` is False (a role allowed to see it)."""
    from kaohe.privacy import mask_buyer, mask_text

    where, args = ["1 = 1"], []
    if period is not None:
        start, end = bounds(period, store)
        where.append("f.time >= ? AND f.time < ?")
        args += [start, end]
    for column, value in (("f.agent", agent), ("f.severity", severity), ("f.pack", pack)):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    sql = (
        "SELECT f.shop, f.buyer, f.agent, f.session_start, f.msg_key, f.rule, f.category, "
        "f.severity, f.span_start, f.span_end, m.text FROM qa_findings f "
        "LEFT JOIN messages m ON m.msg_key = f.msg_key "
        f"WHERE {' AND '.join(where)} ORDER BY f.time, f.msg_key, f.rule"
    )
    out = []
    for shop, buyer, agent_, start, key, rule, category, sev, s0, s1, text in store.con.execute(
        sql, args
    ).fetchall():
        shown_buyer = mask_buyer(buyer) if masked else buyer
        out.append(
            {
                "session": session_id(shop, shown_buyer, agent_, start),
                "agent": agent_,
                "buyer": shown_buyer,
                "msg_id": key,
                "rule": rule,
                "category": category,
                "severity": sev,
                "span": None if s0 is None else [s0, s1],
                "text": mask_text(text) if masked else text,
            }
        )
    return out


def flagged_sessions(
    store: Store, period: Period | None = None, params: Mapping[str, Any] | None = None
) -> pl.DataFrame:
    """Every session of the period (the model's sessions with an agent and a buyer message —
    those `sessions` counts — started in the period) with whether a finding lies in it (for
    sampling): session (its readable id), agent, shop, flagged, day, buyer, session_start and
    key (a message of it, for links). A finding flags the session of its agent and thread
    holding the start of the session it was found in (as qa_auto_score counts it)."""
    from kaohe.engine.conversation import session_frame

    start, end = bounds(period, store)
    sessions = pl.from_arrow(session_frame(store, inspected_params(params), Scope(start, end)))
    assert isinstance(sessions, pl.DataFrame)
    sessions = sessions.filter(
        pl.col("agent").is_not_null()
        & (pl.col("buyer_messages") > 0)
        & pl.col("session_start").cast(pl.Datetime("us")).is_between(start, end, closed="left")
    )
    key = pl.concat_str(
        [
            pl.col("shop"),
            pl.col("buyer"),
            pl.col("agent"),
            pl.col("session_start").dt.strftime(START_FORMAT),
        ],
        separator="/",
    )
    return _flag(store, sessions, start, end).select(
        key.alias("session"),
        "agent",
        "shop",
        "flagged",
        pl.col("session_start").dt.date().alias("day"),
        "buyer",
        "session_start",
        pl.col("first_key").alias("key"),
    )


def _flag(store: Store, sessions: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """`flagged`: the first finding (by the start of its session) of the session's (shop,
    buyer, agent) at or after the session's start comes no later than its end."""
    last = sessions["session_end"].max() if len(sessions) else end
    hits = store.con.execute(
        "SELECT DISTINCT shop, buyer, agent, coalesce(session_start, time) AS _hit "
        "FROM qa_findings WHERE agent IS NOT NULL AND coalesce(session_start, time) >= ? "
        "AND coalesce(session_start, time) <= ? ORDER BY _hit",
        [start, max(end, last)],
    ).pl()
    keys = ["shop", "buyer", "agent"]
    ordered = sessions.with_columns(pl.col("session_start").cast(pl.Datetime("us"))).sort(
        "session_start"
    )
    hits = hits.with_columns(pl.col("_hit").cast(pl.Datetime("us")))
    nearest = ordered.join_asof(
        hits,
        left_on="session_start",
        right_on="_hit",
        by=keys,
        strategy="forward",
        check_sortedness=False,  # both sorted by time above
    )
    flagged = pl.col("_hit").is_not_null() & (pl.col("_hit") <= pl.col("session_end"))
    return nearest.with_columns(flagged.alias("flagged")).sort("shop", "buyer", "session_start")
