"""Session detectors: how the agent behaves across a session's turns and timing (spec: qa.md,
repeated_reply … no_soothing).

A session is a run of one (shop, buyer, agent) thread without a gap over 30 minutes, as
:data:`kaohe.qa.findings.MESSAGES_SQL` numbers it (``session_start``); a frame without that
column is cut into sessions here with the same gap. Only the buyer's messages and the agent's
valid replies take part (not bots, the system, automatic replies or withdrawn messages), and
a session without an agent is nobody's to judge. Every detector is vectorised in Polars and
returns findings shaped like the text rules' (:data:`kaohe.qa.scan.FINDING_SCHEMA`), on the
message that caused them with the span of the whole message.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from kaohe.qa.detectors import PUNCT
from kaohe.qa.rules import (
    SESSION_DETECTORS,
    GreetingParams,
    Pack,
    RepeatedParams,
    Rule,
    SlowParams,
    SoothingParams,
    UnansweredParams,
)
from kaohe.qa.scan import FINDING_SCHEMA, empty_findings

SESSION_GAP_MIN = 30  # as findings.MESSAGES_SQL and the engine's default session gap
SESSION_KEY = ["shop", "buyer", "agent", "session_start"]
TEXT = pl.col("text")
SID = pl.col("_sid")
IS_BUYER = pl.col("sender") == "buyer"


def _with_sessions(messages: pl.DataFrame) -> pl.DataFrame:
    """``session_start`` by the 30-minute gap when the frame does not carry it."""
    if "session_start" in messages.columns:
        return messages
    thread = ["shop", "buyer", "agent"]
    ordered = messages.sort(
        [*thread, "time", *(["seq"] if "seq" in messages.columns else [])],
        maintain_order=True,
        nulls_last=True,
    )
    # sorted, a row opens a session when its thread changes or the gap is too long
    new_thread = pl.any_horizontal(*[pl.col(c).ne_missing(pl.col(c).shift(1)) for c in thread])
    gap = pl.col("time").diff() > pl.duration(minutes=SESSION_GAP_MIN)
    first = new_thread.fill_null(True) | gap.fill_null(True)
    return ordered.with_columns(
        pl.when(first).then(pl.col("time")).forward_fill().alias("session_start")
    )


def turns(messages: pl.DataFrame) -> pl.DataFrame:
    """The buyer's messages and the agent's valid replies of sessions with an agent, in
    session order: ``_n`` (position), ``_sid`` (session) and ``_run`` (a run of messages of
    one sender: a buyer's turn or the agent's), both counted over the whole frame."""
    frame = _with_sessions(messages)
    optional = {"msg_type": pl.lit("text"), "auto_reply": pl.lit(False), "seq": pl.lit(0)}
    frame = frame.with_columns(*[e.alias(c) for c, e in optional.items() if c not in frame.columns])
    reply = (
        (pl.col("sender") == "agent")
        & (pl.col("msg_type").fill_null("text") != "withdrawn")
        & ~pl.col("auto_reply").fill_null(False)
    )
    kept = frame.filter(pl.col("agent").is_not_null() & (IS_BUYER | reply)).select(
        pl.col("msg_key").cast(pl.Utf8),
        *[pl.col(c).cast(pl.Utf8) for c in ("shop", "buyer", "agent")],
        pl.col("time").cast(pl.Datetime("ms")),
        "session_start",
        "seq",
        pl.col("sender").cast(pl.Utf8),
        TEXT.cast(pl.Utf8).fill_null(""),
    )
    ordered = kept.sort([*SESSION_KEY, "time", "seq"], maintain_order=True, nulls_last=True)
    new_session = pl.any_horizontal(
        *[pl.col(c).ne_missing(pl.col(c).shift(1)) for c in SESSION_KEY]
    )
    new_session = new_session.fill_null(True)
    new_run = new_session | pl.col("sender").ne_missing(pl.col("sender").shift(1))
    return (
        ordered.with_row_index("_n")
        .with_columns(new_session.cum_sum().alias("_sid"), new_run.cum_sum().alias("_run"))
        .drop("seq")
    )


def _found(rows: pl.DataFrame, rule: Rule, matched: pl.Expr = TEXT) -> pl.DataFrame:
    """Findings of ``rule`` on ``rows`` (turns), the span covering the whole message."""
    return rows.select(
        "msg_key",
        "shop",
        "buyer",
        "agent",
        "time",
        pl.lit(rule.id).alias("rule"),
        pl.lit(rule.category).alias("category"),
        pl.lit(rule.severity).alias("severity"),
        pl.lit(float(rule.deduction)).alias("deduction"),
        pl.lit(0).alias("start"),
        TEXT.str.len_chars().alias("end"),
        matched.alias("matched"),
    ).cast(FINDING_SCHEMA)


def _run_heads(t: pl.DataFrame) -> pl.DataFrame:
    """The first message of each run (``t`` is in ``_run`` order)."""
    return t.filter(pl.col("_run").ne_missing(pl.col("_run").shift(1)))


def _replies(t: pl.DataFrame) -> pl.DataFrame:
    return t.filter(~IS_BUYER)


def _without_any(phrases: list[str]) -> pl.Expr:
    return ~TEXT.str.contains_any(phrases, ascii_case_insensitive=True)


def repeated_reply(t: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """The same reply text (whitespace removed) sent ``min_count`` times in a session: one
    finding, on its ``min_count``-th sending. Short texts (好的, 嗯嗯) do not count."""
    p = rule.parsed()
    assert isinstance(p, RepeatedParams)
    same = TEXT.str.replace_all(r"\s+", "")
    replies = _replies(t).with_columns(same.alias("_same"))
    counted = replies.filter(pl.col("_same").str.len_chars() >= p.min_chars).with_columns(
        pl.int_range(1, pl.len() + 1).over("_sid", "_same").alias("_k")
    )
    return _found(counted.filter(pl.col("_k") == p.min_count), rule)


def no_greeting(t: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """The session's first valid reply holds none of the greeting phrases."""
    p = rule.parsed()
    assert isinstance(p, GreetingParams)
    first = _replies(t).group_by("_sid", maintain_order=True).first()
    return _found(first.filter(_without_any(p.phrases)), rule)


