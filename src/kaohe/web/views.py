"""Reads shared by the agent, conversation, credit and review pages: sessions and one
conversation as the engine's conversation model has them (kaohe.engine.conversation: the
agent each message is assigned to, the session under `session_gap`, rounds and valid replies),
with their QA hits, values formatted by unit. Everything is read from the store or asked of the
library (engine, QA, credit); nothing here defines a figure of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends
from markupsafe import Markup, escape

from kaohe.engine.conversation import Scope
from kaohe.engine.periods import Period
from kaohe.privacy import mask_buyer, mask_text
from kaohe.qa.findings import START_FORMAT, bounds, inspected_params, session_id
from kaohe.spreadsheet import Column
from kaohe.web.auth import User, current_user
from kaohe.web.deps import period_param, store

if TYPE_CHECKING:
    from kaohe.store import Store

# FastAPI parameters of the pages (Annotated: no calls in argument defaults)
StoreDep = Annotated[Any, Depends(store)]
PeriodDep = Annotated[str, Depends(period_param)]
UserDep = Annotated[User, Depends(current_user)]

# how far either side of a moment the session lookup reads: a session is a run of messages
# with gaps under the session gap, so two days either side holds any real one whole
LOOKUP_DAYS = 2
ORDERS_BEFORE = timedelta(hours=24)  # orders shown from a day before the session …
CREDITED_ORDERS = 3  # … and the order credit (about a second each) for the first few


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
    store: Store,
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

HITS_OF_SESSIONS = """
SELECT s.shop, s.buyer, s.agent, s.session_start, count(f.rule) AS hits
FROM _kaohe_sessions s LEFT JOIN qa_findings f
  ON f.agent = s.agent AND f.shop = s.shop AND f.buyer = s.buyer
 AND coalesce(f.session_start, f.time) BETWEEN s.session_start AND s.session_end
GROUP BY ALL
"""


def agent_sessions(
    store: Store,
    agent: str,
    period: Period | None,
    sees_pii: bool,
    params: Mapping[str, Any] | None = None,
    everyone: Mapping[str, list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """The agent's sessions started in the period (those `sessions` counts, as the quality
    inspection reads them), newest first, with their QA hit counts (a finding in the session
    it belongs to, as qa_auto_score counts it); `key` is a message of the session (an opaque
    id for links that must not carry the buyer). `everyone`: `period_sessions` of the same
    period and parameters, read instead of the store."""
    if everyone is None:
        everyone = period_sessions(store, period, params, agent)
    rows = everyone.get(agent, [])
    out = []
    for r in sorted(rows, key=lambda r: (r["session_start"], r["shop"], r["buyer"]), reverse=True):
        buyer = shown_buyer(r["buyer"], sees_pii)
        out.append(
            {
                "session": session_id(r["shop"], buyer, agent, r["session_start"]),
                "shop": r["shop"],
                "buyer": buyer,
                "start": when(r["session_start"]),
                "end": when(r["session_end"]),
                "messages": int(r["messages"]),
                "buyer_messages": int(r["buyer_messages"]),
                "hits": r["hits"],
                "key": r["first_key"],
            }
        )
    return out


def period_sessions(
    store: Store,
    period: Period | None,
    params: Mapping[str, Any] | None = None,
    agent: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Agent → their sessions started in the period with buyer messages (the model's session
    rows with `hits`), of every agent in one pass (what the pages precompute after an import),
    or of `agent` alone. Sessions are computed per thread, so one agent's are the same either
    way."""
    from kaohe.engine.conversation import session_frame

    start, end = bounds(period, store)
    found = session_frame(store, inspected_params(params), Scope(start, end, agent=agent))
    hits = _hits_of(store, found)
    out: dict[str, list[dict[str, Any]]] = {}
    for r in found.to_pylist():
        if r["agent"] is None or r["buyer_messages"] <= 0 or not start <= r["session_start"] < end:
            continue
        r["hits"] = hits.get((r["shop"], r["buyer"], r["agent"], r["session_start"]), 0)
        out.setdefault(r["agent"], []).append(r)
    return out


def _hits_of(store: Store, sessions: Any) -> dict[tuple[Any, Any, Any, Any], int]:
    if not sessions.num_rows:
        return {}
    store.con.register("_kaohe_sessions", sessions)
    try:
        rows = store.con.execute(HITS_OF_SESSIONS).fetchall()
    finally:
        store.con.unregister("_kaohe_sessions")
    return {(shop, buyer, agent, s0): int(n) for shop, buyer, agent, s0, n in rows}


