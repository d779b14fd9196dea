"""kaohe.spreadsheet: CSV and xlsx cells that cannot run, numbers that stay numbers."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from kaohe.spreadsheet import BOM, Column, Workbook, csv_text, neutral, write_csv

ROWS = [
    {"who": "=1+1", "note": "@cmd", "tab": "\tx", "cr": "\rx", "n": -12.5, "d": Decimal("3.10")},
    {"who": "+86 138", "note": "-abc", "tab": "plain", "cr": None, "n": 3, "d": None},
]
IDS = ["who", "note", "tab", "cr", "n", "d"]


def test_neutral_prefixes_only_text_that_would_run() -> None:
    texts = ("=A1", "+1+1", "-1+cmd|' /C calc'!A0", "@x", "\tx", "\rx", "a=b", "", "-2-3")
    assert [neutral(t) for t in texts] == [
        "'=A1",
        "'+1+1",
        "'-1+cmd|' /C calc'!A0",
        "'@x",
        "'\tx",
        "'\rx",
        "a=b",
        "",
        "'-2-3",
    ]


def test_a_signed_figure_keeps_its_sign() -> None:
    """`kaohe pay | cat` printed '-102.97: a formatted figure is a number, not a formula."""
    for figure in ("-102.97", "-¥1,234.50", "+3.4%", "-12秒", "+1"):
        assert neutral(figure) == figure


def test_csv_text_keeps_numbers_and_neutralises_text() -> None:
    rows = list(csv.reader(io.StringIO(csv_text(ROWS, IDS))))
    assert rows == [
        IDS,
        ["'=1+1", "'@cmd", "'\tx", "'\rx", "-12.5", "3.1"],
        ["'+86 138", "'-abc", "plain", "", "3", ""],
    ]


def test_csv_headers_are_neutralised_too() -> None:
    assert csv_text([], ["a"], ["=HYPERLINK()"]).splitlines() == ["'=HYPERLINK()"]


def test_csv_file_starts_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    write_csv(path, [{"a": "中文", "t": datetime(2026, 10, 5, 9, 30)}], ["a", "t"])
    text = path.read_text(encoding="utf-8")
    assert text.startswith(BOM) and text[1:] == "a,t\n中文,2026-10-05 09:30:00\n"


def test_workbook_cells(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    with Workbook(path) as book:
        sheet = book.sheet("a/b:c?" * 10)  # too long, with characters Excel refuses
        sheet.table(0, [Column("who", "谁"), Column("n", "时长", "minutes")], ROWS)
        sheet.write(5, 0, date(2026, 10, 5))
        sheet.write(5, 1, True)
        again = book.sheet("a/b:c?" * 10)
    assert len(sheet.name) <= 31 and "/" not in sheet.name and again.name != sheet.name
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
        strings = z.read("xl/sharedStrings.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert "<f>" not in xml and "=1+1" in strings and 'quotePrefix="1"' in styles
    assert "<v>-12.5</v>" in xml and "<v>3</v>" in xml  # numbers stay numbers
    assert "时长 (分钟)" in strings and 'formatCode="#,##0.0"' in styles
    assert "是" in strings  # a yes/no in words


def test_no_other_module_writes_xlsx_or_csv() -> None:
    """One writer: only kaohe.spreadsheet touches xlsxwriter or the csv module's writers (the
    importers read with csv.reader). The demo's
    synthetic platform exports (inputs for the importer, written as platforms write them)
    are the one exception, and they use polars / pyarrow, not these."""
    src = Path(__file__).resolve().parents[1] / "src" / "kaohe"
    writers = re.compile(r"^\s*(import|from) xlsxwriter\b|csv\.(Dict)?[Ww]riter", re.M)
    offenders = [
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if path.name != "spreadsheet.py" and writers.search(path.read_text("utf-8"))
    ]
    assert offenders == []
