"""Reads shared by the agent, conversation, credit and review pages: sessions as the quality
inspection defines them, one conversation with its round response times and QA hits, values
formatted by unit. Everything is read from the store or asked of the library (engine, QA,
credit); nothing here defines a figure of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends
from markupsafe import Markup, escape

from kaohe.engine.periods import Period
from kaohe.privacy import mask_buyer, mask_text
from kaohe.qa.findings import MESSAGES_SQL, START_FORMAT, bounds, session_id
from kaohe.spreadsheet import Column
from kaohe.web.auth import User, current_user
from kaohe.web.deps import period_param, store

# FastAPI parameters of the pages (Annotated: no calls in argument defaults)
StoreDep = Annotated[Any, Depends(store)]
PeriodDep = Annotated[str, Depends(period_param)]
UserDep = Annotated[User, Depends(current_user)]

# how far either side of a moment the session lookup reads: a session is a run of messages
# with gaps under 30 minutes, so two days either side holds any real one whole
LOOKUP_DAYS = 2
ORDERS_BEFORE = timedelta(hours=24)  # orders shown from a day before the session …
CREDITED_ORDERS = 3  # … and the order credit (about a second each) for the first few


def messages_sql(where: str) -> str:
    """The inspection's session query (kaohe.qa.findings.MESSAGES_SQL: the same 30-minute gap
    per shop, buyer and agent, so findings line up) over the messages matching `where` only.
    `where` must only narrow by shop, buyer or agent (the partition keys), never by time.
    Parameters: those of `where`, then the [start, end) bounds."""
    return (
        f"WITH messages AS (SELECT * FROM main.messages WHERE {where}) "
        f"SELECT * FROM ({MESSAGES_SQL})"
    )


# ---------------------------------------------------------------- request helpers


def params(request: Any, owners: Sequence[Any] = (), presets: Sequence[Any] = ()) -> Any:
    """The parameters of a page, resolved as the CLI resolves them (kaohe.params): defaults,
    then the app's kaohe.toml [metrics.params]. `owners`: the schemes and plans the page reads,
    `presets`: the compliance presets it runs."""
    from kaohe.params import resolve_params

    config = getattr(request.app.state, "config", None)
    if config is None:
        return resolve_params(owners=owners, presets=presets)
    return resolve_params(config.params, owners=owners, presets=presets, file=config.path)


def overrides(request: Any) -> dict[str, Any]:
    """The metric engine's parameter overrides of a page (see `params`)."""
    return dict(params(request).engine)


def lang_of(request: Any) -> str:
    from kaohe.web.render import request_lang

    return request_lang(request)


def masked_row(row: Mapping[str, Any], sees_pii: bool) -> dict[str, Any]:
    """A row of the library's output for a role: buyer accounts and free text masked."""
    if sees_pii:
        return dict(row)
    out = dict(row)
    for key, value in row.items():
        if key == "buyer":
            out[key] = mask_buyer(value)
        elif isinstance(value, str):
            out[key] = mask_text(value)
    return out


def wants_xlsx(request: Any) -> bool:
    return request.query_params.get("format") == "xlsx"


def export(
    store: Any,
    user: Any,
    rows: list[dict[str, Any]],
    columns: Sequence[Column | tuple[str, str]],
    filename: str,
    detail: str,
) -> Any:
    """A page table as an audited Excel download (rows already masked for the user);
    `columns` are Columns (with units) or (row key, header label) pairs."""
    from kaohe.web import audit
    from kaohe.web.downloads import xlsx_response

    audit.record(store, user, "export", f"{filename}: {detail} ({len(rows)} rows)")
    return xlsx_response(rows, columns, filename, filename.removesuffix(".xlsx"))


def shown_buyer(buyer: str | None, sees_pii: bool) -> str | None:
    return buyer if sees_pii else mask_buyer(buyer)


def shown_text(text: str | None, sees_pii: bool) -> str | None:
    return text if sees_pii else mask_text(text)


def when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime(START_FORMAT)
    return "" if value is None else str(value)


# ---------------------------------------------------------------- sessions of an agent

SESSIONS_OF_AGENT = """
SELECT s.shop, s.buyer, s.session_start, s.session_end, s.messages, s.buyer_messages,
       s.first_key, coalesce(f.hits, 0) AS hits
FROM (SELECT shop, buyer, session_start, max(session_end) AS session_end, count(*) AS messages,
             count(*) FILTER (WHERE sender = 'buyer') AS buyer_messages,
             arg_min(msg_key, time) AS first_key
      FROM ({messages}) GROUP BY shop, buyer, session_start) s
LEFT JOIN (SELECT shop, buyer, session_start, count(*) AS hits FROM qa_findings
           WHERE agent = ? GROUP BY shop, buyer, session_start) f
  ON f.shop = s.shop AND f.buyer = s.buyer AND f.session_start = s.session_start
ORDER BY s.session_start DESC, s.shop, s.buyer
"""


