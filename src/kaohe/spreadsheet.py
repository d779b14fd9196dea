"""Every xlsx and csv kaohe writes goes through here, so that no cell can become a formula.

Text that a spreadsheet would read as a formula or a command — starting with `=`, `+`, `-`,
`@`, a tab or a carriage return (OWASP, "CSV injection") — is neutralised: in a CSV it gets a
leading `'`; in a workbook it is written as a string cell with Excel's quote prefix (shown as
typed, and still text when someone edits the cell). Numbers stay numbers: -12.5 is a number,
not text. CSV files carry a UTF-8 BOM so that Excel on Windows reads the Chinese.

The synthetic platform exports of `kaohe demo` and `kaohe generate` are inputs for the
importer, written as platforms write them (polars / pyarrow), not reports: they are not here.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

from kaohe.units import Unit, excel_format, header

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
MAX_SHEET_NAME = 31

# what a column holds: a figure or text, a key of the row (rank, day), or the name of an
# agent or shop (also a key; the terminal shortens these when the table is narrow)
Role = Literal["value", "key", "name"]


@dataclass(frozen=True)
class Column:
    """A column of an output table: the row key it reads, its header, the unit of its numbers."""

    id: str
    header: str
    unit: Unit | None = None
    role: Role = "value"
    unit_key: str | None = None  # rows name their own unit under this key (a mixed column)

    def unit_of(self, row: Mapping[str, Any]) -> Unit | None:
        return row.get(self.unit_key) if self.unit_key else self.unit

    def title(self, lang: str = "zh") -> str:
        """The header with its unit, "平均接待时长 (分钟)"."""
        return header(self.header, self.unit, lang)

    @property
    def identifies(self) -> bool:
        return self.role != "value"


def columns_of(ids: Sequence[str], headers: Sequence[str] | None = None) -> list[Column]:
    """Plain columns (no unit) from ids and headers."""
    return [Column(i, h) for i, h in zip(ids, headers or ids, strict=True)]


# a signed figure as our formatter writes it (-102.97, -¥1,234.50, +3.4%, -12秒): a spreadsheet
# reads it as a number or as text, never as a formula, so it keeps its sign unprefixed
SIGNED_FIGURE = re.compile(r"[+-]¥?\d[\d,]*(\.\d+)?(%|元|秒|分钟|小时|天|分|件/人|‰)?")


def formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START) and not SIGNED_FIGURE.fullmatch(text)


def neutral(text: str) -> str:
    """Text a spreadsheet will not run: a leading ' before = + - @ tab CR (OWASP)."""
    return "'" + text if formula_like(text) else text


def plain(value: Any) -> Any:
    """A cell value as files hold it: None for missing and NaN, numbers as int or float,
    times as text (local time, no zone), everything else as text."""
    if value is None:
        return None
    if isinstance(value, bool | int):
        return value
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------ csv


