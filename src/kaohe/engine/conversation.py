"""The conversation model (spec: metrics.md, Building blocks): every message with the agent it
is assigned to, what kind of line it is, its session and its round, read off the engine's own
blocks (:class:`kaohe.engine.compute.Blocks`) for one set of parameters.

This is the only place a conversation is put together outside the metrics: the QA text and
session rules, review sampling, the conversation viewer, the agent page's sessions and the
reports read it, so `session_gap`, `reply_horizon`, `auto_reply_counts` and the exclusion
list move all of them together with the KPIs. Buyer rows without an agent (快手 and 千牛
exports) carry the agent the engine assigns them, and a session is one (shop, buyer, agent)'s
run of messages exactly as the `sessions` metric counts it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from kaohe.engine import blocks as B
from kaohe.engine.compute import Blocks
from kaohe.engine.params import GLOBAL_DEFAULTS, BlockParams

if TYPE_CHECKING:
    from kaohe.store import Store

# the message columns the assigned rows keep for the model: (name, column of messages)
CARRY = (
    ("msg_key", "msg_key"),
    ("sender", "sender"),
    ("text", "text"),
    ("msg_type", "msg_type"),
    ("auto_reply", "auto_reply"),
    ("written_agent", "agent"),
)

# what each line is, first match wins (the viewer labels them; results carry no language)
KINDS = ("withdrawn", "handoff", "bot", "system", "auto_reply", "reply", "buyer", "agent")

COLUMNS: dict[str, str] = {
    "msg_key": "the message's key in the store",
    "shop": "the thread's shop",
    "platform": "the thread's platform",
    "buyer": "the thread's buyer",
    "agent": "the agent the message is assigned to (data-model.md); null: nobody's",
    "written_agent": "the agent column as imported (empty on 快手/千牛 buyer rows)",
    "sender": "buyer, agent, bot or system",
    "time": "when it was sent",
    "seq": "file order (ties of time)",
    "text": "the message",
    "msg_type": "text, image, card, order, withdrawn, handoff",
    "auto_reply": "an automatic reply (欢迎语, 快捷自动回复)",
    "kind": "withdrawn, handoff, bot, system, auto_reply, reply (a valid reply), buyer, agent",
    "buyer_message": "a buyer message as the metrics count it",
    "valid_reply": "a valid reply (auto_reply_counts decides for automatic ones)",
    "session_start": "start of the (shop, buyer, agent) session holding it (session_gap)",
    "session_end": "that session's last message",
    "session_buyer_messages": "buyer messages in that session (0: not a session the "
    "`sessions` metric counts)",
    "round_start": "a buyer message: its round's start; a valid reply: the start of the round "
    "it answers",
    "round_answered": "that round has a valid reply within reply_horizon",
    "response_s": "that round's response time in seconds (from a bot hand-off when there was "
    "one), as avg_response_s counts it",
}


@dataclass(frozen=True)
class Scope:
    """Which messages: [start, end) (None: from the first / to the last), one thread (shop and
    buyer) or the threads of one agent; `whole_sessions` keeps every message of a session
    that overlaps [start, end), so a session crossing the edge is read whole. `slice`
    (index, count): only the threads :func:`in_slice` puts in that slice."""

    start: datetime | None = None
    end: datetime | None = None
    shop: str | None = None
    buyer: str | None = None
    agent: str | None = None
    whole_sessions: bool = True
    slice: tuple[int, int] | None = None


def block_params(params: Mapping[str, Any] | None = None) -> BlockParams:
    """The block parameters of resolved parameters (the globals: session_gap, reply_horizon,
    auto_reply_counts, exclude_buyers, ad_patterns, exclude_ad_sessions); metrics' own
    parameters in the mapping are not the model's and play no part."""
    given = {k: v for k, v in (params or {}).items() if k in GLOBAL_DEFAULTS}
    return BlockParams.from_params({**GLOBAL_DEFAULTS, **given})


@contextmanager
def model(
    con: Any,
    params: Mapping[str, Any] | None = None,
    scope: Scope = Scope(),  # noqa: B008 - frozen
    cache: bool = True,
    rounds: bool = True,
) -> Iterator[ir.Table]:
    """The model as an Ibis table (one row per message, :data:`COLUMNS`) on an Ibis connection;
    the blocks it materialised are dropped on exit. `rounds=False` leaves the round columns
    null (cheaper when only sessions are wanted)."""
    blocks = Blocks(Narrowed(con, scope), block_params(params), _window(scope), cache, carry=CARRY)
    try:
        yield _model(blocks, scope, rounds)
    finally:
        blocks.close()


