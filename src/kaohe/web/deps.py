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

# The latest month is the default unless it holds fewer days of messages than this while the
# month before has messages too: early in a month the last full month says more.
MIN_DEFAULT_DAYS = 7


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
    """The latest month that has messages (see MIN_DEFAULT_DAYS); this month when none."""
    rows = st.con.execute(
        "SELECT strftime(time, '%Y-%m') AS month, count(DISTINCT CAST(time AS DATE)) "
        "FROM messages WHERE time IS NOT NULL GROUP BY month ORDER BY month DESC LIMIT 2"
    ).fetchall()
    if not rows:
        from datetime import date

        return date.today().strftime("%Y-%m")
    if len(rows) == 2 and rows[0][1] < MIN_DEFAULT_DAYS:
        return str(rows[1][0])
    return str(rows[0][0])


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
    if text:
        parse_period_text(text)
        return text
    messages = st.count("messages")
    cached = getattr(request.app.state, "default_period", None)
    if cached is None or cached[0] != messages:
        cached = (messages, default_period(st))
        request.app.state.default_period = cached
    return cached[1]


PeriodDep = Annotated[str, Depends(period_param)]  # the validated ?period= text
