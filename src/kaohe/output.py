"""Command output: a labelled table on the terminal, or stable csv/json/xlsx for machines."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import click


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:  # NaN -> null
        return None
    return value


def to_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2, default=_jsonable)


def rows_to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else _jsonable(row.get(k))) for k in columns})
    return buffer.getvalue()


def write_xlsx(
    path: str,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    headers: Sequence[str] | None = None,
    sheet: str = "data",
) -> None:
    import xlsxwriter

    with xlsxwriter.Workbook(path) as book:
        ws = book.add_worksheet(sheet[:31])
        bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        for j, title in enumerate(headers or columns):
            ws.write(0, j, title, bold)
            ws.set_column(j, j, max(10, len(str(title)) * 2))
        for i, row in enumerate(rows, start=1):
            for j, key in enumerate(columns):
                value = _jsonable(row.get(key))
                ws.write(i, j, value if value is not None else "")
        ws.freeze_panes(1, 0)


def render_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    headers: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for header in headers or columns:
        table.add_column(str(header))
    for row in rows:
        table.add_row(*["" if row.get(c) is None else str(_jsonable(row.get(c))) for c in columns])
    Console(file=sys.stdout).print(table)


def emit(
    payload: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: str,
    out: str | None,
    headers: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Write `rows` as fmt (table|json|csv|xlsx) to `out` or stdout."""
    if fmt == "table":
        render_table(rows, columns, headers, title)
        return
    if fmt == "xlsx":
        if not out:
            raise click.UsageError("--format xlsx needs --out FILE")
        write_xlsx(out, rows, columns, headers)
        return
    text = to_json(payload) + "\n" if fmt == "json" else rows_to_csv(rows, columns)
    if out:
        with open(out, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)
