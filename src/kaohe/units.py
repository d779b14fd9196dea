"""Units: the closed set every figure kaohe shows is measured in, and the one way to show it.

A metric, a scheme item, a pay line, a PK value or a compliance value carries a `Unit`; the
terminal, the web app, the workbooks, the HTML report and the payslips all print it with
`format_value` and label columns with `header`, and Excel cells take `excel_format`. Data
files and machine output (json, csv of `kpi`, `score` …) keep the raw value: a ratio stays
the fraction 0.85 there (spec: cli.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, get_args

Unit = Literal[
    "count",  # how many (buyers, messages, orders …)
    "ratio",  # a fraction, shown as a percent
    "per_buyer",  # items per buyer (客件数)
    "per_1k",  # occurrences per 1,000 messages
    "seconds",
    "minutes",
    "hours",
    "days",
    "yuan",  # money
    "points",  # scores: scheme items and totals, QA scores, indices
]
UNITS: tuple[Unit, ...] = get_args(Unit)
Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class UnitInfo:
    zh: str  # the label after a number and in a header, in Chinese
    en: str
    decimals: int  # at most this many decimals are shown
    fixed: bool = False  # always exactly `decimals` (money)

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


INFO: dict[Unit, UnitInfo] = {
    "count": UnitInfo("", "", 2),
    "ratio": UnitInfo("%", "%", 2),
    "per_buyer": UnitInfo("件/人", "items/buyer", 2),
    "per_1k": UnitInfo("次/千条", "per 1k msgs", 2),
    "seconds": UnitInfo("秒", "s", 1),
    "minutes": UnitInfo("分钟", "min", 1),
    "hours": UnitInfo("小时", "h", 2),
    "days": UnitInfo("天", "days", 1),
    "yuan": UnitInfo("元", "CNY", 2, fixed=True),
    "points": UnitInfo("分", "pts", 2),
}
MISSING = "—"


def check_unit(unit: str, owner: str) -> Unit:
    """`unit` if it is one of UNITS; else a ValueError naming the owner and the choices."""
    if unit not in INFO:
        import difflib

        close = difflib.get_close_matches(unit, UNITS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{owner}: unknown unit {unit!r}{hint}; one of {', '.join(UNITS)}")
    return unit


def number(value: Any) -> float | int | None:
    """The value as a plain number, or None for none, NaN and anything not numeric."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    return None


def _digits(value: float | int, decimals: int, fixed: bool) -> str:
    """Thousands separators, at most `decimals` decimals (trailing zeros dropped unless
    `fixed`), and never "-0"."""
    value = round(value, decimals)
    text = f"{value if value != 0 else 0:,.{decimals}f}"
    if not fixed and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_value(
    value: Any, unit: str | None, lang: str = "zh", *, with_unit: bool = True, trim: bool = True
) -> str:
    """A value as people read it: a ratio as a percent, money with ¥, a duration with its
    unit, at most two decimals. `with_unit=False` leaves the label to the column header (a
    percent keeps its %, which is part of the number); `trim=False` keeps the unit's
    decimals so that a column lines up (a whole count has none). Text passes through; none
    is —."""
    if value is None or value == "":
        return MISSING
    n = number(value)
    if n is None:
        return MISSING if isinstance(value, float) else str(value)
    info = INFO[check_unit(unit, "format_value")] if unit is not None else INFO["count"]
    fixed = info.fixed or not trim
    if unit == "ratio":
        return _digits(n * 100, info.decimals, fixed) + "%"
    whole = isinstance(n, int) and not info.fixed  # counted, not measured: no decimals
    text = _digits(n, 0 if whole else info.decimals, fixed)
    if not with_unit or not info.zh:
        return text
    if unit == "yuan":  # a debit reads -¥21.30, as on a bank statement
        return f"-¥{text[1:]}" if text.startswith("-") else f"¥{text}"
    return f"{text} {info.en}" if lang == "en" else f"{text}{info.zh}"


def unit_label(unit: str | None, lang: str = "zh") -> str:
    """The label a header shows for the unit ('' for counts and percents)."""
    if unit is None or unit in ("count", "ratio"):
        return ""
    return INFO[check_unit(unit, "unit_label")].label(lang)


def header(label: str, unit: str | None, lang: str = "zh") -> str:
    """A column header with its unit, "平均接待时长 (分钟)"; a label that already names the
    unit ("平均响应时长(秒)", "Average response (s)") is kept as it is."""
    shown = unit_label(unit, lang)
    if not shown or f"({shown})" in label or f"（{shown}）" in label:
        return label
    return f"{label} ({shown})"


def excel_format(unit: str | None, value: Any = None) -> str:
    """The Excel number format of a cell in `unit` (the unit itself is in the header): the
    same decimals as format_value; a whole count without decimals."""
    if unit == "ratio":
        return "0.00%"
    if unit is None or unit == "count":
        n = number(value)
        return "#,##0" if isinstance(n, int) or (n is not None and n.is_integer()) else "#,##0.00"
    info = INFO[check_unit(unit, "excel_format")]
    return "#,##0." + "0" * info.decimals if info.decimals else "#,##0"


def chart_scale(unit: str | None) -> float:
    """What a chart multiplies values by to plot them as format_value shows them."""
    return 100.0 if unit == "ratio" else 1.0


# the smallest change worth naming in each unit: what a hint rounds a needed change up to
STEPS: dict[Unit, float] = {
    "count": 1.0,
    "ratio": 0.001,  # 0.1 percentage point
    "per_buyer": 0.01,
    "per_1k": 0.01,
    "seconds": 1.0,
    "minutes": 0.1,
    "hours": 0.01,
    "days": 0.1,
    "yuan": 0.01,
    "points": 0.1,
}


def format_change(delta: float, unit: str | None, lang: str = "zh") -> str:
    """The size of a change (no sign) in its unit: a ratio moves by percentage points
    ("2.1 个百分点", not "2.1%", which would read as a relative change), the rest as
    format_value shows the unit ("12秒", "¥300.00", "15")."""
    size = abs(delta)
    if unit == "ratio":
        points = _digits(size * 100, 1, False)
        return f"{points} percentage points" if lang == "en" else f"{points} 个百分点"
    return format_value(size, unit, lang)
