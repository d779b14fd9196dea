"""`kaohe quarantine [--export FILE]`: rows rejected on import (spec: cli.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kaohe.output import emit
from kaohe.spreadsheet import columns_of

if TYPE_CHECKING:
    from kaohe.store import Store

COLUMNS = ["file", "row", "column", "value", "reason"]
HEADERS = {
    "zh": ["文件", "行号", "列", "值", "原因"],
    "en": ["file", "row", "column", "value", "reason"],
}


def quarantine_rows(store: Store) -> list[dict[str, Any]]:
    cur = store.con.execute(
        'SELECT file, "row", "column", value, reason FROM quarantine ORDER BY file, "row", "column"'
    )
    return [dict(zip(COLUMNS, r, strict=True)) for r in cur.fetchall()]


@click.command("quarantine")
@click.option(
    "--export", "export_path", default=None, help="write the rows to FILE (.csv, or .xlsx)"
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table"
)
@click.option("--out", default=None, help="write to FILE instead of stdout")
@click.pass_context
def command(ctx: click.Context, export_path: str | None, fmt: str, out: str | None) -> None:
    """隔离区：导入时被拒绝的行 / rows rejected on import."""
    with ctx.obj.open_store(reads=True) as store:
        rows = quarantine_rows(store)
    lang = ctx.obj.lang if ctx.obj.lang in HEADERS else "zh"
    if export_path:
        kind = "xlsx" if export_path.lower().endswith(".xlsx") else "csv"
        emit({"rows": rows}, rows, columns_of(COLUMNS), kind, export_path, lang=lang)
        click.echo(f"{len(rows)} → {export_path}", err=True)
        return
    emit(
        {"rows": rows},
        rows,
        columns_of(COLUMNS, HEADERS[lang]),
        fmt,
        out,
        title="隔离区" if lang == "zh" else "quarantine",
        lang=lang,
    )
