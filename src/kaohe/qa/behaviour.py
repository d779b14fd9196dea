"""Session detectors: how the agent behaves across a session's turns and timing (spec: qa.md,
repeated_reply … no_soothing).

They judge the conversation model (:mod:`kaohe.engine.conversation`), never a session or a
valid reply of their own: a session is one (shop, buyer, agent)'s run under the engine's
`session_gap`, buyer rows without an agent (快手, 千牛) carry the agent the engine assigned
them, and the turns are the buyer's messages and the agent's valid replies as the model flags
them (not bots, the system, automatic replies or withdrawn messages). Sessions of an agent
the metrics count (with a buyer message) are judged. Rounds and their response times are the
engine's (reply horizon, bot hand-off), so a reply is slow by the same clock as avg_response_s,
also when it came after the session gap. Every detector is vectorised in Polars and returns
findings shaped like the text rules' (:data:`kaohe.qa.scan.FINDING_SCHEMA`), on the message
that caused them with the span of the whole message, plus the session they count against
(:data:`SESSION_SCHEMA`): the message's own, and for a slow reply the session its round
started in.
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
from kaohe.qa.scan import FINDING_SCHEMA

SESSION_KEY = ["shop", "buyer", "agent", "session_start"]
ROUND_KEY = ["_cid", "round_start"]  # a round of one conversation (turns numbers them: _cid)
MODEL_COLUMNS = (  # of kaohe.engine.conversation.COLUMNS, the ones the detectors read
    "msg_key",
    "shop",
    "buyer",
    "agent",
    "time",
    "seq",
    "text",
    "buyer_message",
    "valid_reply",
    "session_start",
    "session_end",
    "session_buyer_messages",
    "round_start",
    "round_answered",
    "response_s",
)
TEXT = pl.col("text")
SID = pl.col("_sid")
SESSION_START = pl.col("session_start")
IS_BUYER = pl.col("buyer_message")
MS = pl.Datetime("ms")
SESSION_SCHEMA = {**FINDING_SCHEMA, "session_start": MS, "session_end": MS}
ROUND_DETECTORS = frozenset({"slow_reply", "left_unanswered"})  # judge rounds, not texts


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=SESSION_SCHEMA)


def turns(messages: pl.DataFrame) -> pl.DataFrame:
    """The buyer's messages and the agent's valid replies of the sessions with an agent, in
    session order: ``_n`` (position), ``_sid`` (session), ``_run`` (a run of messages of one
    sender: a buyer's turn or the agent's), both counted over the whole frame, ``_cid`` (the
    conversation: shop, buyer and agent, as a number) and ``_counted`` (the session has a
    buyer message). `messages` is the conversation model
    (kaohe.engine.conversation.frame)."""
    missing = [c for c in MODEL_COLUMNS if c not in messages.columns]
    if missing:
        raise ValueError(f"session rules read the conversation model; missing {missing}")
    turn = pl.col("agent").is_not_null() & (IS_BUYER | pl.col("valid_reply"))
    kept = (
        messages.select(  # only these columns go through the filter and the sort
            turn.alias("_turn"),
            pl.col("msg_key").cast(pl.Utf8),
            *[pl.col(c).cast(pl.Utf8) for c in ("shop", "buyer", "agent")],
            pl.col("time").cast(MS),
            pl.col("session_start").cast(MS),
            pl.col("session_end").cast(MS),
            (pl.col("session_buyer_messages") > 0).alias("_counted"),
            "seq",
            IS_BUYER,
            TEXT.cast(pl.Utf8).fill_null(""),
            pl.col("round_start").cast(MS),
            "round_answered",
            "response_s",
        )
        .filter("_turn")
        .drop("_turn")
    )
    # not a stable sort: seq (from the import's sequence) breaks every tie, and the model
    # comes in no particular order anyway
    ordered = kept.sort([*SESSION_KEY, "time", "seq"], nulls_last=True)
    new_conversation = pl.any_horizontal(
        *[pl.col(c).ne_missing(pl.col(c).shift(1)) for c in SESSION_KEY[:-1]]
    ).fill_null(True)
    new_session = new_conversation | SESSION_START.ne_missing(SESSION_START.shift(1))
    new_session = new_session.fill_null(True)
    new_run = new_session | IS_BUYER.ne_missing(IS_BUYER.shift(1))
    return (
        ordered.with_row_index("_n")
        .with_columns(
            new_session.cum_sum().alias("_sid"),
            new_run.cum_sum().alias("_run"),
            new_conversation.cum_sum().alias("_cid"),
        )
        .drop("seq")
    )


def _found(
    rows: pl.DataFrame,
    rule: Rule,
    matched: pl.Expr = TEXT,
    session: tuple[pl.Expr, pl.Expr] = (pl.col("session_start"), pl.col("session_end")),
) -> pl.DataFrame:
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
        session[0].alias("session_start"),
        session[1].alias("session_end"),
    ).cast(SESSION_SCHEMA)


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
    long_enough = _replies(t).filter(TEXT.str.len_chars() >= p.min_chars)  # stripping shortens
    replies = long_enough.with_columns(same.alias("_same"))
    same_in_session = ("_sid", "_same")
    counted = (
        replies.filter(pl.col("_same").str.len_chars() >= p.min_chars)
        .filter(pl.len().over(same_in_session) >= p.min_count)  # numbering the rest is slow
        .with_columns(pl.int_range(1, pl.len() + 1).over(same_in_session).alias("_k"))
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


def _first_rounds(t: pl.DataFrame) -> pl.DataFrame:
    """Per round (ROUND_KEY): the session its first buyer message opened (``_open_start``,
    ``_open_end``) and ``_first``, whether it is that session's first round."""
    asked = t.filter(IS_BUYER & pl.col("round_start").is_not_null())
    first = asked.group_by("_sid").agg(pl.col("round_start").min().alias("_first_start"))
    opening = asked.filter(pl.col("time") == pl.col("round_start")).join(first, on="_sid")
    return opening.select(
        *ROUND_KEY,
        (pl.col("round_start") == pl.col("_first_start")).alias("_first"),
        pl.col("session_start").alias("_open_start"),
        pl.col("session_end").alias("_open_end"),
    ).unique(ROUND_KEY, keep="first")


