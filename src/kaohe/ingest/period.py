"""The period a platform report covers, read from a cell, a title row or the file name.

Reports state it as a date (`2026-10-05`, `2026/10/5`, `20261005`, an Excel serial date), a
range (`2026-10-01 ~ 2026-10-31`, `2026-04-20至2026-04-20`), or a month (`2026年10月`). The
label follows `metric_values.period` (spec: data-model.md; read by kaohe.engine.periods): a
whole month is `2026-10`, a single day `2026-10-05`, a Monday-to-Sunday week `2026-W43`, any
other range `2026-10-01~2026-10-15`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from kaohe import saferegex

_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_COMPACT = r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"
_SEP = r"\s*(?:~|～|至|到|—|–|－|-|_)\s*"
_TIME = r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
RANGE = saferegex.compile(_DATE + _TIME + _SEP + _DATE + _TIME, "date range")
COMPACT_RANGE = saferegex.compile(_COMPACT + _SEP + _COMPACT, "compact date range")
ONE_DAY = saferegex.compile(_DATE, "date")
COMPACT_DAY = saferegex.compile(_COMPACT, "compact date")
MONTH = saferegex.compile(r"(?<!\d)(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*月?(?![\d日])", "month")
SERIAL = saferegex.compile(r"\d{5}(?:\.0+)?", "Excel serial date")
WEEK_LABEL = saferegex.compile(r"\d{4}-W\d{1,2}", "week label")
EXCEL_EPOCH = date(1899, 12, 30)
TITLE_CUES = ("统计时间", "统计日期", "统计周期", "日期", "时间", "周期", "期间")


@dataclass(frozen=True)
class FoundPeriod:
    label: str
    source: str  # date column, option, title row, file name
    evidence: str  # the text it was read from


def period_label(start: date, end: date) -> str:
    """The metric_values label of the days start..end (see the module docstring)."""
    if end < start:
        start, end = end, start
    if start == end:
        return start.isoformat()
    last = calendar.monthrange(start.year, start.month)[1]
    if start.day == 1 and end == start.replace(day=last):
        return f"{start.year:04d}-{start.month:02d}"
    if start.isoweekday() == 1 and end - start == timedelta(days=6):
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return f"{start.isoformat()}~{end.isoformat()}"


def _day(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def _range(found: object) -> str | None:
    groups = found.groups()  # type: ignore[attr-defined]
    first, last = _day(*groups[0:3]), _day(*groups[3:6])
    if first is None or last is None:
        return None
    return period_label(first, last)


def period_in_text(text: str) -> str | None:
    """The period a text states, if any: a range, else a day, else a month."""
    for pattern in (RANGE, COMPACT_RANGE):
        found = pattern.search(text)
        if found and (label := _range(found)):
            return label
    for pattern in (ONE_DAY, COMPACT_DAY):
        found = pattern.search(text)
        if found and (day := _day(*found.groups())):
            return day.isoformat()
    found = MONTH.search(text)
    if found and 1 <= int(found.group(2)) <= 12:
        return f"{int(found.group(1)):04d}-{int(found.group(2)):02d}"
    return None


def period_of_cell(cell: str | None) -> str | None:
    """A 日期 cell: an Excel serial date, a date, a range or a month; None when empty. Text that
    states no period is returned as written (validation keeps it or rejects it)."""
    if cell is None or not cell.strip():
        return None
    text = cell.strip()
    if SERIAL.fullmatch(text):
        return (EXCEL_EPOCH + timedelta(days=int(float(text)))).isoformat()
    if text.startswith(("20", "19")) and len(text) == 7 and text[4] == "-":
        return text  # already a month label
    if WEEK_LABEL.fullmatch(text):
        return text
    return period_in_text(text) or text


def period_from_titles(lines: list[str]) -> FoundPeriod | None:
    """A title row stating a period (统计时间：2026-10-01 ~ 2026-10-31); rows with a cue word
    first."""
    ordered = [line for line in lines if any(c in line for c in TITLE_CUES)]
    ordered += [line for line in lines if line not in ordered]
    for line in ordered:
        label = period_in_text(line)
        if label:
            return FoundPeriod(label, "title row", line)
    return None


def period_from_file_name(name: str) -> FoundPeriod | None:
    """The period in a file name (自定义报表_客服绩效_下单优先判定_2026-04-20至2026-04-20.xlsx)."""
    label = period_in_text(name)
    return FoundPeriod(label, "file name", name) if label else None
