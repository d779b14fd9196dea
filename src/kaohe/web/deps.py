"""FastAPI dependencies shared by every page: the store (serialised) and the period."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from kaohe.engine.periods import Period, parse_period
from kaohe.errors import UsageError

# The latest month is the default unless it holds fewer days of messages than this while the
# month before has messages too: early in a month the last full month says more.
MIN_DEFAULT_DAYS = 7


def store(request: Request) -> Iterator[Any]:
    """The app's one Store, held for the whole request: a DuckDB connection is not
    thread-safe, and serialising requests is fine for a team tool."""
    lock = request.app.state.store_lock
    lock.acquire()
    try:
        yield request.app.state.store
    finally:
        lock.release()


StoreDep = Annotated[Any, Depends(store)]  # the store, held for the request


def default_period(st: Any) -> str:
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
    except UsageError as exc:
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