def csv_text(
    rows: Iterable[Mapping[str, Any]],
    ids: Sequence[str],
    headers: Sequence[str] | None = None,
    delimiter: str = ",",
    newline: str = "\r\n",
) -> str:
    """The rows as CSV (or TSV) text, without a BOM: one line per row ending in CRLF (RFC
    4180: a cell holding a CR or LF is then quoted), `ids` in order, text neutralised,
    missing values empty. `newline="\n"` is for text without line breaks in its cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow([neutral(str(h)) for h in (headers or ids)])
    for row in rows:
        writer.writerow([_csv_cell(row.get(i)) for i in ids])
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    value = plain(value)
    if value is None:
        return ""
    return neutral(value) if isinstance(value, str) else value


def write_csv(
    target: str | Path | IO[str],
    rows: Iterable[Mapping[str, Any]],
    ids: Sequence[str],
    headers: Sequence[str] | None = None,
) -> None:
    """A CSV file (UTF-8 with BOM, for Excel on Windows); `target` is a path or an open
    text stream (written as is, BOM first)."""
    text = BOM + csv_text(rows, ids, headers)
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:
        target.write(text)


# ------------------------------------------------------------------ xlsx

Style = Mapping[str, Any]  # xlsxwriter format properties, e.g. {"bold": True}


class Workbook:
    """An xlsxwriter workbook whose cells are written by `Sheet.write` only. Styles are
    property dicts; the workbook makes (and reuses) the xlsxwriter formats."""

    def __init__(self, target: str | Path | IO[bytes], lang: str = "zh") -> None:
        import xlsxwriter

        options = {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "in_memory": not isinstance(target, str | Path),
        }
        self.book = xlsxwriter.Workbook(
            str(target) if isinstance(target, str | Path) else target, options
        )
        self.lang = lang
        self._formats: dict[frozenset[tuple[str, Any]], Any] = {}
        self._names: set[str] = set()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.book.close()

    def format(self, style: Style | None, **extra: Any) -> Any:
        """The xlsxwriter format for `style` plus `extra` properties (made once)."""
        props = {**(style or {}), **extra}
        if not props:
            return None
        key = frozenset(props.items())
        if key not in self._formats:
            self._formats[key] = self.book.add_format(dict(props))
        return self._formats[key]

    def sheet(self, name: str) -> Sheet:
        """A new sheet; the name is made valid for Excel (31 characters, none of []:*?/\\)
        and unique in the workbook."""
        base = SHEET_NAME_BAD.sub("_", name).strip("'")[:MAX_SHEET_NAME] or "Sheet"
        candidate, n = base, 2
        while candidate.lower() in self._names:
            suffix = f"({n})"
            candidate, n = base[: MAX_SHEET_NAME - len(suffix)] + suffix, n + 1
        self._names.add(candidate.lower())
        return Sheet(self, self.book.add_worksheet(candidate))


class Sheet:
    """A worksheet. `ws` is the xlsxwriter worksheet for layout (column widths, panes,
    print setup, charts); cell values go through `write`."""

    def __init__(self, workbook: Workbook, ws: Any) -> None:
        self.workbook, self.ws = workbook, ws

    @property
    def name(self) -> str:
        return str(self.ws.get_name())

    def write(
        self, r: int, c: int, value: Any, style: Style | None = None, unit: Unit | None = None
    ) -> None:
        """One cell: a number (in `unit`'s number format), a time, or text — text that a
        spreadsheet would run is kept as text with the quote prefix."""
        fmt = self.workbook.format
        if isinstance(value, bool):
            yes, no = ("yes", "no") if self.workbook.lang == "en" else ("是", "否")
            self.ws.write_string(r, c, yes if value else no, fmt(style))
            return
        if isinstance(value, datetime):
            self.ws.write_datetime(r, c, value, fmt(style, num_format="yyyy-mm-dd hh:mm:ss"))
            return
        if isinstance(value, date):
            when = datetime(value.year, value.month, value.day)
            self.ws.write_datetime(r, c, when, fmt(style, num_format="yyyy-mm-dd"))
            return
        value = plain(value)
        if value is None:
            if style:
                self.ws.write_blank(r, c, None, fmt(style))
        elif isinstance(value, int | float):
            number_format = (style or {}).get("num_format") or excel_format(unit, value)
            self.ws.write_number(r, c, value, fmt(style, num_format=number_format))
        elif formula_like(value):
            self.ws.write_string(r, c, value, fmt(style, quote_prefix=True))
        else:
            self.ws.write_string(r, c, value, fmt(style))

    def write_row(self, r: int, c: int, values: Iterable[Any], style: Style | None = None) -> None:
        for offset, value in enumerate(values):
            self.write(r, c + offset, value, style)

    def table(
        self,
        top: int,
        columns: Sequence[Column],
        rows: Iterable[Mapping[str, Any]],
        head: Style | None = None,
        body: Style | None = None,
    ) -> int:
        """A header row (with units) and one row per entry of `rows` from row `top`; sets
        the column widths. Returns the first row after the table and one blank row."""
        lang = self.workbook.lang
        for c, column in enumerate(columns):
            title = column.title(lang)
            self.write(top, c, title, head)
            self.ws.set_column(c, c, max(10, min(40, text_width(title) + 2)))
        r = top
        for r, row in enumerate(rows, start=top + 1):
            for c, column in enumerate(columns):
                self.write(r, c, row.get(column.id), body, column.unit_of(row))
        return r + 2


def text_width(text: str) -> int:
    """Excel column width of text: CJK characters count twice."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_table(
    target: str | Path | IO[bytes],
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    sheet: str = "data",
    lang: str = "zh",
) -> None:
    """A workbook of one table: headers with units, the header row frozen."""
    with Workbook(target, lang) as book:
        ws = book.sheet(sheet)
        ws.table(0, columns, rows, head={"bold": True, "bg_color": "#DDEBF7", "border": 1})
        ws.ws.freeze_panes(1, 0)


def xlsx_bytes(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], sheet: str, lang: str = "zh"
) -> bytes:
    buffer = io.BytesIO()
    write_table(buffer, rows, columns, sheet, lang)
    return buffer.getvalue()
