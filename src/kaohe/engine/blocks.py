"""Building blocks (spec: metrics.md): threads, valid replies, agent assignment, the filter,
sessions, rounds with the reply horizon and bot hand-off, transfers and concurrency.

Every block is an Ibis expression, portable between DuckDB and PySpark: no asof joins, no
ordered first/last; fills are running min/max of (time, seq)-packed strings, sessions come
from their first rows, reply runs are cumulative sums of flags.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir

from kaohe.engine.params import BlockParams, Window

Keep = Callable[[ir.Table], ir.Table]  # materialises a table (compute.Blocks.keep)
THREAD = ("shop", "buyer")
ORDER = ("time", "seq")
# The blocks carry no strings: a thread (shop, buyer) is a number `tid`, an agent a number
# `aid` (0: none), a conversation (thread × agent) `cid` = tid × AGENT_SLOTS + aid. Windows
# and materialised tables are then narrow — several times faster at 10M messages — and
# `dress` joins the names back for the metrics.
CONV = ("tid", "aid", "cid")
THREAD_ID = ("tid",)
CONV_ID = ("cid",)
ROUND_ITERATIONS = 3  # split passes inline; longer unanswered runs are split in a loop
MAX_ROUND_PASSES = 10_000  # a run of 10,000 unanswered horizons (27 years of daily messages)
AGENT_SLOTS = 1 << 24  # conversation id = thread id × AGENT_SLOTS + agent number


def _cum(group_by: tuple[str, ...] | list[str], desc: bool = False) -> Any:
    order = [ibis.desc(c) for c in ORDER] if desc else list(ORDER)
    return ibis.window(group_by=list(group_by), order_by=order, rows=(None, 0))


def delta_ms(later: ir.Value, earlier: ir.Value) -> ir.IntegerValue:
    return later.delta(earlier, unit="millisecond")


def seconds_of_day(t: ir.TimestampValue) -> ir.IntegerValue:
    return t.hour() * 3600 + t.minute() * 60 + t.second()


def in_window(t: ir.TimestampValue, window: Window | None) -> ir.BooleanValue:
    """Daily service hours; a window whose end is before its start crosses midnight."""
    if window is None:
        return t.notnull()
    sod = seconds_of_day(t)
    if window.crosses_midnight:
        return (sod >= window.start_s) | (sod < window.end_s)
    return (sod >= window.start_s) & (sod < window.end_s)


def valid_reply(m: ir.Table, auto_reply_counts: bool) -> ir.BooleanValue:
    """An agent message that is not automatic, not from a bot or the system, not withdrawn."""
    cond = (m.sender == "agent") & (m.msg_type.fill_null("text") != "withdrawn")
    if not auto_reply_counts:
        cond = cond & ~m.auto_reply.fill_null(False)
    return cond


EPOCH = ibis.timestamp("1970-01-01 00:00:00")
MS_DIGITS, SEQ_DIGITS = 15, 12  # widths of the packed sort key


def _packed(m: ir.Table, value: ir.StringValue) -> ir.StringValue:
    """`value` behind a fixed-width (time in ms, seq) prefix: the running max / min of packed
    strings along the thread is the value of the latest / next such row — a forward or
    backward fill in one ordered window, on any backend."""
    ms = delta_ms(m.time, EPOCH).cast("string").lpad(MS_DIGITS, "0")
    return ms.concat(m.seq.cast("string").lpad(SEQ_DIGITS, "0"), value)


def _unpack(packed: ir.StringValue) -> tuple[ir.IntegerValue, ir.StringValue]:
    """(time in ms, value) of a packed string."""
    return (packed.substr(0, MS_DIGITS).cast("int64"), packed.substr(MS_DIGITS + SEQ_DIGITS))


def assign_agents(m: ir.Table, horizon_ms: int) -> ir.Table:
    """Every row gets the agent it belongs to: a row naming its agent keeps it (agent rows
    always do); otherwise the agent of the next valid reply of the thread within the reply
    horizon, else of the previous agent message. Only threads holding such rows pay for
    the fills. `m` carries the thread id `tid`, the agent number `aid` (0: none) and the
    flags `is_agent`, `is_reply`."""
    need = m.filter((m.aid == 0) & ~m.is_agent).select(*THREAD_ID).distinct()
    done = m.anti_join(need, list(THREAD_ID))
    todo = m.semi_join(need, list(THREAD_ID))
    none = ibis.null("string")
    aid = todo.aid.cast("string")
    following = ibis.window(group_by=list(THREAD_ID), order_by=list(ORDER), rows=(0, None))
    todo = todo.mutate(
        _next=ibis.ifelse(todo.is_reply, _packed(todo, aid), none).min().over(following),
        _prev=ibis.ifelse(todo.is_agent & (todo.aid != 0), _packed(todo, aid), none)
        .max()
        .over(_cum(THREAD_ID)),
    )
    next_ms, next_aid = _unpack(todo._next)
    in_horizon = (next_ms - delta_ms(todo.time, EPOCH)) <= horizon_ms
    found = ibis.coalesce(ibis.ifelse(in_horizon, next_aid, none), _unpack(todo._prev)[1])
    todo = todo.mutate(aid=ibis.ifelse(todo.aid != 0, todo.aid, found.cast("int64").fill_null(0)))
    return ibis.union(done, todo.drop("_next", "_prev"))


def dimensions(
    con: Any,
    exclude_buyers: tuple[str, ...],
    ad_sessions: bool = False,
) -> tuple[ir.Table, ir.Table]:
    """The numbered threads (tid, shop, buyer, platform) and agents (aid, agent)."""
    m = _messages(con, exclude_buyers, ad_sessions)
    threads = m.group_by(list(THREAD)).agg(platform=m.platform.max())
    number = ibis.row_number().over(ibis.window(order_by=list(THREAD))).cast("int64")
    threads = threads.mutate(tid=number)  # int64 on every backend (Spark's row_number: int32)
    agents = m.select("agent").distinct()
    agents = agents.filter(agents.agent.notnull())
    agents = agents.mutate(
        aid=ibis.row_number().over(ibis.window(order_by="agent")).cast("int64") + 1
    )
    return threads, agents


def _messages(
    con: Any,
    exclude_buyers: tuple[str, ...],
    ad_sessions: bool = False,
) -> ir.Table:
    """The messages metrics may count: without the exclusion list's buyers and, with
    `ad_sessions`, without the sessions the quality inspection found advertising or spam."""
    m = con.table("messages")
    if exclude_buyers:
        m = m.filter(~m.buyer.isin(list(exclude_buyers)))
    if ad_sessions:
        f = con.table("qa_findings")
        spam = f.filter((f.category == "spam") & f.session_start.notnull())
        spam = spam.select(
            _shop=spam.shop,
            _buyer=spam.buyer,
            _start=spam.session_start,
            _end=ibis.coalesce(spam.session_end, spam.time),
        ).distinct()
        m = m.anti_join(
            spam,
            [
                m.shop == spam._shop,
                m.buyer == spam._buyer,
                m.time >= spam._start,
                m.time <= spam._end,
            ],
        )
    return m


def assigned_base(
    con: Any,
    threads: ir.Table,
    agents: ir.Table,
    exclude_buyers: tuple[str, ...],
    keep_text: bool,
    horizon_ms: int = 24 * 3_600_000,
    auto_reply_counts: bool = False,
    ad_sessions: bool = False,
    carry: tuple[tuple[str, str], ...] = (),
) -> ir.Table:
    """All messages as numbers and flags, with their assigned agent (the text only when the
    ad filter needs it; `carry`: further message columns as (name, column), for the
    conversation model). Rows no agent could be assigned to keep aid 0: they count for the
    shop, not for any agent (data-model.md)."""
    m = _messages(con, exclude_buyers, ad_sessions)
    # only the columns the flags read go through the joins: the text becomes its length first
    needed = [*THREAD, "agent", "time", "seq", "sender", "msg_type", "auto_reply"]
    needed += [column for _, column in carry]
    if keep_text:
        needed.append("text")
    m = m.select(*dict.fromkeys(needed), _chars=m.text.fill_null("").length())
    m = m.join(threads.select(*THREAD, "tid"), list(THREAD))
    m = m.left_join(agents, "agent").select(*m.columns, "aid")
    flags = {
        "time": m.time,
        "seq": m.seq.fill_null(0).cast("int64"),
        "tid": m.tid.cast("int64"),
        "aid": m.aid.fill_null(0).cast("int64"),
        "chars": m._chars,
        "is_agent": m.sender == "agent",
        "is_buyer": m.sender == "buyer",
        "is_reply": valid_reply(m, auto_reply_counts),
        "is_handoff": m.msg_type.fill_null("") == "handoff",
    }
    if keep_text:
        flags["text"] = m.text
    flags.update({name: m[column] for name, column in carry})
    m = assign_agents(m.select(**flags), horizon_ms)
    return m.mutate(cid=m.tid * AGENT_SLOTS + m.aid)


def assigned(m: ir.Table) -> ir.Table:
    """The assigned messages with the local day, reply runs `seg`, the previous message's
    time and the running count of buyer messages `nb` — every window over one sort."""
    m = m.mutate(
        day=m.time.date(),
        seg=m.is_reply.cast("int64").sum().over(_cum(CONV_ID)),
        nb=m.is_buyer.cast("int64").sum().over(_cum(CONV_ID)),
        prev_time=m.time.lag().over(ibis.window(group_by=list(CONV_ID), order_by=list(ORDER))),
    )
    return m.drop("is_agent")


def dress(t: ir.Table, threads: ir.Table | None, agents: ir.Table) -> ir.Table:
    """A block with the names back: shop, buyer, platform from `tid` (unless `threads` is
    None: a query that reads none of them skips that join), agent from `aid`."""
    if threads is not None:
        t = t.join(threads, "tid")
    t = t.left_join(agents, "aid").select(*t.columns, "agent")
    if "from_aid" in t.columns:
        named = agents.select(from_aid=agents.aid, from_agent=agents.agent)
        t = t.left_join(named, "from_aid").select(*t.columns, "from_agent")
    return t


def thread(m: ir.Table, bp: BlockParams) -> ir.Table:
    """The assigned messages after the ad / spam filter, which works on sessions and so
    numbers them per row (`sid`); without ad rules, sessions come from their first rows."""
    if not bp.ad_patterns:
        return m
    return _drop_ad_sessions(with_session_ids(m, bp.session_gap_ms), bp.ad_patterns)


def session_start(m: ir.Table, gap_ms: int) -> ir.BooleanValue:
    return m.prev_time.isnull() | (delta_ms(m.time, m.prev_time) > gap_ms)


def with_session_ids(m: ir.Table, gap_ms: int) -> ir.Table:
    """Session id per (shop, buyer, agent): a new session when the gap exceeds `gap_ms`."""
    m = m.mutate(session_start_row=session_start(m, gap_ms))
    return m.mutate(sid=m.session_start_row.cast("int64").sum().over(_cum(CONV_ID)))


def _drop_ad_sessions(m: ir.Table, patterns: tuple[str, ...]) -> ir.Table:
    """The ad / spam filter hook: sessions whose buyer messages match a rule are excluded."""
    pattern = "|".join(f"(?:{p})" for p in patterns)
    hit = m.is_buyer & m.text.fill_null("").re_search(pattern)
    m = m.mutate(_ad=hit.cast("int64").max().over(ibis.window(group_by=[*CONV_ID, "sid"])))
    return m.filter(m._ad == 0).drop("_ad")


def sessions(m: ir.Table, gap_ms: int) -> ir.Table:
    """One row per session that has at least one buyer message: start (and the first row's
    seq), end, buyer messages, whether the buyer opened it."""
    s = _sessions_by_id(m) if "sid" in m.columns else _sessions_from_starts(m, gap_ms)
    s = s.filter(s.buyer_messages > 0)
    return s.mutate(day=s.start.date(), duration_ms=delta_ms(s.end, s.start))


def _sessions_from_starts(m: ir.Table, gap_ms: int) -> ir.Table:
    """Sessions from their first rows alone: a session ends where the next one's first row
    says the previous message was, and holds the buyer messages counted in between."""
    first = m.filter(session_start(m, gap_ms))
    first = first.select(
        *CONV,
        "prev_time",
        start=first.time,
        start_seq=first.seq,
        by_buyer=first.is_buyer,
        before=first.nb - first.is_buyer.cast("int64"),
    )
    w = ibis.window(group_by=list(CONV_ID), order_by=["start", "start_seq"])
    first = first.mutate(
        _next_prev=first.prev_time.lead().over(w), _next_before=first.before.lead().over(w)
    )
    totals = m.group_by(CONV_ID).agg(_last=m.time.max(), _buyers=m.nb.max())
    s = first.join(totals, list(CONV_ID))
    return s.select(
        *CONV,
        "start",
        "start_seq",
        "by_buyer",
        end=ibis.coalesce(s._next_prev, s._last),
        buyer_messages=ibis.coalesce(s._next_before, s._buyers) - s.before,
    )


def _sessions_by_id(m: ir.Table) -> ir.Table:
    first_row = m.session_start_row
    s = m.group_by([*CONV, "sid"]).agg(
        start=m.time.min(),
        start_seq=ibis.ifelse(first_row, m.seq, ibis.null("int64")).max(),
        end=m.time.max(),
        buyer_messages=m.is_buyer.cast("int64").sum(),
        by_buyer=(first_row & m.is_buyer).cast("int64").max(),
    )
    return s.mutate(by_buyer=s.by_buyer == 1).drop("sid")


def _round_starts(b: ir.Table, horizon_ms: int) -> ir.Table:
    """Split each run of buyer messages between two valid replies into rounds: a round stays
    open until its reply or until the horizon after its start has passed. Runs shorter than
    the horizon (nearly all) are one round; the others are split in a few passes. Rows of
    runs longer still are marked `_unsplit` for `split_long_runs`."""
    keys = ["cid", "seg"]
    span = b.group_by(keys).agg(_first=b.time.min(), _last=b.time.max())
    b = b.join(span, keys)
    short = delta_ms(b._last, b._first) <= horizon_ms
    done = ibis.literal(False)
    parts = [b.filter(short).mutate(round_start=b._first, _unsplit=done).drop("_first", "_last")]
    rest = b.filter(~short).drop("_first", "_last")
    for _ in range(ROUND_ITERATIONS):
        starts = rest.group_by(keys).agg(round_start=rest.time.min())
        joined = rest.join(starts, keys)
        inside = delta_ms(joined.time, joined.round_start) <= horizon_ms
        parts.append(joined.filter(inside).mutate(_unsplit=done))
        rest = joined.filter(~inside).drop("round_start")
    parts.append(
        rest.mutate(
            round_start=rest.time.min().over(ibis.window(group_by=keys)),
            _unsplit=ibis.literal(True),
        )
    )
    return ibis.union(*parts)


def split_long_runs(started: ir.Table, horizon_ms: int, keep: Keep | None) -> ir.Table:
    """Finish the split of `_round_starts` on the (materialised, usually empty) rest: one
    pass per further round, each on the rows still left, until none are."""
    if keep is None or not started.filter(started._unsplit).count().execute():
        return started.drop("_unsplit")
    keys = ["cid", "seg"]
    parts = [started.filter(~started._unsplit).drop("_unsplit")]
    rest = keep(started.filter(started._unsplit).drop("round_start", "_unsplit"))
    for _ in range(MAX_ROUND_PASSES):
        if not rest.count().execute():
            break
        starts = rest.group_by(keys).agg(round_start=rest.time.min())
        joined = rest.join(starts, keys)
        inside = delta_ms(joined.time, joined.round_start) <= horizon_ms
        parts.append(joined.filter(inside))
        rest = keep(joined.filter(~inside).drop("round_start"))
    return keep(ibis.union(*parts))


def round_messages(m: ir.Table, horizon_ms: int) -> tuple[ir.Table, ir.Table, ir.Table]:
    """Buyer messages with their round's start, the valid replies and the hand-offs, each
    with its run number `seg` (runs of buyer messages between two valid replies)."""
    stream = m.filter(m.is_buyer | m.is_reply | m.is_handoff)
    buyers = stream.filter(stream.is_buyer).select(*CONV, "seg", "time", "seq")
    replies = stream.filter(stream.is_reply).select(
        r_cid=stream.cid, reply_seg=stream.seg - 1, reply_time=stream.time
    )
    handoffs = stream.filter(stream.is_handoff).select(
        h_cid=stream.cid, h_seg=stream.seg, h_time=stream.time
    )
    return _round_starts(buyers, horizon_ms), replies, handoffs


def rounds(started: ir.Table, replies: ir.Table, handoffs: ir.Table, horizon_ms: int) -> ir.Table:
    """One row per round: start, effective start (after a bot hand-off), reply, response."""
    r = started.group_by([*CONV, "seg", "round_start"]).agg(buyer_messages=started.time.count())
    r = r.left_join(replies, [r.cid == replies.r_cid, r.seg == replies.reply_seg])
    r = r.select(*CONV, "seg", "round_start", "buyer_messages", "reply_time")
    r = _apply_handoffs(r, handoffs, horizon_ms)
    span = delta_ms(r.reply_time, r.round_start)
    answered = r.reply_time.notnull() & (span <= horizon_ms)
    response = ibis.ifelse(
        answered, delta_ms(r.reply_time, r.start).cast("float64") / 1000.0, ibis.null("float64")
    )
    return r.mutate(
        day=r.round_start.date(), answered=answered.fill_null(False), response_s=response
    )


def _apply_handoffs(r: ir.Table, h: ir.Table, horizon_ms: int) -> ir.Table:
    """A hand-off inside an open round moves the round's start (the human is not charged for
    the bot's time)."""
    j = r.join(h, [r.cid == h.h_cid, r.seg == h.h_seg])
    j = j.filter((j.h_time >= j.round_start) & (delta_ms(j.h_time, j.round_start) <= horizon_ms))
    last = j.group_by(["cid", "round_start"]).agg(handoff=j.h_time.max())
    out = r.left_join(last, ["cid", "round_start"])
    out = out.select(*r.columns, "handoff")
    return out.mutate(start=ibis.coalesce(out.handoff, out.round_start))


