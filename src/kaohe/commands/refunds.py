"""`kaohe refunds --period P [--by shop,agent]`: the monthly refund-reason analysis (seed 002
客服主管: 每个月针对退款的情况进行分析，给出合理建议和解决方案)."""

from __future__ import annotations

from typing import Any

import click

from kaohe.engine.periods import period_from_args
from kaohe.spreadsheet import Column

GROUP_HEADERS = {"shop": "店铺", "agent": "处理客服"}
COLUMNS = [
    Column("shop", "店铺", role="key"),
    Column("agent", "处理客服", role="name"),
    Column("category", "退款原因类别", role="key"),
    Column("cases", "售后单量", "count"),
    Column("share", "占比", "ratio"),
    Column("succeeded", "退款成功", "count"),
    Column("amount", "退款金额", "yuan"),
    Column("reasons", "买家填写的原因"),
]


@click.command("refunds")
@click.option("--period", "-p", default=None, help="2026-10, 2026-Q4, 2026-W43, 2026-10-05, last30")
@click.option("--from", "start", default=None)
@click.option("--to", "end", default=None)
@click.option("--by", default="shop", show_default=True, help="shop, agent or shop,agent")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option("--out", default=None, help="write to this file (xlsx needs it)")
@click.pass_obj
def command(
    obj: Any,
    period: str | None,
    start: str | None,
    end: str | None,
    by: str,
    fmt: str,
    out: str | None,
) -> None:
    """退款原因分析 / refund cases by reason category, per shop or agent."""
    from kaohe.engine.refund_reasons import refund_reasons
    from kaohe.output import emit

    chosen = period_from_args(period, start, end)
    keys = [k.strip() for k in by.split(",") if k.strip()]
    with obj.open_store(read_only=True) as store:
        rows = refund_reasons(store, chosen, keys)
    label = chosen.label if chosen else "all"
    payload = {"period": label, "by": keys, "rows": rows}
    columns = [c for c in COLUMNS if c.id in keys or c.id not in GROUP_HEADERS]
    emit(payload, rows, columns, fmt, out, title=f"退款原因分析 {label}", lang=obj.lang)
