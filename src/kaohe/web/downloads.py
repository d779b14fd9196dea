"""Excel downloads of page tables, written in memory by kaohe.spreadsheet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import Response

from kaohe.spreadsheet import Column, xlsx_bytes

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(
    rows: list[dict[str, Any]],
    columns: Sequence[Column | tuple[str, str]],
    filename: str,
    sheet: str,
) -> Response:
    """The table as an .xlsx attachment (kaohe.spreadsheet: no cell becomes a formula);
    `columns` are Columns (with their units) or plain (row key, header label) pairs."""
    name = filename if filename.endswith(".xlsx") else f"{filename}.xlsx"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    table = [c if isinstance(c, Column) else Column(*c) for c in columns]
    return Response(
        xlsx_bytes(rows, table, sheet or "Sheet1"),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": disposition},
    )