def first_rounds(s: ir.Table, started: ir.Table, r: ir.Table) -> ir.Table:
    """Sessions started by a buyer, each with the round that holds its first buyer message."""
    s = s.filter(s.by_buyer)
    st = started.select(
        _cid=started.cid, _time=started.time, _seq=started.seq, round_start=started.round_start
    )
    fs = s.join(st, [s.cid == st._cid, s.start == st._time, s.start_seq == st._seq])
    fs = fs.select(*CONV, "start", "day", "round_start")
    rr = r.select("cid", "round_start", "answered", "response_s")
    j = fs.join(rr, ["cid", "round_start"])
    return j.select(*CONV, "start", "day", "answered", "response_s")


def transfers(m: ir.Table, gap_ms: int) -> ir.Table:
    """Hand-overs between agents inside one thread within a session gap: from_aid, aid.
    Only threads where more than one agent wrote are sorted."""
    agents = m.filter(m.aid != 0).group_by(THREAD_ID).agg(_lo=m.aid.min(), _hi=m.aid.max())
    multi = agents.filter(agents._lo != agents._hi).select(*THREAD_ID)
    m = m.semi_join(multi, list(THREAD_ID))
    w = ibis.window(group_by=list(THREAD_ID), order_by=list(ORDER))
    t = m.mutate(from_aid=m.aid.lag().over(w), prev_time=m.time.lag().over(w))
    moved = (
        (t.from_aid != 0)
        & (t.aid != 0)
        & (t.from_aid != t.aid)
        & (delta_ms(t.time, t.prev_time) <= gap_ms)
    )
    return t.filter(moved.fill_null(False)).select("tid", "aid", "from_aid", "day")


