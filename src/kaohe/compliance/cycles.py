"""The platforms' assessment cycles over a period: days, natural weeks, natural months, the
rolling 30 days ending with the period (or yesterday, while the period is running)."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kaohe.engine.periods import Period

ROLLING_DAYS = 30


@dataclass(frozen=True)
class Cycle:
    label: str
    start: date
    end: date
    rolling: bool = False  # a rolling window is complete as of its last day

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def running(self, now: datetime) -> bool:
        return not self.rolling and now < datetime.combine(
            self.end + timedelta(days=1), datetime.min.time()
        )

    def elapsed_days(self, now: datetime) -> float:
        """Days of the cycle gone by at `now` (at least one hour's worth, to project from)."""
        gone = (now - datetime.combine(self.start, datetime.min.time())).total_seconds()
        return min(float(self.days), max(gone / 86400, 1 / 24))

    def period(self) -> Period:
        return Period(self.start, self.end, self.label)


def cycles(kind: str, period: Period, now: datetime) -> list[Cycle]:
    """The cycles of `kind` meeting the period, leaving out those not begun at `now`."""
    found = {"day": _days, "week": _weeks, "month": _months, "rolling30": _rolling}[kind](
        period, now
    )
    return [c for c in found if c.start <= now.date()]


def _days(period: Period, now: datetime) -> list[Cycle]:
    return [Cycle(d.isoformat(), d, d) for d in period.days]


def _weeks(period: Period, now: datetime) -> list[Cycle]:
    out = []
    monday = period.start - timedelta(days=period.start.weekday())
    while monday <= period.end:
        year, week, _ = monday.isocalendar()
        out.append(Cycle(f"{year}-W{week:02d}", monday, monday + timedelta(days=6)))
        monday += timedelta(days=7)
    return out


def _months(period: Period, now: datetime) -> list[Cycle]:
    out = []
    first = period.start.replace(day=1)
    while first <= period.end:
        last = first.replace(day=monthrange(first.year, first.month)[1])
        out.append(Cycle(f"{first.year}-{first.month:02d}", first, last))
        first = last + timedelta(days=1)
    return out


def _rolling(period: Period, now: datetime) -> list[Cycle]:
    end = min(period.end, now.date() - timedelta(days=1))
    start = end - timedelta(days=ROLLING_DAYS - 1)
    return [Cycle(f"近30天 {start.isoformat()}–{end.isoformat()}", start, end, rolling=True)]
