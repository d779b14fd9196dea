"""`kaohe generate`: synthetic data at benchmark scale."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click


def _progress_bar(total: int):  # noqa: ANN202 - rich Progress or None
    if not sys.stdout.isatty():
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("生成 / generating"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} 消息"),
        TimeRemainingColumn(),
    )


@click.command("generate")
@click.option(
    "--messages",
    "-n",
    type=click.IntRange(min=1),
    required=True,
    help="chat messages to generate (orders, refunds … follow)",
)
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), required=True, help="output directory"
)
@click.option("--seed", type=int, default=0, show_default=True, help="random seed")
@click.option("--days", type=click.IntRange(min=1), default=None, help="days covered (35)")
@click.option(
    "--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True
)
def command(messages: int, out_dir: str, seed: int, days: int | None, fmt: str) -> None:
    """合成数据 — write synthetic chats, orders, refunds, ratings … (deterministic)."""
    from kaohe.demo.generate import generate

    counts: dict[str, int] = {}
    bar = _progress_bar(messages)
    began = time.perf_counter()
    if bar is None:
        paths = generate(
            out_dir,
            messages=messages,
            seed=seed,
            days=days,
            fmt=fmt,  # type: ignore[arg-type]
            counts=counts,
        )
    else:
        with bar:
            task = bar.add_task("gen", total=messages)
            paths = generate(
                out_dir,
                messages=messages,
                seed=seed,
                days=days,
                fmt=fmt,
                counts=counts,  # type: ignore[arg-type]
                progress=lambda done: bar.update(task, completed=done),
            )
    seconds = time.perf_counter() - began
    for table, path in paths.items():
        click.echo(f"{table:<15} {counts.get(table, 0):>12,}  {Path(path)}")
    click.echo(f"{counts.get('messages', 0):,} messages in {seconds:.1f} s")
