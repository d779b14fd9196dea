"""Process rules: what should follow an order, a hand-off or a second contact (issue 15).

- no_address_check (seed 001: 客户拍下订单，10分钟内 … 跟您核对下 … 收件人、地址、电话): an
  order placed while an agent was chatting with the buyer gets an address confirmation from
  the shop within `minutes`;
- no_payment_reminder (seed 001 拍下后未付款跟进; 未付款第二/三天追踪): such an order still unpaid
  after `wait_minutes` gets a payment reminder before it is paid or `deadline_hours` pass;
- asks_to_repeat (seed 003: 用户由智能客服转人工客服或者二次进线时，不要让用户重复要咨询的问题):
  after a hand-off (a 转人工 system line, or the buyer asking for a human) or on a second
  contact within `repeat_days`, the agent's first replies do not ask the buyer to say it again
  (unless the buyer said it is another question: 其他问题).

An order belongs to the agent whose valid reply to the buyer in the shop came last before it,
at most `chat_minutes` earlier (a silent order is nobody's to follow). A missing action is
found on the agent's last reply before its deadline (the message a reviewer opens), matched
text saying what was missing. Only orders whose deadline lies inside the messages given are
judged. Findings have the shape of the text rules' (kaohe.qa.scan.FINDING_SCHEMA).

`kaohe qa run` runs these through :func:`process_findings_for_store` (kaohe.qa.findings).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from kaohe.qa.behaviour import turns
from kaohe.qa.rules import (
    PROCESS_DETECTORS,
    AddressCheckParams,
    AsksToRepeatParams,
    Pack,
    ReminderParams,
    Rule,
)
from kaohe.qa.scan import FINDING_SCHEMA, empty_findings

if TYPE_CHECKING:
    from kaohe.store import Store

ORDER_COLUMNS = ("order_id", "shop", "buyer", "created_at", "paid_at")
ORDERS_SQL = (
    "SELECT order_id, shop, buyer, created_at, paid_at FROM orders "
    "WHERE created_at >= ? AND created_at < ?"
)
THREAD = ["shop", "buyer"]


def process_findings(messages: pl.DataFrame, orders: pl.DataFrame, pack: Pack) -> pl.DataFrame:
    """Findings of the pack's process rules on the conversation model's messages
    (kaohe.engine.conversation.frame: assigned agent, valid replies, sessions) and the orders
    of the same span (order_id, shop, buyer, created_at, paid_at)."""
    rules = pack.active(PROCESS_DETECTORS)
    if not rules or messages.is_empty():
        return empty_findings()
    replies = _replies(messages)
    found = [empty_findings()]
    for rule in rules:
        if rule.detector == "asks_to_repeat":
            found.append(asks_to_repeat(messages, rule))
        elif not orders.is_empty() and not replies.is_empty():
            found.append(DETECT[rule.detector](replies, _orders(orders), rule))
    return pl.concat(found)


def process_findings_for_store(
    store: Store, messages: pl.DataFrame, pack: Pack, start: datetime, end: datetime
) -> pl.DataFrame:
    """process_findings with the orders of [start − 1 day, end) read from the store."""
    if not pack.active(PROCESS_DETECTORS):
        return empty_findings()
    orders = store.con.execute(ORDERS_SQL, [start - timedelta(days=1), end]).pl()
    return process_findings(messages, orders, pack)


# ---------------------------------------------------------------- shared


def _replies(messages: pl.DataFrame) -> pl.DataFrame:
    """The agents' valid replies, as the conversation model marks them (valid_reply, with the
    agent it assigns)."""
    return (
        messages.filter(pl.col("valid_reply") & pl.col("agent").is_not_null())
        .select(
            pl.col("msg_key").cast(pl.Utf8),
            *[pl.col(c).cast(pl.Utf8) for c in ("shop", "buyer", "agent")],
            pl.col("time").cast(pl.Datetime("ms")),
            pl.col("text").cast(pl.Utf8).fill_null(""),
        )
        .sort("time")
    )


def _orders(orders: pl.DataFrame) -> pl.DataFrame:
    return orders.select(
        pl.col("order_id").cast(pl.Utf8),
        pl.col("shop").cast(pl.Utf8),
        pl.col("buyer").cast(pl.Utf8),
        pl.col("created_at").cast(pl.Datetime("ms")),
        pl.col("paid_at").cast(pl.Datetime("ms")),
    )


def _with_agent(replies: pl.DataFrame, orders: pl.DataFrame, anchor: str, minutes: float):
    """Orders with the agent whose reply to the buyer came last before `anchor`, at most
    `minutes` earlier; orders without one (silent) are left out."""
    last = replies.select(*THREAD, "agent", pl.col("time").alias("_replied"))
    keyed = orders.filter(pl.col(anchor).is_not_null()).sort(anchor)
    joined = keyed.join_asof(
        last.sort("_replied"),
        left_on=anchor,
        right_on="_replied",
        by=THREAD,
        strategy="backward",
        tolerance=timedelta(minutes=minutes),
        check_sortedness=False,  # both sorted by time above; Polars cannot verify per group
    )
    return joined.filter(pl.col("agent").is_not_null())


def _contains(phrases: list[str]) -> pl.Expr:
    return pl.col("text").str.contains_any(phrases, ascii_case_insensitive=True)


def _missing(
    replies: pl.DataFrame,
    due: pl.DataFrame,
    rule: Rule,
    phrases: list[str],
    label: pl.Expr,
) -> pl.DataFrame:
    """`due`: orders with agent, `_from`, `_until` (the window an action with one of the
    phrases must fall in). A finding per order without one, on the agent's last reply in the
    thread at or before `_until`."""
    done = (
        due.join(replies.select(*THREAD, "time", "text"), on=THREAD)
        .filter(
            (pl.col("time") > pl.col("_from"))
            & (pl.col("time") <= pl.col("_until"))
            & _contains(phrases)
        )
        .select("order_id")
        .unique()
    )
    missing = due.join(done, on="order_id", how="anti")
    mine = replies.rename({"agent": "_by"})
    last = (
        missing.join(mine, on=THREAD)
        .filter((pl.col("_by") == pl.col("agent")) & (pl.col("time") <= pl.col("_until")))
        .sort("time")
        .group_by("order_id", maintain_order=True)
        .last()
    )
    return _found(last.with_columns(label.alias("_label")), rule)


def _found(rows: pl.DataFrame, rule: Rule) -> pl.DataFrame:
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
        pl.col("text").str.len_chars().alias("end"),
        pl.col("_label").alias("matched"),
    ).cast(FINDING_SCHEMA)


# ---------------------------------------------------------------- orders


def no_address_check(replies: pl.DataFrame, orders: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """An order placed (or paid: `anchor`) in chat without an address confirmation from the
    shop within `minutes` after it."""
    p = rule.parsed()
    assert isinstance(p, AddressCheckParams)
    anchor = "created_at" if p.anchor == "created" else "paid_at"
    due = _with_agent(replies, orders, anchor, p.chat_minutes).with_columns(
        pl.col(anchor).alias("_from"),
        (pl.col(anchor) + timedelta(minutes=p.minutes)).alias("_until"),
    )
    due = due.filter(pl.col("_until") <= replies["time"].max())
    label = pl.format(
        "订单{}下单后{}分钟内未核对收货地址", pl.col("order_id"), pl.lit(f"{p.minutes:g}")
    )
    return _missing(replies, due, rule, p.phrases, label)


def no_payment_reminder(replies: pl.DataFrame, orders: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """An order placed in chat, unpaid `wait_minutes` later, without a payment reminder
    from the shop before its payment or `deadline_hours` after it was placed."""
    from kaohe.engine.fulfilment import REMINDER_PHRASES

    p = rule.parsed()
    assert isinstance(p, ReminderParams)
    wait, deadline = timedelta(minutes=p.wait_minutes), timedelta(hours=p.deadline_hours)
    unpaid = pl.col("paid_at").is_null() | (pl.col("paid_at") > pl.col("created_at") + wait)
    due = (
        _with_agent(replies, orders, "created_at", p.chat_minutes)
        .filter(unpaid)
        .with_columns(
            pl.col("created_at").alias("_from"),
            pl.min_horizontal(pl.col("paid_at"), pl.col("created_at") + deadline).alias("_until"),
        )
    )
    due = due.filter(pl.col("_until") <= replies["time"].max())
    label = pl.format(
        "订单{}拍下{}分钟未付款，未催付", pl.col("order_id"), pl.lit(f"{p.wait_minutes:g}")
    )
    return _missing(replies, due, rule, p.phrases or list(REMINDER_PHRASES), label)


DETECT = {"no_address_check": no_address_check, "no_payment_reminder": no_payment_reminder}


# ---------------------------------------------------------------- hand-offs and second contacts


def asks_to_repeat(messages: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """After a hand-off or on a second contact, one of the agent's first `within_replies`
    replies of the session asks the buyer to say it again: a finding on the first such reply,
    the matched text the phrase."""
    p = rule.parsed()
    assert isinstance(p, AsksToRepeatParams)
    t = turns(messages)
    starts = t.group_by("_sid").agg(
        *[pl.col(c).first() for c in ("shop", "buyer", "agent")],
        pl.col("time").min().alias("_opened"),
    )
    reasons = _handoffs(messages, t, p).join(
        _second_contacts(messages, starts, p), on="_sid", how="full", coalesce=True
    )
    replies = t.filter(~pl.col("buyer_message")).with_columns(
        pl.int_range(1, pl.len() + 1).over("_sid").alias("_k")
    )
    asked = replies.filter((pl.col("_k") <= p.within_replies) & _contains(p.phrases))
    if p.new_issue_phrases:  # the buyer said it is another question: asking for it is fine
        new = t.filter(pl.col("buyer_message") & _contains(p.new_issue_phrases))
        new = new.select("_sid", pl.col("_n").alias("_new"))
        told = asked.join(new, on="_sid").filter(pl.col("_new") < pl.col("_n"))
        asked = asked.join(told.select("_n").unique(), on="_n", how="anti")
    first = asked.join(reasons, on="_sid").group_by("_sid", maintain_order=True).first()
    rx = "|".join(sorted((_escape(w) for w in p.phrases), key=len, reverse=True))
    return _found(first.with_columns(pl.col("text").str.extract(f"({rx})").alias("_label")), rule)


def _escape(text: str) -> str:
    import re

    return re.escape(text)


def _handoffs(messages: pl.DataFrame, t: pl.DataFrame, p: AsksToRepeatParams) -> pl.DataFrame:
    """Sessions opened by a hand-off: a handoff line in the thread in the half hour before the
    session's first message, or a buyer message of the session asking for a human before the
    agent's first reply."""
    firsts = t.group_by("_sid").agg(
        *[pl.col(c).first() for c in ("shop", "buyer")],
        pl.col("time").min().alias("_opened"),
        pl.col("time").filter(~pl.col("buyer_message")).min().alias("_replied"),
    )
    parts = [pl.DataFrame(schema={"_sid": t.schema["_sid"]})]
    if "msg_type" in messages.columns:
        lines = messages.filter(pl.col("msg_type") == "handoff").select(
            pl.col("shop").cast(pl.Utf8),
            pl.col("buyer").cast(pl.Utf8),
            pl.col("time").cast(pl.Datetime("ms")).alias("_handoff"),
        )
        near = firsts.join(lines, on=THREAD).filter(
            (pl.col("_handoff") <= pl.col("_replied").fill_null(pl.col("_opened")))
            & (pl.col("_handoff") >= pl.col("_opened") - timedelta(minutes=30))
        )
        parts.append(near.select("_sid"))
    if p.handoff_phrases:
        asked = t.join(firsts.select("_sid", "_replied"), on="_sid").filter(
            pl.col("buyer_message")
            & (pl.col("_replied").is_null() | (pl.col("time") < pl.col("_replied")))
            & _contains(p.handoff_phrases)
        )
        parts.append(asked.select("_sid"))
    return pl.concat(parts).unique().with_columns(pl.lit(True).alias("_handoff"))


def _second_contacts(
    messages: pl.DataFrame, starts: pl.DataFrame, p: AsksToRepeatParams
) -> pl.DataFrame:
    """Sessions whose buyer wrote to the shop in an earlier session (ended before this one
    opened, as the conversation model cuts sessions) within the `repeat_days` before (二次进线)."""
    earlier = messages.filter(pl.col("buyer_message")).select(
        pl.col("shop").cast(pl.Utf8),
        pl.col("buyer").cast(pl.Utf8),
        pl.col("time").cast(pl.Datetime("ms")).alias("_before"),
        pl.col("session_end").cast(pl.Datetime("ms")).alias("_ended"),
    )
    window = timedelta(days=p.repeat_days)
    hit = starts.join(earlier, on=THREAD).filter(
        (pl.col("_ended") < pl.col("_opened")) & (pl.col("_before") >= pl.col("_opened") - window)
    )
    return hit.select("_sid").unique().with_columns(pl.lit(True).alias("_second"))
