"""`kaohe import FILE...`: import exports, report counts per file (spec: cli.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from kaohe import schema
from kaohe.errors import EXIT_REJECTED, NotFoundError, UsageError
from kaohe.ingest.load import ImportResult, import_file
from kaohe.output import emit
from kaohe.spreadsheet import columns_of

COLUMNS = ["file", "table", "preset", "read", "inserted", "updated", "rejected"]
HEADERS = {
    "zh": ["文件", "表", "映射预设", "读取", "新增", "更新", "拒绝"],
    "en": ["file", "table", "preset", "read", "inserted", "updated", "rejected"],
}
STAGES = ("read", "validate", "write", "done")


def _check_args(files: tuple[str, ...], table: str | None) -> None:
    if table is not None and table not in schema.TABLES:
        raise UsageError(f"unknown table {table!r} (known: {', '.join(schema.TABLES)})")
    for name in files:
        if not Path(name).exists():
            raise NotFoundError(f"file not found: {name}")


@contextmanager
def _progress(total: int) -> Iterator[Callable[[str], None] | None]:
    """A rich progress bar over files x stages, only on a terminal."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("import", total=total * len(STAGES))
        yield lambda stage: bar.update(task, advance=1, description=f"import: {stage}")


def _run(
    ctx: click.Context,
    files: tuple[str, ...],
    options: dict[str, str | None],
) -> list[ImportResult]:
    results: list[ImportResult] = []
    with ctx.obj.open_store(create=True) as store, _progress(len(files)) as progress:
        for name in files:
            results.append(
                import_file(store, name, zone=ctx.obj.config.zone, progress=progress, **options)
            )
    return results


def _report_agents(results: list[ImportResult], lang: str) -> None:
    agents = sorted({a for r in results for a in r.new_agents})
    if agents:
        label = (
            "新加入客服名单（角色 unknown）"
            if lang == "zh"
            else "agents added to the roster (role unknown)"
        )
        click.echo(f"{label}: {', '.join(agents)}", err=True)


@click.command("import")
@click.argument("files", nargs=-1, required=True)
@click.option("--table", default=None, help="target table (detected from headers if omitted)")
@click.option("--preset", default=None, help="mapping preset id or a mapping .yaml file")
@click.option("--platform", default=None, help="platform for rows without one")
@click.option("--shop", default=None, help="shop for rows without one")
@click.option(
    "--period", default=None, help="period of a platform report without a 日期 column, e.g. 2026-10"
)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--out", default=None, help="write the report to FILE")
@click.pass_context
def command(
    ctx: click.Context,
    files: tuple[str, ...],
    table: str | None,
    preset: str | None,
    platform: str | None,
    shop: str | None,
    period: str | None,
    fmt: str,
    out: str | None,
) -> None:
    """导入数据文件 / import export files (CSV, XLSX, JSON Lines, Parquet, chat text)."""
    _check_args(files, table)
    options = {
        "table": table,
        "preset": preset,
        "platform": platform,
        "shop": shop,
        "period": period,
    }
    results = _run(ctx, files, options)
    lang = ctx.obj.lang if ctx.obj.lang in HEADERS else "zh"
    rows = [r.as_dict() for r in results]
    emit(
        {"files": rows},
        rows,
        columns_of(COLUMNS, HEADERS[lang]),
        fmt,
        out,
        title="导入结果" if lang == "zh" else "import",
        lang=lang,
    )
    if fmt == "table":
        _report_agents(results, lang)
    if any(r.rejected for r in results):
        ctx.exit(EXIT_REJECTED)
