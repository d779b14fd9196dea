"""When a case falls due. The durations and hours are the metrics' and presets' parameters;
these functions only turn them into a moment on the clock.

- 京东 service orders: `minutes` counted only inside the daily `service_hours` (the inverse of
  kaohe.engine.aftersales.business_s): applied at 20:55 with 20 minutes inside 09:00–21:00
  leaves 5 minutes that day and 15 the next, so it is due at 09:15.
- 京东 e-mails: kaohe.compliance.cases.email_due (the 16:00 rule).
- complaint tickets, ratings: a fixed number of hours.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from kaohe.engine.params import parse_window
from kaohe.errors import ConfigError

AT_RISK, MISSED = "at_risk", "missed"


def business_due(begin: datetime, seconds: float, service_hours: str | None) -> datetime:
    """The moment `seconds` of time inside the daily `service_hours` have passed since
    `begin` (all day when there are no service hours)."""
    window = parse_window(service_hours)
    if window is None:
        return begin + timedelta(seconds=seconds)
    if window.crosses_midnight:
        raise ConfigError(
            f"service hours must not cross midnight, got {service_hours!r}", field="service_hours"
        )
    open_s, close_s = window.start_s, window.end_s
    left = float(seconds)
    day = begin.date()
    at_s = min(max(_seconds_of_day(begin), open_s), close_s)
    while True:
        room = close_s - at_s
        if left <= room:
            return datetime.combine(day, time()) + timedelta(seconds=at_s + left)
        left -= room
        day += timedelta(days=1)
        at_s = open_s


def _seconds_of_day(moment: datetime) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def deadline_state(now: datetime, due: datetime, warn: timedelta) -> str | None:
    """missed once past due, at_risk within `warn` of it, else None (nothing to say yet)."""
    if now > due:
        return MISSED
    if now >= due - warn:
        return AT_RISK
    return None


def left_text(now: datetime, due: datetime) -> str:
    """剩余 1小时5分 / 已超时 20分 — how far the deadline is."""
    seconds = (due - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    span = f"{minutes // 60}小时{minutes % 60}分" if minutes >= 60 else f"{minutes}分"
    return f"剩余 {span}" if seconds >= 0 else f"已超时 {span}"
