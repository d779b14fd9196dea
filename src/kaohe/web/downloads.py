"""Excel downloads of page tables, written in memory with xlsxwriter."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import xlsxwriter
from fastapi import Response

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, int | float | str | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def xlsx_bytes(rows: list[dict[str, Any]], columns: list[tuple[str, str]], sheet: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    ws = book.add_worksheet(sheet[:31] or "Sheet1")
    bold = book.add_format({"bold": True})
    for col, (_, label) in enumerate(columns):
        ws.write(0, col, label, bold)
        ws.set_column(col, col, max(10, min(40, len(label) * 2 + 2)))
    for r, row in enumerate(rows, start=1):
        for col, (key, _) in enumerate(columns):
            value = _cell(row.get(key))
            if value is not None:
                ws.write(r, col, value)
    ws.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def xlsx_response(
    rows: list[dict[str, Any]], columns: list[tuple[str, str]], filename: str, sheet: str
) -> Response:
    """The table as an .xlsx attachment; `columns` are (row key, header label)."""
    name = filename if filename.endswith(".xlsx") else f"{filename}.xlsx"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        xlsx_bytes(rows, columns, sheet),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": disposition},
    )