def frame(
    store: Store,
    params: Mapping[str, Any] | None = None,
    scope: Scope = Scope(),  # noqa: B008 - frozen
    rounds: bool = True,
) -> Any:
    """The model of a store as a pyarrow table, in no particular order (readers sort what
    they need: sorting every message with its text costs a month's run seconds)."""
    cache = not getattr(store, "read_only", False)  # a read-only store takes no tables
    with model(store.ibis(), params, scope, cache, rounds) as t:
        return t.to_pyarrow()


def thread_frame(
    store: Store, shop: str, buyer: str, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The model of one whole thread (shop, buyer) as rows, in no particular order. Its query
    is compiled once per parameter set and run with the thread bound (kaohe.engine.bound): the
    viewer reads one thread per page, and compiling the model costs Ibis about a second where
    DuckDB runs it in milliseconds. No window: one thread is small, and read whole its
    sessions and rounds are never cut at an edge."""
    from kaohe.engine import bound

    bp = block_params(params)
    scope = Scope(shop=bound.placeholder("shop"), buyer=bound.placeholder("buyer"))

    def build() -> ir.Table:
        blocks = Blocks(Narrowed(store.ibis(), scope), bp, None, cache=False, carry=CARRY)
        return _model(blocks, scope, rounds=True)

    return bound.run(store, ("thread", repr(bp)), build, {"shop": shop, "buyer": buyer})


def session_frame(
    store: Store,
    params: Mapping[str, Any] | None = None,
    scope: Scope = Scope(),  # noqa: B008 - frozen
) -> Any:
    """:func:`sessions` of a store's model as a pyarrow table (the round columns are not
    needed for it and not computed)."""
    cache = not getattr(store, "read_only", False)
    with model(store.ibis(), params, scope, cache, rounds=False) as t:
        return sessions(t).to_pyarrow()


def sessions(t: ir.Table) -> ir.Table:
    """One row per session of a model table: shop, buyer, agent, session_start, session_end,
    messages, buyer_messages and `first_key` (a message naming it in links)."""
    return t.group_by(["shop", "platform", "buyer", "agent", "session_start"]).agg(
        session_end=t.session_end.max(),
        messages=t.count(),
        buyer_messages=t.session_buyer_messages.max(),
        first_key=t.msg_key.argmin(t.time),
    )


def _window(scope: Scope) -> tuple[date, date] | None:
    """The days the blocks load (they add the reply horizon and a day either side)."""
    if scope.start is None or scope.end is None:
        return None
    return scope.start.date(), (scope.end - timedelta(microseconds=1)).date()


class Narrowed:
    """The connection with `messages` narrowed to the threads the scope names. Every block is
    computed per thread, so leaving other threads out changes no value."""

    def __init__(self, con: Any, scope: Scope) -> None:
        self._con, self._scope = con, scope

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def table(self, name: str) -> ir.Table:
        t = self._con.table(name)
        if name != "messages":
            return t
        if self._scope.shop is not None:
            t = t.filter(t.shop == self._scope.shop)
        if self._scope.buyer is not None:
            t = t.filter(t.buyer == self._scope.buyer)
        if self._scope.agent is not None:
            own = t.filter(t.agent == self._scope.agent).select("shop", "buyer").distinct()
            t = t.semi_join(own, ["shop", "buyer"])
        if self._scope.slice is not None:
            t = t.filter(in_slice(t, *self._scope.slice))
        return t


def in_slice(t: ir.Table, index: int, count: int) -> ir.BooleanValue:
    """The rows of the threads (shop, buyer) a hash puts in slice `index` of `count`. Slices
    hold whole threads, and every block is computed per thread (assignment, sessions, rounds),
    so a slice's model is the whole model's rows of those threads: a session or a round is
    never cut in two, also where it crosses midnight or the period's edge."""
    hashed = t.shop.hash() ^ t.buyer.hash()
    return (hashed % count + count) % count == index


def _model(blocks: Blocks, scope: Scope, rounds: bool) -> ir.Table:
    m = _with_sessions(blocks.block("thread"), blocks.bp.session_gap_ms)
    m = _with_rounds(m, blocks) if rounds else _without_rounds(m)
    threads, agents = blocks.dims()
    m = _in_scope(B.dress(m, threads, agents), scope)
    return m.select(
        *[c for c in COLUMNS if c not in ("kind", "buyer_message", "valid_reply")],
        kind=_kind(m, blocks.bp.auto_reply_counts),
        buyer_message=m.is_buyer,
        valid_reply=m.is_reply,
    ).select(*COLUMNS)