def agent_sessions(
    store: Any, agent: str, period: Period | None, sees_pii: bool
) -> list[dict[str, Any]]:
    """The agent's sessions in the period, newest first, with their QA hit counts; `key` is the
    session's first message (an opaque id for links that must not carry the buyer)."""
    start, end = bounds(period, store)
    sql = SESSIONS_OF_AGENT.format(messages=messages_sql("agent = ?"))
    rows = store.con.execute(sql, [agent, start, end, agent]).fetchall()
    out = []
    for shop, buyer, s0, s1, n, n_buyer, key, hits in rows:
        out.append(
            {
                "session": session_id(shop, shown_buyer(buyer, sees_pii), agent, s0),
                "shop": shop,
                "buyer": shown_buyer(buyer, sees_pii),
                "start": when(s0),
                "end": when(s1),
                "messages": int(n),
                "buyer_messages": int(n_buyer),
                "hits": int(hits),
                "key": key,
            }
        )
    return out


# ---------------------------------------------------------------- one conversation


@dataclass
class Session:
    shop: str
    buyer: str
    agent: str | None
    start: datetime
    end: datetime
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return session_id(self.shop, self.buyer, self.agent, self.start)

    @property
    def key(self) -> str:
        """The first message's key: names the session in URLs without the buyer."""
        return str(self.messages[0]["msg_key"]) if self.messages else ""

    @property
    def day(self) -> date:
        return self.start.date()


def find_session(
    store: Any, shop: str, buyer: str, at: datetime, agent: str | None = None
) -> Session | None:
    """The (shop, buyer) session holding the moment `at` (of `agent` when given; several
    agents' sessions can hold it after a transfer: the one with a message nearest `at`), or
    the session starting nearest to it the same day; None when there is none."""
    lo, hi = at - timedelta(days=LOOKUP_DAYS), at + timedelta(days=LOOKUP_DAYS)
    cur = store.con.execute(
        messages_sql("shop = ? AND buyer = ?") + " ORDER BY time, seq", [shop, buyer, lo, hi]
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if agent is not None:
        rows = [r for r in rows if r["agent"] == agent]
    if not rows:
        return None
    holding = [r for r in rows if r["session_start"] <= at <= r["session_end"]]
    pool = holding or [r for r in rows if r["session_start"].date() == at.date()]
    if not pool:
        return None
    nearest = min(pool, key=lambda r: abs((r["time"] - at).total_seconds()))
    chosen = [
        r
        for r in rows
        if r["agent"] == nearest["agent"] and r["session_start"] == nearest["session_start"]
    ]
    return Session(
        shop, buyer, nearest["agent"], nearest["session_start"], nearest["session_end"], chosen
    )


def session_by_key(store: Any, msg_key: str) -> Session | None:
    """The session holding one message (by its key)."""
    row = store.con.execute(
        "SELECT shop, buyer, agent, time FROM messages WHERE msg_key = ?", [msg_key]
    ).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return None
    shop, buyer, agent, at = row
    return find_session(store, shop, buyer, at, agent)


def round_responses(
    store: Any, session: Session, overrides: Mapping[str, Any] | None = None
) -> dict[datetime, float]:
    """Reply time -> the round's response time in seconds, as the engine's rounds block has
    them for this session's agent (the avg_response_s definition)."""
    from kaohe.engine.compute import Evaluator, make_request
    from kaohe.engine.params import BlockParams
    from kaohe.engine.registry import get

    if session.agent is None:
        return {}
    period = Period(session.start.date(), session.end.date(), "session")
    request = make_request(("agent",), period, ["avg_response_s"], overrides, [session.agent])
    params = request.params(get("avg_response_s"))
    evaluator = Evaluator(store.ibis(), request, cache=False)
    try:
        t = evaluator.source(BlockParams.from_params(params), "rounds", params)
        t = t.filter((t.shop == session.shop) & (t.buyer == session.buyer) & t.answered)
        rows = t.select("reply_time", "response_s").to_pyarrow().to_pylist()
    finally:
        evaluator.close()
    return {
        r["reply_time"]: float(r["response_s"])
        for r in rows
        if r["reply_time"] is not None and r["response_s"] is not None
    }


def session_hits(store: Any, session: Session) -> dict[str, list[dict[str, Any]]]:
    """msg_key -> the QA findings on that message (rule, severity, span, matched)."""
    keys = [m["msg_key"] for m in session.messages]
    if not keys:
        return {}
    rows = store.con.execute(
        "SELECT msg_key, rule, category, severity, span_start, span_end, matched "
        "FROM qa_findings WHERE msg_key IN (SELECT unnest(?)) ORDER BY msg_key, span_start, rule",
        [keys],
    ).fetchall()
    from kaohe.qa.rules import rule_names

    names = rule_names()
    out: dict[str, list[dict[str, Any]]] = {}
    for key, rule, category, severity, s0, s1, matched in rows:
        out.setdefault(key, []).append(
            {
                "rule": rule,
                "name": names.get(rule, rule),
                "category": category,
                "severity": severity,
                "start": s0,
                "end": s1,
                "matched": matched,
            }
        )
    return out


# ---------------------------------------------------------------- highlighting


def _segments(text: str, hits: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[str]]]:
    """The text cut at every span boundary: (piece, rules covering it)."""
    spans = [
        (int(h["start"]), int(h["end"]), str(h["rule"]))
        for h in hits
        if h.get("start") is not None
        and h.get("end") is not None
        and 0 <= int(h["start"]) < int(h["end"]) <= len(text)
    ]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        rules = sorted({r for s, e, r in spans if s <= a and b <= e})
        out.append((text[a:b], rules))
    return out