def no_farewell(t: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """The agent's closing turn holds none of the farewell phrases.

    A messages frame cannot tell whether the session closed a sale, so every session is
    judged: its closing turn is the agent's last run of replies (no buyer message between
    them), and one farewell phrase anywhere in it is enough. The finding is on the session's
    last reply."""
    p = rule.parsed()
    assert isinstance(p, GreetingParams)
    replies = _replies(t)
    closing = replies.filter(pl.col("_run") == pl.col("_run").max().over("_sid"))
    lacking = closing.filter(
        ~TEXT.str.contains_any(p.phrases, ascii_case_insensitive=True).any().over("_sid")
    )
    return _found(lacking.group_by("_sid", maintain_order=True).last(), rule)


def _rounds(t: pl.DataFrame) -> pl.DataFrame:
    """One row per round: a run of buyer messages (``_run`` of its first one, ``_start``) and
    the reply that ends it (the first row of the next run, same session), numbered ``_k``
    from 1 in the session."""
    runs = _run_heads(t).with_columns(
        (pl.col("_sid").shift(-1) == SID).fill_null(False).alias("_answered"),
        pl.col("time").alias("_start"),
    )
    buyer_runs = runs.filter(IS_BUYER).with_columns(
        pl.int_range(1, pl.len() + 1).over("_sid").alias("_k")
    )
    answered = buyer_runs.filter("_answered").select(
        "_sid", "_k", "_start", (pl.col("_run") + 1).alias("_reply_run")
    )
    replies = runs.filter(~IS_BUYER).drop("_start", "_answered")
    return answered.join(replies, left_on=["_sid", "_reply_run"], right_on=["_sid", "_run"])


def slow_reply(t: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """A round answered slower than ``first_seconds`` (the session's first round) or
    ``round_seconds`` (later ones); above ``severe_seconds`` it is a severe timeout. One
    finding per slow round, on the reply; the matched text tells the time."""
    p = rule.parsed()
    assert isinstance(p, SlowParams)
    r = _rounds(t)
    seconds = (pl.col("time") - pl.col("_start")).dt.total_milliseconds() / 1000
    limit = pl.when(pl.col("_k") == 1).then(p.first_seconds).otherwise(p.round_seconds)
    shown = seconds.ceil().cast(pl.Int64).cast(pl.Utf8)
    label = (
        pl.when(seconds > p.severe_seconds)
        .then(pl.lit("严重超时 "))
        .when(pl.col("_k") == 1)
        .then(pl.lit("首次回复 "))
        .otherwise(pl.lit("回复 "))
    )
    slow = r.filter(seconds > limit)
    return _found(slow, rule, pl.concat_str([label, shown, pl.lit(" 秒")]))


def left_unanswered(t: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """The session ends with the buyer's message: a finding on it, for the session's agent,
    unless that message is a short closing of the buyer's own (没有了谢谢, 好的, 嗯)."""
    p = rule.parsed()
    assert isinstance(p, UnansweredParams)
    last = t.group_by("_sid", maintain_order=True).last().filter(IS_BUYER)
    bare = TEXT.str.replace_all(PUNCT, "")
    closing = pl.lit(False)
    if p.closing:
        closing = (bare.str.len_chars() <= p.closing_max_chars) & bare.str.contains_any(
            p.closing, ascii_case_insensitive=True
        )
    if p.closing_whole:
        closing = closing | bare.is_in(p.closing_whole)
    return _found(last.filter(~closing), rule)


def no_soothing(t: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """A buyer message with an ``upset`` phrase whose next reply holds no ``soothing`` one:
    a finding on the reply, the matched text the (first) upset phrase of the buyer's turn."""
    p = rule.parsed()
    assert isinstance(p, SoothingParams)
    upset_rx = "|".join(re.escape(w) for w in sorted(set(p.upset), key=len, reverse=True))
    upset_buyer = IS_BUYER & TEXT.str.contains_any(p.upset)
    if p.exceptions:
        upset_buyer = upset_buyer & _without_any(p.exceptions)
    upset = (
        t.filter(upset_buyer)
        .group_by("_sid", "_run", maintain_order=True)
        .agg(TEXT.first().str.extract(f"({upset_rx})").alias("_upset"))
    )
    replies = _replies(_run_heads(t))
    answer = upset.with_columns((pl.col("_run") + 1).alias("_next")).join(
        replies, left_on=["_sid", "_next"], right_on=["_sid", "_run"]
    )
    return _found(answer.filter(_without_any(p.soothing)), rule, pl.col("_upset"))


DETECT: dict[str, Callable[[pl.DataFrame, Rule], pl.DataFrame]] = {
    "repeated_reply": repeated_reply,
    "no_greeting": no_greeting,
    "no_farewell": no_farewell,
    "slow_reply": slow_reply,
    "left_unanswered": left_unanswered,
    "no_soothing": no_soothing,
}


def behaviour_findings(messages: pl.DataFrame, pack: Pack) -> pl.DataFrame:
    """Findings of the pack's session rules on messages with msg_key, shop, buyer, agent,
    sender, time, text (and msg_type, auto_reply, seq, session_start when known)."""
    rules = pack.active(SESSION_DETECTORS)
    if not rules or messages.is_empty():
        return empty_findings()
    t = turns(messages)
    return pl.concat([empty_findings(), *[DETECT[r.detector](t, r) for r in rules]])