def _with_sessions(m: ir.Table, gap_ms: int) -> ir.Table:
    """Each row with its session (the engine's: a new one where the gap from the previous
    message of the conversation exceeds `gap_ms`): start, end and buyer messages, read off the
    session's first rows in one ordered pass — a session ends where the next one's first row
    says the previous message was, and holds the buyer messages counted in between. After
    the ad filter removed sessions (it numbered them, `sid`), by those numbers."""
    if "sid" in m.columns:
        session = ibis.window(group_by=[*B.CONV_ID, "sid"])
        return m.mutate(
            session_start=m.time.min().over(session),
            session_end=m.time.max().over(session),
            session_buyer_messages=m.is_buyer.cast("int64").sum().over(session),
        )
    first = B.session_start(m, gap_ms)
    before = m.nb - m.is_buyer.cast("int64")  # buyer messages before the row
    order = list(B.ORDER)
    upto = ibis.window(group_by=list(B.CONV_ID), order_by=order, rows=(None, 0))
    after = ibis.window(group_by=list(B.CONV_ID), order_by=order, rows=(1, None))
    whole = ibis.window(group_by=list(B.CONV_ID), order_by=order, rows=(None, None))
    none_t, none_n = ibis.null("timestamp"), ibis.null("int64")
    m = m.mutate(
        session_start=ibis.ifelse(first, m.time, none_t).max().over(upto),
        _buyers_before=ibis.ifelse(first, before, none_n).max().over(upto),
        _next_prev=ibis.ifelse(first, m.prev_time, none_t).min().over(after),
        _next_before=ibis.ifelse(first, before, none_n).min().over(after),
        _last=m.time.max().over(whole),
        _buyers=m.nb.max().over(whole),
    )
    return m.mutate(
        session_end=ibis.coalesce(m._next_prev, m._last),
        session_buyer_messages=ibis.coalesce(m._next_before, m._buyers) - m._buyers_before,
    ).drop("_buyers_before", "_next_prev", "_next_before", "_last", "_buyers")


def _in_scope(m: ir.Table, scope: Scope) -> ir.Table:
    if scope.agent is not None:
        m = m.filter(m.agent == scope.agent)
    first, last = (m.session_start, m.session_end) if scope.whole_sessions else (m.time, m.time)
    if scope.start is not None:
        m = m.filter(last >= scope.start)
    if scope.end is not None:
        m = m.filter(first < scope.end)
    return m


def _kind(m: ir.Table, auto_reply_counts: bool) -> ir.StringValue:
    msg_type = m.msg_type.fill_null("text")
    automatic = (m.sender == "agent") & m.auto_reply.fill_null(False)
    return ibis.cases(
        (msg_type == "withdrawn", "withdrawn"),
        (msg_type == "handoff", "handoff"),
        (m.sender == "bot", "bot"),
        (m.sender == "system", "system"),
        (automatic, "auto_reply"),
        (m.is_reply, "reply"),
        (m.is_buyer, "buyer"),
        else_="agent",
    )


def _with_rounds(m: ir.Table, blocks: Blocks) -> ir.Table:
    """Each buyer message with its round (the rounds block: reply horizon, bot hand-off) and
    each valid reply with the round it answers. A round's start is a function of its run
    (`seg`) and the message's time, so joining on them needs no unique message order."""
    started, r = blocks.block("started"), blocks.block("rounds")
    runs = started.select(
        _cid=started.cid, _seg=started.seg, _time=started.time, _rs=started.round_start
    ).distinct()
    m = m.left_join(runs, [m.cid == runs._cid, m.seg == runs._seg, m.time == runs._time])
    m = m.select(*[c for c in m.columns if c not in ("_cid", "_seg", "_time")])
    own = r.select(_cid=r.cid, _seg=r.seg, _rs2=r.round_start, _ok=r.answered, _resp=r.response_s)
    m = m.left_join(own, [m.cid == own._cid, m.seg == own._seg, m._rs == own._rs2])
    m = m.select(*[c for c in m.columns if c not in ("_cid", "_seg", "_rs2")])
    answered = r.filter(r.answered)
    ans = answered.select(
        _cid=answered.cid,
        _next=answered.seg + 1,  # a valid reply's run is one more than the run it answers
        _ars=answered.round_start,
        _aresp=answered.response_s,
    )
    m = m.left_join(ans, [m.cid == ans._cid, m.seg == ans._next])
    m = m.select(*[c for c in m.columns if c not in ("_cid", "_next")])
    none_t, none_f = ibis.null("timestamp"), ibis.null("float64")
    return m.mutate(
        round_start=ibis.ifelse(m.is_buyer, m._rs, ibis.ifelse(m.is_reply, m._ars, none_t)),
        round_answered=ibis.ifelse(
            m.is_buyer,
            m._ok.fill_null(False),
            ibis.ifelse(m.is_reply & m._ars.notnull(), True, ibis.null("boolean")),
        ),
        response_s=ibis.ifelse(m.is_buyer, m._resp, ibis.ifelse(m.is_reply, m._aresp, none_f)),
    ).drop("_rs", "_ok", "_resp", "_ars", "_aresp")


def _without_rounds(m: ir.Table) -> ir.Table:
    return m.mutate(
        round_start=ibis.null("timestamp"),
        round_answered=ibis.null("boolean"),
        response_s=ibis.null("float64"),
    )