def _mark(piece: str, rules: Sequence[str]) -> Markup:
    if not rules:
        return escape(piece)
    return Markup('<mark data-rule="{}">{}</mark>').format(" ".join(rules), piece)


def highlight(text: str | None, hits: Sequence[Mapping[str, Any]], sees_pii: bool) -> Markup:
    """The message as HTML with every QA hit in <mark data-rule=...>. Spans index the stored
    (unmasked) text and masking changes lengths, so the text is cut at the spans first and each
    piece masked on its own. When that would let personal data through (a phone number or a
    cued name cut in two), the whole text is masked and the hit marked by its matched string,
    or the whole message when the match itself was masked away."""
    text = text or ""
    pieces = _segments(text, hits)
    if sees_pii:
        return Markup("").join(_mark(p, r) for p, r in pieces)
    masked = [(mask_text(p) or "", r) for p, r in pieces]  # the same text as masking it whole?
    whole = mask_text(text) or ""
    if "".join(p for p, _ in masked) == whole:
        return Markup("").join(_mark(p, r) for p, r in masked)
    return _mark_by_string(whole, hits)


def _mark_by_string(masked: str, hits: Sequence[Mapping[str, Any]]) -> Markup:
    rules = sorted({str(h["rule"]) for h in hits})
    if not rules:
        return escape(masked)
    found = [
        (masked.find(str(h["matched"])), str(h["matched"]), str(h["rule"]))
        for h in hits
        if h.get("matched") and str(h["matched"]) in masked
    ]
    if not found:
        return _mark(masked, rules)
    at, matched, rule = min(found)
    return escape(masked[:at]) + _mark(matched, [rule]) + escape(masked[at + len(matched) :])


# ---------------------------------------------------------------- the conversation page


def conversation(
    store: Any, session: Session, sees_pii: bool, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What the viewer shows: every message (masked for roles without the right), agent
    replies with their round's response time, QA hits marked at their span."""
    responses = round_responses(store, session, overrides)
    hits = session_hits(store, session)
    answered: set[datetime] = set()
    messages = []
    for m in session.messages:
        response = None
        if m["sender"] == "agent" and m["time"] in responses and m["time"] not in answered:
            answered.add(m["time"])
            response = responses[m["time"]]
        found = hits.get(m["msg_key"], [])
        messages.append(
            {
                "key": m["msg_key"],
                "sender": m["sender"],
                "time": when(m["time"]),
                "agent": m["agent"],
                "msg_type": m["msg_type"],
                "html": highlight(m["text"], found, sees_pii),
                "response_s": response,
                "hits": found,
            }
        )
    return {
        "shop": session.shop,
        "buyer": shown_buyer(session.buyer, sees_pii),
        "agent": session.agent,
        "start": when(session.start),
        "end": when(session.end),
        "session": session_id(
            session.shop, shown_buyer(session.buyer, sees_pii), session.agent, session.start
        ),
        "key": session.key,
        "messages": messages,
        "hits": sum(len(v) for v in hits.values()),
    }


def orders_near(
    store: Any, session: Session, sees_pii: bool, overrides: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The buyer's orders in the shop from a day before the session to one credit window after
    it, the first few with the agent they are credited to (kaohe.engine.attribution.credit)."""
    from kaohe.engine.attribution import credit, credit_params

    window_h = float(credit_params(overrides)["window"])
    lo = session.start - ORDERS_BEFORE
    hi = session.end + timedelta(hours=window_h)
    rows = store.con.execute(
        "SELECT order_id, created_at, paid_at, amount, status FROM orders WHERE shop = ? "
        "AND buyer = ? AND created_at BETWEEN ? AND ? ORDER BY created_at, order_id",
        [session.shop, session.buyer, lo, hi],
    ).fetchall()
    out = []
    for i, (order_id, created, paid, amount, status) in enumerate(rows):
        row = {
            "order_id": order_id,
            "created_at": when(created),
            "paid_at": when(paid),
            "amount": None if amount is None else float(amount),
            "status": status,
            "credited_agent": None,
            "reason": None,
            "credited": i < CREDITED_ORDERS,
        }
        if i < CREDITED_ORDERS:
            result = credit(store, order_id, overrides)
            reason = result["reason"]
            row.update(
                credited_agent=result["credited_agent"],
                reason=reason if sees_pii else {k: mask_text(v) for k, v in reason.items()},
            )
        out.append(row)
    return out
