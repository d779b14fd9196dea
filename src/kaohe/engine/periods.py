"""Periods: 2026-10 (month), 2026-Q4 (quarter), 2026-W43 (ISO week), 2026-10-05 (day),
last30, --from/--to. `parse_period` is the one place a period text is read."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from kaohe.errors import UsageError


@dataclass(frozen=True)
class Period:
    start: date  # inclusive local date
    end: date  # inclusive local date
    label: str

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"not a date (YYYY-MM-DD): {text!r}") from None


# Years a period may fall in: outside them it is a typo (9999-12), and the date arithmetic
# around a period (margins of days either side) would overflow.
FIRST_YEAR, LAST_YEAR = 1970, 2999


def _bounded(period: Period) -> Period:
    if period.start.year < FIRST_YEAR or period.end.year > LAST_YEAR:
        raise UsageError(
            f"期间超出范围 / period out of range {period.label!r} (years {FIRST_YEAR}-{LAST_YEAR})"
        )
    return period


def parse_period(text: str, today: date | None = None) -> Period:
    return _bounded(_parse_period(text.strip(), today or date.today()))


def _parse_period(text: str, today: date) -> Period:
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise UsageError(f"bad month in period {text!r}")
        return Period(date(year, month, 1), date(year, month, monthrange(year, month)[1]), text)
    if m := re.fullmatch(r"(\d{4})-Q(\d)", text, flags=re.I):
        return _quarter(int(m[1]), int(m[2]), text)
    if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", text, flags=re.I):
        try:
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            raise UsageError(f"bad ISO week in period {text!r}") from None
        return Period(start, start + timedelta(days=6), text)
    if m := re.fullmatch(r"last(\d+)", text, flags=re.I):
        days = int(m[1])
        if not 1 <= days <= 36500:
            raise UsageError("lastN needs 1 <= N <= 36500")
        end = today - timedelta(days=1)
        return Period(end - timedelta(days=days - 1), end, text)
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        day = _parse_date(text)
        return Period(day, day, text)
    raise UsageError(
        f"unknown period {text!r} (use 2026-10, 2026-Q4, 2026-W43, 2026-10-05, last30)"
    )


def _quarter(year: int, quarter: int, text: str) -> Period:
    """A calendar quarter: Q1 = January–March … Q4 = October–December (seed 002 连续1季度)."""
    if not 1 <= quarter <= 4:
        raise UsageError(f"bad quarter in period {text!r} (Q1–Q4)")
    first = 3 * quarter - 2
    last = first + 2
    return Period(date(year, first, 1), date(year, last, monthrange(year, last)[1]), text.upper())


def months_of(period: Period) -> list[Period]:
    """The calendar months a period touches, each clipped to the period (a quarter: its
    three months, labelled 2026-10, 2026-11, 2026-12)."""
    out = []
    first = period.start.replace(day=1)
    while first <= period.end:
        last = first.replace(day=monthrange(first.year, first.month)[1])
        label = f"{first.year}-{first.month:02d}"
        out.append(Period(max(first, period.start), min(last, period.end), label))
        first = last + timedelta(days=1)
    return out


def period_from_args(
    period: str | None, start: str | None, end: str | None, today: date | None = None
) -> Period | None:
    """--period P or --from D --to D; None means all data."""
    if period and (start or end):
        raise UsageError("give --period or --from/--to, not both")
    if period:
        return parse_period(period, today)
    if start or end:
        if not (start and end):
            raise UsageError("--from and --to go together")
        first, last = _parse_date(start), _parse_date(end)
        if last < first:
            raise UsageError("--to is before --from")
        return _bounded(Period(first, last, f"{first}..{last}"))
    return None
