"""Automatic inspection over the store: run a rule pack's text and session rules on the
messages of a period and keep the findings (one row per message and rule) with their
session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import polars as pl

from kaohe.engine.periods import Period
from kaohe.qa.behaviour import behaviour_findings
from kaohe.qa.rules import Pack
from kaohe.qa.scan import scan

SESSION_GAP_MIN = 30  # the engine's default session gap

# messages with the start of their (shop, buyer, agent) session; plain SQL: findings are
# bookkeeping, not a metric definition
MESSAGES_SQL = f"""
WITH m AS (
  SELECT msg_key, shop, platform, buyer, agent, sender, time, text, msg_type, auto_reply, seq,
         CASE WHEN lag(time) OVER w IS NULL
                OR time - lag(time) OVER w > INTERVAL {SESSION_GAP_MIN} MINUTE
              THEN time END AS first_time
  FROM messages WHERE time >= ? AND time < ?
  WINDOW w AS (PARTITION BY shop, buyer, coalesce(agent, '') ORDER BY time, seq))
SELECT *, max(time) OVER (PARTITION BY shop, buyer, coalesce(agent, ''), session_start)
          AS session_end
FROM (SELECT *, max(first_time) OVER (PARTITION BY shop, buyer, coalesce(agent, '')
                                      ORDER BY time, seq ROWS UNBOUNDED PRECEDING)
                  AS session_start
      FROM m)
"""
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
    "rule",
    "category",
    "severity",
    "deduction",
    "span_start",
    "span_end",
    "matched",
)


@dataclass
class RunSummary:
    pack: str
    start: datetime
    end: datetime
    messages: int
    findings: int
    by_rule: dict[str, int]


def bounds(period: Period | None, store: Any) -> tuple[datetime, datetime]:
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


def run_pack(store: Any, pack: Pack, period: Period | None = None) -> RunSummary:
    """Scan the period's messages with the pack and replace its findings for that period in
    one transaction (a re-run gives the same rows, not more)."""
    start, end = bounds(period, store)
    messages = pl.from_arrow(store.con.execute(MESSAGES_SQL, [start, end]).arrow())
    found = pl.concat([scan(messages, pack), behaviour_findings(messages, pack)])
    context = messages.select("msg_key", "platform", "session_start", "session_end")
    rows = found.join(context, on="msg_key", how="left").select(
        pl.lit(pack.id).alias("pack"),
        "msg_key",
        "shop",
        "platform",
        "buyer",
        "agent",
        "time",
        "session_start",
        "session_end",
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
    return RunSummary(pack.id, start, end, len(messages), len(rows), by_rule)


def session_id(shop: Any, buyer: Any, agent: Any, session_start: Any) -> str:
    """A readable, stable session key: shop/buyer/agent/start."""
    start = session_start.strftime(START_FORMAT) if session_start is not None else ""
    return f"{shop}/{buyer}/{agent or ''}/{start}"


def findings(
    store: Any,
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


def flagged_sessions(store: Any, period: Period | None = None) -> pl.DataFrame:
    """Every session of the period with whether any finding flagged it (for sampling)."""
    start, end = bounds(period, store)
    messages = pl.from_arrow(store.con.execute(MESSAGES_SQL, [start, end]).arrow())
    sessions = (
        messages.filter(pl.col("agent").is_not_null())
        .group_by("shop", "buyer", "agent", "session_start")
        .agg(pl.col("time").min())
    )
    hits = pl.from_arrow(
        store.con.execute(
            "SELECT DISTINCT shop, buyer, agent, session_start FROM qa_findings "
            "WHERE time >= ? AND time < ?",
            [start, end],
        ).arrow()
    )
    flagged = sessions.join(
        hits.with_columns(pl.lit(True).alias("flagged")),
        on=["shop", "buyer", "agent", "session_start"],
        how="left",
    )
    key = pl.concat_str(
        [
            pl.col("shop"),
            pl.col("buyer"),
            pl.col("agent").fill_null(""),
            pl.col("session_start").dt.strftime(START_FORMAT),
        ],
        separator="/",
    )
    return flagged.select(
        key.alias("session"),
        "agent",
        "shop",
        pl.col("flagged").fill_null(False),
        pl.col("time").dt.date().alias("day"),
    )
