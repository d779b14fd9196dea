"""The period a page shows, as a manager picks it: the month before and after, 上月 / 本月
(the calendar's last and current month), whether the figures are final (未结算 while the
period runs or its replies can still come) and which days of it the data covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from kaohe.engine.periods import Period, parse_period


@dataclass
class PeriodInfo:
    text: str  # the period as asked (2026-10)
    is_month: bool
    previous: str | None  # the month before / after a month period
    following: str | None
    last_month: str  # 上月 and 本月 by the calendar
    this_month: str
    settled: bool
    first_day: date | None  # the days the data covers within the period
    last_day: date | None
    days_total: int

    @property
    def days_covered(self) -> int:
        if self.first_day is None or self.last_day is None:
            return 0
        return (self.last_day - self.first_day).days + 1

    @property
    def partial(self) -> bool:
        return not self.settled or self.days_covered < self.days_total


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def shift_month(month: str, by: int) -> str:
    year, number = (int(x) for x in month.split("-"))
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_back(month: str, count: int) -> list[str]:
    """`count` months ending with `month`, oldest first."""
    return [shift_month(month, -i) for i in reversed(range(count))]


def is_month(text: str) -> bool:
    parts = text.split("-")
    return len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2 and parts[1].isdigit()


def period_info(st: Any, text: str, today: date | None = None) -> PeriodInfo:
    from kaohe.engine.settle import settled

    today = today or date.today()
    period = parse_period(text)
    first, last = covered(st, period)
    month = is_month(text)
    return PeriodInfo(
        text,
        month,
        shift_month(text, -1) if month else None,
        shift_month(text, 1) if month else None,
        shift_month(month_of(today), -1),
        month_of(today),
        settled(period) and period.end < today,
        first,
        last,
        len(period.days),
    )


def covered(st: Any, period: Period) -> tuple[date | None, date | None]:
    """The first and last day of the period with messages."""
    row = st.con.execute(
        "SELECT min(time), max(time) FROM messages WHERE time >= ? AND time < ?",
        [period.start, period.end + timedelta(days=1)],
    ).fetchone()
    first, last = row if row else (None, None)
    return (first.date() if first else None, last.date() if last else None)


def last_complete_month(st: Any, today: date | None = None) -> str | None:
    """The latest month with messages that is over (by the calendar) and that the data covers
    to its end, or that the data stops in while no later month has any; None without
    messages. Early in December the page shows November, not the few days of December."""
    today = today or date.today()
    row = st.con.execute("SELECT min(time), max(time) FROM messages").fetchone()
    if not row or row[0] is None:
        return None
    first, last = row[0].date(), row[1].date()
    month = month_of(last)
    while month >= month_of(first):
        period = parse_period(month)
        if period.end < today and last >= period.end:
            return month
        month = shift_month(month, -1)
    return month_of(first)


def link(request: Any, period: str) -> str:
    """The current page with another ?period= (every other query kept)."""
    query = {k: v for k, v in request.query_params.items() if k not in ("period", "format")}
    return f"{request.url.path}?{urlencode({**query, 'period': period})}"
