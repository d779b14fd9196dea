"""FastAPI dependencies shared by every page: the store (a connection of the read pool) and
the period."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Request

from kaohe.engine.periods import Period, parse_period
from kaohe.errors import UsageError

if TYPE_CHECKING:
    from kaohe.store import Store


BUSY = "服务器繁忙，请稍后再试 / the server is busy, try again shortly"


async def store(request: Request) -> AsyncIterator[Any]:
    """A connection of the app's read pool (kaohe.web.workers.ReadPool), lent for the whole
    request. The wait happens on the event loop, so no thread is held meanwhile and pages that
    need no data (the login form) answer at once; past [server] reader_wait_s it is a 503."""
    from kaohe.web.workers import PoolClosed

    pool = request.app.state.readers
    try:
        st = await pool.acquire(request.app.state.server.reader_wait_s)
    except (TimeoutError, PoolClosed):
        raise HTTPException(503, BUSY, headers={"Retry-After": "5"}) from None
    try:
        yield st
    finally:
        pool.release(st)


StoreDep = Annotated[Any, Depends(store)]  # a store connection, lent for the request


def default_period(st: Store) -> str:
    """The last complete month (kaohe.web.months.last_complete_month); this month when the
    store has no messages."""
    from datetime import date

    from kaohe.web.months import last_complete_month, month_of

    return last_complete_month(st) or month_of(date.today())


def parse_period_text(text: str) -> Period:
    """A `?period=` value (2026-10, 2026-Q4, 2026-W43, 2026-10-05, last30) or a 400."""
    try:
        return parse_period(text)
    except (UsageError, ValueError, OverflowError) as exc:
        raise HTTPException(
            400,
            f"无效的期间 / invalid period {text!r}: 请用 2026-10、2026-Q4、2026-W43 或 2026-10-05",
        ) from exc


def period_param(request: Request, st: StoreDep) -> str:
    """The `?period=` query, validated, defaulting to default_period(store) (remembered until
    the message count changes: scanning every message per page view would cost)."""
    text = (request.query_params.get("period") or "").strip()
    messages = st.count("messages")
    if text:
        parse_period_text(text)
    else:
        cached = getattr(request.app.state, "default_period", None)
        if cached is None or cached[0] != messages:
            cached = (messages, default_period(st))
            request.app.state.default_period = cached
        text = cached[1]
    request.state.period_info = _period_info(request, st, text, messages)
    return text


def _period_info(request: Request, st: Any, text: str, messages: int) -> Any:
    """kaohe.web.months.period_info, kept per period until the message count changes."""
    from datetime import date

    from kaohe.web.months import period_info

    infos: tuple[Any, dict[str, Any]] | None = getattr(request.app.state, "period_infos", None)
    if infos is None or infos[0] != (messages, date.today()):
        infos = request.app.state.period_infos = ((messages, date.today()), {})
    if text not in infos[1]:
        infos[1][text] = period_info(st, text)
    return infos[1][text]


PeriodDep = Annotated[str, Depends(period_param)]  # the validated ?period= text