def concurrency(s: ir.Table) -> ir.Table:
    """Sweep over session starts (+1) and ends (-1) per agent: open sessions at each start."""
    s = s.filter(s.aid != 0)
    ups = s.select("aid", "tid", t=s.start, step=ibis.literal(1), o=ibis.literal(0))
    downs = s.select("aid", "tid", t=s.end, step=ibis.literal(-1), o=ibis.literal(1))
    ev = ibis.union(ups, downs)
    w = ibis.window(group_by=["aid"], order_by=["t", "o"], rows=(None, 0))
    ev = ev.mutate(open=ev.step.sum().over(w))
    ev = ev.filter(ev.step == 1)
    return ev.select("aid", "tid", "open", day=ev.t.date())


def shop_platforms(blocks: Any) -> ir.Table:
    """Each shop's platform as its messages and orders name it, for tables that carry none
    (ratings, refunds, tickets, status rows…)."""
    m, o = blocks.table("messages"), blocks.table("orders")
    named = ibis.union(m.select("shop", "platform"), o.select("shop", "platform"))
    return named.group_by("shop").agg(platform=named.platform.max())


def with_platform(t: ir.Table, blocks: Any) -> ir.Table:
    """`t` (with a `shop` column) plus its shop's platform (null for a shop never seen)."""
    shops = shop_platforms(blocks)
    return t.left_join(shops, "shop").select(*t.columns, "platform")
