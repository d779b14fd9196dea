"""Command output (spec: cli.md): a table on a terminal, plain TSV when piped, or stable
csv/json/xlsx for machines.

The terminal and the TSV show values as people read them (kaohe.units: percents, units in
the headers, at most two decimals); csv and json keep the raw values and the ids as column
names. Every file is written by kaohe.spreadsheet, so no cell can become a formula.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kaohe import spreadsheet
from kaohe.spreadsheet import Column
from kaohe.units import MISSING, format_value, number

if TYPE_CHECKING:
    from kaohe.terminal import Grid

__all__ = ["Column", "emit", "line", "render_table", "render_sections", "to_json"]


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


def cell(value: Any, column: Column, lang: str = "zh") -> str:
    """A value as the terminal and the TSV show it: a number in its column's unit (the unit
    itself is in the header), text as it is."""
    if value is None:
        return MISSING if column.unit else ""
    if column.unit or number(value) is not None:
        return format_value(value, column.unit, lang, with_unit=False, trim=False)
    shown = spreadsheet.plain(value)
    return "" if shown is None else " ".join(str(shown).splitlines())


def _grid(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], title: str, lang: str
) -> Grid:
    from kaohe.terminal import Grid

    return Grid(
        title=title,
        headers=[c.title(lang) for c in columns],
        rows=[[cell(row.get(c.id), c, lang) for c in columns] for row in rows],
        numeric=[c.unit is not None for c in columns],
        names=[c.role == "name" for c in columns],
        keys=[c.identifies for c in columns],
    )


def plain_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], lang: str) -> str:
    """The table as TSV: the terminal's headers and values, one line per row."""
    shown = [{c.id: cell(row.get(c.id), c, lang) for c in columns} for row in rows]
    ids, headers = [c.id for c in columns], [c.title(lang) for c in columns]
    return spreadsheet.csv_text(shown, ids, headers, delimiter="\t", newline="\n")


def render_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    title: str | None = None,
    lang: str = "zh",
) -> None:
    """On a terminal, a table that fits its width (kaohe.terminal); piped, plain TSV with the
    title on stderr."""
    from kaohe import terminal

    if terminal.is_terminal():
        terminal.show(_grid(rows, columns, title or "", lang))
        return
    if title:
        click.echo(title, err=True)
    click.echo(plain_text(rows, columns, lang), nl=False)


def render_sections(
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[Column],
    sections: Sequence[tuple[str, Sequence[Column]]],
    lang: str = "zh",
) -> None:
    """Many columns: on a terminal one table per (title, columns) section, each with the key
    columns; piped, one TSV with every column."""
    from kaohe import terminal

    if terminal.is_terminal():
        for title, columns in sections:
            terminal.show(_grid(rows, [*keys, *columns], title, lang), split=True)
        return
    if sections:
        click.echo(sections[0][0], err=True)
    every = [*keys, *(c for _, columns in sections for c in columns)]
    click.echo(plain_text(rows, every, lang), nl=False)


def line(text: str, indent: int = 0) -> None:
    """A line of prose under a table: wrapped to the terminal's width (continuation lines
    keep the indent), or as it is when piped."""
    from kaohe import terminal

    if terminal.is_terminal():
        terminal.show_text(text, indent)
    else:
        click.echo(" " * indent + text)


def _stdout_is_a_file() -> bool:
    """Whether stdout was redirected to a regular file (`> out.csv`), not a pipe."""
    try:
        return stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):
        return False  # e.g. a test runner's in-memory stdout


def emit(
    payload: dict[str, Any],
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    out: str | None,
    title: str | None = None,
    lang: str = "zh",
) -> None:
    """Write `rows` as fmt (table|json|csv|xlsx) to `out` or stdout. csv and json keep the
    raw values under the column ids; a csv file (or stdout redirected to one) starts with
    a BOM for Excel, a pipe does not."""
    ids = [c.id for c in columns]
    if fmt == "xlsx":
        if not out:
            raise click.UsageError("--format xlsx needs --out FILE")
        spreadsheet.write_table(out, rows, columns, sheet=title or "data", lang=lang)
        return
    if fmt == "csv" and out:
        spreadsheet.write_csv(Path(out), rows, ids)
        return
    if fmt == "table":
        if out:
            Path(out).write_text(plain_text(rows, columns, lang), encoding="utf-8")
        else:
            render_table(rows, columns, title, lang)
        return
    if fmt == "csv":
        bom = spreadsheet.BOM if _stdout_is_a_file() else ""
        click.echo(bom + spreadsheet.csv_text(rows, ids), nl=False)
        return
    text = to_json(payload) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
