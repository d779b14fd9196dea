"""`kaohe import FILE...`: import exports, report counts per file (spec: cli.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kaohe import schema
from kaohe.errors import EXIT_REJECTED, NotFoundError, UsageError
from kaohe.output import emit
from kaohe.spreadsheet import columns_of

if TYPE_CHECKING:
    from kaohe.ingest.load import ImportResult

COLUMNS = ["file", "table", "preset", "read", "inserted", "updated", "rejected", "skipped"]
HEADERS = {
    "zh": ["文件", "表", "映射预设", "读取", "新增", "更新", "拒绝", "跳过"],
    "en": ["file", "table", "preset", "read", "inserted", "updated", "rejected", "skipped"],
}
CLI_HINT = (
    "（可用 --preset 指定预设或映射文件 / pass --preset ID or a mapping .yaml file; "
    "see docs/presets.md)"
)
PERIOD_SOURCES = {
    "date column": ("日期列", "the date column"),
    "option": ("--period", "--period"),
    "title row": ("标题行", "a title row"),
    "file name": ("文件名", "the file name"),
}
STAGES = ("read", "validate", "write", "done")


def check_args(files: tuple[str, ...], table: str | None) -> None:
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
    from kaohe.imports import import_file
    from kaohe.ingest.detect import DetectionError
    from kaohe.ingest.limits import limits_from_config
    from kaohe.ingest.presets import mappings_dir

    results: list[ImportResult] = []
    config = ctx.obj.config
    limits = limits_from_config(config)
    folder = mappings_dir(config.db, config.section("import"))
    with ctx.obj.open_store(create=True) as store, _progress(len(files)) as progress:
        for name in files:
            try:
                result = import_file(
                    store,
                    name,
                    zone=config.zone,
                    progress=progress,
                    limits=limits,
                    mappings=folder,
                    **options,  # type: ignore[arg-type]
                )
            except DetectionError as exc:
                raise UsageError(f"{exc} {CLI_HINT}") from None
            results.append(result)
    return results


def _file_notes(result: ImportResult, lang: str) -> list[str]:
    """What the summary table cannot show: columns not read, rows skipped and why, the
    period and where it came from, units read from headers, what the reader changed."""
    zh = lang == "zh"
    notes = list(result.notes)
    if result.header_row and result.header_row > 1:
        notes.append(
            f"表头在第 {result.header_row} 行，上方的标题行已跳过"
            if zh
            else f"header on row {result.header_row}; the title rows above it were skipped"
        )
    if result.ignored_columns:
        label = "未读取的列" if zh else "columns not read"
        notes.append(f"{label}: {', '.join(result.ignored_columns)}")
    for skip in result.skips:
        rows = ", ".join(str(r) for r in skip["rows"])  # type: ignore[attr-defined]
        more = "…" if int(skip["count"]) > len(skip["rows"]) else ""  # type: ignore[arg-type]
        where = f" ({'行' if zh else 'rows'} {rows}{more})" if rows else ""
        notes.append(f"{'跳过' if zh else 'skipped'} {skip['count']}: {skip['reason']}{where}")
    if result.period_source:
        source = PERIOD_SOURCES.get(result.period_source, (result.period_source,) * 2)
        label = source[0] if zh else source[1]
        value = f" {result.period}" if result.period else ""
        notes.append(f"周期{value}，取自{label}" if zh else f"period{value} from {label}")
    if result.units:
        units = ", ".join(f"{h} → {u}" for h, u in result.units.items())
        notes.append(f"{'按表头单位读取' if zh else 'units read from headers'}: {units}")
    return notes


def _report_notes(results: list[ImportResult], lang: str) -> None:
    for result in results:
        for note in _file_notes(result, lang):
            click.echo(f"{Path(result.file).name}: {note}", err=True)


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
    check_args(files, table)
    options = {
        "table": table,
        "preset": preset,
        "platform": platform,
        "shop": shop,
        "period": period,
    }
    client = ctx.obj.server()
    if client is not None:  # a running server holds the store: the import goes through it
        through_server(ctx, client, files, options, fmt, out)
        return
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
        _report_notes(results, lang)
        _report_agents(results, lang)
    if any(r.rejected for r in results):
        ctx.exit(EXIT_REJECTED)


def through_server(
    ctx: click.Context,
    client: Any,
    files: tuple[str, ...],
    options: dict[str, str | None],
    fmt: str,
    out: str | None,
) -> None:
    """`kaohe import` while `kaohe serve` holds the store: each file posted to its API (one
    writer, the same import), the same report; a file the server refused is an error."""
    lang = ctx.obj.lang if ctx.obj.lang in HEADERS else "zh"
    click.echo(f"经由服务器导入 / importing through the server at {client.info.url}", err=True)
    rows, failed = [], []
    for name in files:
        with open(name, "rb") as handle:
            answer = client.post(
                "/imports",
                data={k: v for k, v in options.items() if v is not None},
                files=[("files", (Path(name).name, handle))],
            )
        for row in answer["files"]:
            (failed if row.get("error") else rows).append(row)
    emit(
        {"files": rows},
        rows,
        columns_of(COLUMNS, HEADERS[lang]),
        fmt,
        out,
        title="导入结果" if lang == "zh" else "import",
        lang=lang,
    )
    for row in rows:
        for text in row.get("notes") or []:
            click.echo(f"{row['file']}: {text}", err=True)
    if failed:
        raise UsageError("; ".join(f"{r['file']}: {r['error']}" for r in failed))
    if any(r["rejected"] for r in rows):
        ctx.exit(EXIT_REJECTED)