def slow_reply(t: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """A round answered slower than ``first_seconds`` (the session's first round) or
    ``round_seconds`` (later ones); above ``severe_seconds`` it is a severe timeout. One
    finding per slow round, on the reply; the matched text tells the time. The round and its
    response time are the engine's (a reply after the session gap still answers it)."""
    p = rule.parsed()
    assert isinstance(p, SlowParams)
    seconds = pl.col("response_s")
    answers = _replies(t).filter(seconds > min(p.first_seconds, p.round_seconds))  # the rest: fast
    r = answers.join(_first_rounds(t), on=ROUND_KEY, how="left", nulls_equal=False)
    first = pl.col("_first").fill_null(False)
    limit = pl.when(first).then(p.first_seconds).otherwise(p.round_seconds)
    shown = seconds.ceil().cast(pl.Int64).cast(pl.Utf8)
    label = (
        pl.when(seconds > p.severe_seconds)
        .then(pl.lit("严重超时 "))
        .when(first)
        .then(pl.lit("首次回复 "))
        .otherwise(pl.lit("回复 "))
    )
    slow = r.filter(seconds > limit)
    session = (
        pl.coalesce("_open_start", "session_start"),
        pl.coalesce("_open_end", "session_end"),
    )
    return _found(slow, rule, pl.concat_str([label, shown, pl.lit(" 秒")]), session)


def left_unanswered(t: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """The session ends with the buyer's message and the engine's round holding it got no
    valid reply within the reply horizon: a finding on it, for the session's agent, unless
    that message is a short closing of the buyer's own (没有了谢谢, 好的, 嗯). A round answered
    after the session gap is a slow reply, not a missed one."""
    p = rule.parsed()
    assert isinstance(p, UnansweredParams)
    last = t.group_by("_sid", maintain_order=True).last()
    last = last.filter(IS_BUYER & ~pl.col("round_answered").fill_null(False))
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
    upset_buyer = TEXT.str.contains_any(p.upset)
    if p.exceptions:
        upset_buyer = upset_buyer & _without_any(p.exceptions)
    upset = (
        t.filter(IS_BUYER)
        .filter(upset_buyer)
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
    """Findings of the pack's session rules on the conversation model of some sessions
    (kaohe.engine.conversation.frame; :data:`MODEL_COLUMNS`)."""
    rules = pack.active(SESSION_DETECTORS)
    if not rules or messages.is_empty():
        return empty_findings()
    t = turns(messages)
    counted = t.filter("_counted")
    found = [DETECT[r.detector](t if r.detector in ROUND_DETECTORS else counted, r) for r in rules]
    return pl.concat([empty_findings(), *found])
