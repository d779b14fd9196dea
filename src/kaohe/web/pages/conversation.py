"""The conversation viewer: the messages of one session as the engine's conversation model
has it (kaohe.engine.conversation: the (shop, buyer, agent) session under `session_gap`
holding `at`, buyer rows without an agent included with the agent they are assigned to), each
line marked for what it is (自动回复, 机器人, 系统, 转接, 已撤回), each valid reply with its
round's response time, QA hits marked at their span, and the buyer's orders around it with
the agent each is credited to.

`/conversation?shop=S&buyer=B&at=ISO_TIME` names the session by its thread and a moment;
`/conversation?msg=KEY` by one of its messages (links on pages of roles that must not see
the buyer account use this form, so the account is not in the URL)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from kaohe.web import views
from kaohe.web.auth import User, can_see_agent, sees_buyer_pii
from kaohe.web.cache import cached_on
from kaohe.web.i18n import translate
from kaohe.web.render import render

if TYPE_CHECKING:
    from kaohe.store import Store

router = APIRouter()

NOT_FOUND = "未找到该会话 / conversation not found"


def parse_at(text: str) -> datetime:
    """An ISO time (2026-10-01T09:12:31 or with a space); a trailing Z or offset is dropped:
    message times are stored as local times."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(
            400, f"无效的时间 / invalid time {text!r} (例如 2026-10-01T09:12:31)"
        ) from None
    return value.replace(tzinfo=None)


def session_for(request: Request, st: Store, user: User) -> views.Session:
    """The session the query names, if the user may see its agent; else 404. The lookup (the
    conversation model over the buyer's thread, seconds on a large store) is kept per data
    version; the permission is checked on every request."""
    from datetime import date

    query = request.query_params
    params = views.overrides(request)
    names = tuple(query.get(k) for k in ("msg", "shop", "buyer", "at", "agent"))
    key = ("conversation.session", names, repr(sorted(params.items())))
    session = cached_on(request, st, key, date.max, lambda st: _lookup(query, st, params))
    # a session without an agent: only roles that see every agent ("" is nobody's agent)
    if session is None or not can_see_agent(user, session.agent or "", st):
        raise HTTPException(404, NOT_FOUND)
    return session


def warm(app: Any, st: Store) -> None:
    """Compile the viewer's and the credit lookup's queries (kaohe.engine.bound) by reading
    one thread and one order: the first conversation opened after a start then costs what
    every later one does."""
    from types import SimpleNamespace

    from kaohe.engine.attribution import credit
    from kaohe.engine.conversation import thread_frame
    from kaohe.store import scalar

    params = views.overrides(SimpleNamespace(app=app))
    found = st.con.execute(
        "SELECT shop, buyer FROM messages WHERE shop IS NOT NULL AND buyer IS NOT NULL LIMIT 1"
    ).fetchone()
    if found is not None:
        thread_frame(st, found[0], found[1], views.viewed_params(params))
    order = scalar(st.con, "SELECT min(order_id) FROM orders")
    if order is not None:
        credit(st, order, params)


def _lookup(query: Any, st: Store, params: dict[str, Any]) -> views.Session | None:
    if query.get("msg"):
        return views.session_by_key(st, query["msg"], params)
    if query.get("shop") and query.get("buyer") and query.get("at"):
        return views.find_session(
            st,
            query["shop"],
            query["buyer"],
            parse_at(query["at"]),
            query.get("agent") or None,
            params,
        )
    raise HTTPException(
        400, "需要 shop、buyer 和 at（或 msg）/ shop, buyer and at (or msg) are required"
    )


@router.get("/conversation")
def conversation_page(request: Request, user: views.UserDep, st: views.StoreDep) -> Response:
    session = session_for(request, st, user)
    pii = sees_buyer_pii(user)
    params = views.overrides(request)
    key = ("conversation", session.id, pii, repr(sorted(params.items())))

    def load(on: Store) -> tuple[dict[str, Any], Any]:
        # recomputed on the writer after an import: the session as the new data has it
        now = session if on is st else _lookup(request.query_params, on, params)
        if now is None or now.id != session.id:
            raise LookupError(f"the session {session.id} is no longer found by this query")
        return views.conversation(on, now, pii), views.orders_near(on, now, pii, params)

    data, orders = cached_on(request, st, key, session.day, load)
    if views.wants_xlsx(request) and request.query_params.get("table") != "orders":
        return _download(request, st, user, data)
    if views.wants_xlsx(request):
        return _download_orders(request, st, user, orders, data["session"])
    return render(
        request,
        "conversation.html",
        {"c": data, "orders": orders, "masked": not pii, "period": session.start.strftime("%Y-%m")},
    )


def _download(request: Request, st: Store, user: User, data: dict[str, Any]) -> Response:
    lang = views.lang_of(request)
    rows = [
        {
            "time": m["time"],
            "sender": m["sender"],
            "kind": translate(f"kind.{m['kind']}", lang),
            "agent": m["agent"],
            "text": _plain(m["html"]),
            "response_s": m["response_s"],
            "rules": " ".join(sorted({h["rule"] for h in m["hits"]})),
        }
        for m in data["messages"]
    ]
    cols = [
        (k, translate(label, lang))
        for k, label in (
            ("time", "conv.time"),
            ("sender", "conv.sender"),
            ("kind", "conv.kind"),
            ("agent", "common.agent"),
            ("text", "conv.text"),
            ("response_s", "conv.response_s"),
            ("rules", "conv.rules"),
        )
    ]
    return views.export(st, user, rows, cols, "conversation.xlsx", data["session"])


def _download_orders(
    request: Request, st: Store, user: User, orders: list[dict[str, Any]], session: str
) -> Response:
    lang = views.lang_of(request)
    rows = [{**o, "reason": (o["reason"] or {}).get(lang)} for o in orders]
    cols = [
        (k, translate(label, lang))
        for k, label in (
            ("order_id", "credit.order_id"),
            ("created_at", "credit.created"),
            ("paid_at", "credit.paid"),
            ("amount", "credit.amount"),
            ("status", "credit.status"),
            ("credited_agent", "credit.credited"),
            ("reason", "credit.reason"),
        )
    ]
    return views.export(st, user, rows, cols, "conversation_orders.xlsx", session)


def _plain(html: Any) -> str:
    """The message text as the page shows it (masked where it must be), without the marks."""
    from markupsafe import Markup

    return Markup(html).striptags() if html else ""