# ---------------------------------------------------------------- one conversation


@dataclass
class Session:
    shop: str
    buyer: str
    agent: str | None
    start: datetime
    end: datetime
    messages: list[dict[str, Any]] = field(default_factory=list)  # conversation model rows

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


def viewed_params(params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The parameters the viewer reads a thread with: the resolved ones (session gap, reply
    horizon, automatic replies), every message shown — an excluded buyer's or an advertising
    session too (they leave the figures, not the record)."""
    return {
        **(params or {}),
        "exclude_buyers": [],
        "ad_patterns": [],
        "exclude_ad_sessions": False,
    }


def thread_rows(
    store: Store, shop: str, buyer: str, at: datetime, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The conversation model of one thread, every session within LOOKUP_DAYS of `at` whole,
    in time order."""
    from kaohe.engine.conversation import thread_frame

    lo, hi = at - timedelta(days=LOOKUP_DAYS), at + timedelta(days=LOOKUP_DAYS)
    rows = thread_frame(store, shop, buyer, viewed_params(params))
    # the sessions overlapping [lo, hi), whole (as Scope(lo, hi) with whole_sessions reads)
    rows = [r for r in rows if r["session_end"] >= lo and r["session_start"] < hi]
    return sorted(rows, key=lambda r: (r["time"], r["seq"] or 0))


def _session_of(rows: list[dict[str, Any]], chosen: dict[str, Any]) -> Session:
    """The session of the model row `chosen`: every row of its agent and start."""
    same = [
        r
        for r in rows
        if r["agent"] == chosen["agent"] and r["session_start"] == chosen["session_start"]
    ]
    return Session(
        chosen["shop"],
        chosen["buyer"],
        chosen["agent"],
        chosen["session_start"],
        chosen["session_end"],
        same,
    )


def find_session(
    store: Store,
    shop: str,
    buyer: str,
    at: datetime,
    agent: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> Session | None:
    """The (shop, buyer) session holding the moment `at` (of `agent` when given; several
    agents' sessions can hold it after a transfer: the one with a message nearest `at`), or
    the session starting nearest to it the same day; None when there is none."""
    rows = thread_rows(store, shop, buyer, at, params)
    if agent is not None:
        rows = [r for r in rows if r["agent"] == agent]
    if not rows:
        return None
    holding = [r for r in rows if r["session_start"] <= at <= r["session_end"]]
    pool = holding or [r for r in rows if r["session_start"].date() == at.date()]
    if not pool:
        return None
    nearest = min(pool, key=lambda r: abs((r["time"] - at).total_seconds()))
    return _session_of(rows, nearest)


def session_by_key(
    store: Store, msg_key: str, params: Mapping[str, Any] | None = None
) -> Session | None:
    """The session holding one message (by its key), with the agent it is assigned to."""
    row = store.con.execute(
        "SELECT shop, buyer, time FROM messages WHERE msg_key = ?", [msg_key]
    ).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return None
    shop, buyer, at = row
    rows = thread_rows(store, shop, buyer, at, params)
    mine = [r for r in rows if r["msg_key"] == msg_key]
    return _session_of(rows, mine[0]) if mine else None


def session_hits(store: Store, session: Session) -> dict[str, list[dict[str, Any]]]:
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


def conversation(store: Store, session: Session, sees_pii: bool) -> dict[str, Any]:
    """What the viewer shows: every message of the session (masked for roles without the
    right) — agentless buyer rows, bots and the system too — each with its kind (a valid
    reply, an automatic reply, a bot line, a hand-off, a withdrawn message …), valid replies
    with the response time of the round they answer, buyer messages whose round went
    unanswered marked, QA hits marked at their span."""
    hits = session_hits(store, session)
    messages = []
    for m in session.messages:
        found = hits.get(m["msg_key"], [])
        reply = bool(m["valid_reply"])
        messages.append(
            {
                "key": m["msg_key"],
                "sender": m["sender"],
                "kind": m["kind"],
                "time": when(m["time"]),
                "agent": m["agent"],
                "msg_type": m["msg_type"],
                "html": highlight(m["text"], found, sees_pii),
                "response_s": m["response_s"] if reply else None,
                "unanswered": bool(m["buyer_message"]) and m["round_answered"] is False,
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
    store: Store, session: Session, sees_pii: bool, overrides: Mapping[str, Any] | None = None
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
