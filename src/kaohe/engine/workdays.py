"""Working days on the Chinese public-holiday calendar: 法定节假日 are days off and 调休
make-up Saturdays or Sundays are working days (2026-10-10, a Saturday, is one).

The calendar is the `chinese-calendar` package (PyPI, the State Council's yearly notice
transcribed each year): a list of our own would silently go stale. Days outside the years
the installed version covers (2004–2026 in 1.11) count Monday–Friday; `covered()` says
which years those are, and docs/metrics.md says so where a metric counts working days.

Order promises in working days (seed 001: 市区3个、县城5个、乡镇7个工作日; 最晚不超过2个工作日)
and working-day deadlines read `workday_table()`, a small table joined by date, so the same
definition runs on DuckDB and PySpark.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any

import chinese_calendar

# the span the engine's calendar table holds (dates outside it have no working-day number)
TABLE_FIRST, TABLE_LAST = date(2000, 1, 3), date(2040, 12, 31)


@functools.cache
def covered() -> tuple[int, int]:
    """The first and last year the installed chinese-calendar knows."""
    days = list(chinese_calendar.holidays) + list(chinese_calendar.workdays)
    return min(days).year, max(days).year


def is_workday(day: date) -> bool:
    """A working day: not a public holiday, and a weekday or a make-up working day."""
    first, last = covered()
    if first <= day.year <= last:
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def workdays_after(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end ≤ start)."""
    n, day = 0, start + timedelta(days=1)
    while day <= end:
        n += is_workday(day)
        day += timedelta(days=1)
    return n


@functools.cache
def _calendar_arrow() -> Any:
    import pyarrow as pa

    days, flags, numbers = [], [], []
    n, day = 0, TABLE_FIRST
    while day <= TABLE_LAST:
        work = is_workday(day)
        n += work
        days.append(day)
        flags.append(work)
        numbers.append(n)
        day += timedelta(days=1)
    return pa.table(
        {
            "cal_day": pa.array(days, pa.date32()),
            "cal_workday": pa.array(flags, pa.bool_()),
            "cal_no": pa.array(numbers, pa.int64()),
        }
    )


def workday_table() -> Any:
    """(cal_day, cal_workday, cal_no): every day of the span, whether it is a working day,
    and `cal_no`, the working days from the span's start through that day — so working days
    after a up to and including b are cal_no(b) − cal_no(a)."""
    import ibis

    return ibis.memtable(_calendar_arrow())


def with_working_days(t: Any, start: str, end: str, name: str) -> Any:
    """`t` with `name`: the working days after the date of `start` up to and including the
    date of `end` (created Friday 2026-10-09, delivered Monday 2026-10-12: Saturday the 10th
    is a make-up working day, so 2). Null when either is null or outside the table's span."""
    cal = workday_table()
    a = cal.select(_wd_a_day=cal.cal_day, _wd_a_no=cal.cal_no)
    b = cal.select(_wd_b_day=cal.cal_day, _wd_b_no=cal.cal_no)
    keyed = t.mutate(_wd_a=t[start].date(), _wd_b=t[end].date())
    j = keyed.left_join(a, keyed._wd_a == a._wd_a_day)
    j = j.left_join(b, j._wd_b == b._wd_b_day)
    return j.select(*t.columns, **{name: j._wd_b_no - j._wd_a_no})


def with_workday_deadline(t: Any, start: str, days: int, name: str) -> Any:
    """`t` with `name`: midnight after the `days`-th working day after the date of `start`
    (an SLA of N working days ends with that day)."""
    import ibis

    cal = workday_table()
    a = cal.select(_wl_day=cal.cal_day, _wl_no=cal.cal_no)
    b = cal.filter(cal.cal_workday).select(_wl_due_no=cal.cal_no, _wl_due=cal.cal_day)
    keyed = t.mutate(_wl_start=t[start].date())
    j = keyed.left_join(a, keyed._wl_start == a._wl_day)
    j = j.left_join(b, (j._wl_no + days) == b._wl_due_no)
    due = (j._wl_due + ibis.interval(days=1)).cast("timestamp")
    return j.select(*t.columns, **{name: due})
