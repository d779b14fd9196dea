"""`kaohe explain METRIC --agent A --period P` (spec: cli.md)."""

from __future__ import annotations

from typing import Any

import click

from kaohe.engine.periods import period_from_args
from kaohe.output import to_json


@click.command("explain")
@click.argument("metric")
@click.option(
    "--agent", required=True, help="agent account, or its unique sub-account / roster name"
)
@click.option("--period", "-p", default=None, help="2026-10, 2026-Q4, 2026-W43, 2026-10-05, last30")
@click.option("--from", "start", default=None)
@click.option("--to", "end", default=None)
@click.option("--set", "sets", multiple=True, help="parameter override key=value")
@click.option("--limit", default=10, show_default=True, help="rows shown behind the value")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def command(
    obj: Any,
    metric: str,
    agent: str,
    period: str | None,
    start: str | None,
    end: str | None,
    sets: tuple[str, ...],
    limit: int,
    fmt: str,
) -> None:
    """指标说明 / how a metric value comes about."""
    from kaohe.agents import resolve_agent
    from kaohe.commands.kpi import data_span
    from kaohe.engine.explain import explain
    from kaohe.engine.registry import get

    get(metric)  # unknown metric: exit 1 before touching the store
    chosen = period_from_args(period, start, end)
    overrides = obj.params(sets).engine
    with obj.open_store(need_data=True, reads=True) as store:
        data_span(store, chosen)
        account = resolve_agent(store, agent)
        result = explain(store, metric, account, chosen, overrides, limit)
    if fmt == "json":
        click.echo(to_json(result))
        return
    _render(result, obj.lang)


def _render(result: dict[str, Any], lang: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    name = result["en"] if lang == "en" else result["zh"]
    console.print(
        f"[bold]{result['metric']}[/bold] {name} — {result['agent']} "
        f"({result['from'] or '…'} – {result['to'] or '…'})"
    )
    console.print(f"计算方法 / in words: {result['words_en' if lang == 'en' else 'words']}")
    console.print(f"formula / 公式: {result['formula']}")
    if result["base"]:
        console.print(f"instance of / 基于: {result['base']}")
    params = ", ".join(f"{k}={v!r}" for k, v in result["params"].items())
    console.print(f"parameters / 参数: {params}")
    for key in ("parts", "numerator", "denominator", "value"):
        console.print(f"{key}: {result[key]}")
    rows = result["rows"]
    if rows:
        table = Table(title=f"first rows of {result['source']}")
        for col in rows[0]:
            table.add_column(col)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row.values()))
        console.print(table)
