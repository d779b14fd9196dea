"""`kaohe credit ORDER_ID` (spec: cli.md): which agent an order was credited to, and why."""

from __future__ import annotations

from typing import Any

import click

from kaohe.output import to_json
from kaohe.units import format_value

POSITIONS = {
    "in_window": ("窗口内触点", "touch"),
    "before_window": ("窗口外", "outside window"),
    "after_anchor": ("锚点之后", "after anchor"),
}


@click.command("credit")
@click.argument("order_id")
@click.option(
    "--set",
    "sets",
    multiple=True,
    help="parameter override key=value (window, anchor, touch, pay_horizon, …)",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def command(obj: Any, order_id: str, sets: tuple[str, ...], fmt: str) -> None:
    """订单归属 / which agent an order was credited to, the touches, assists and why."""
    from kaohe.engine.attribution import credit

    overrides = obj.params(sets).engine
    with obj.open_store(read_only=True, need_data=True) as store:
        result = credit(store, order_id, overrides)
    if fmt == "json":
        click.echo(to_json(result))
        return
    _render(result, obj.lang)


def _render(result: dict[str, Any], lang: str) -> None:
    from rich.console import Console
    from rich.table import Table

    en = lang == "en"
    console = Console()
    rule = result["rule"]
    agent = result["credited_agent"] or ("— (silent)" if en else "— (静默)")
    lines = [
        ("订单 / order", f"{result['order_id']}  {result['shop']}  {result['buyer']}"),
        ("下单时间 / created", result["created_at"]),
        ("付款时间 / paid", result["paid_at"] or ("not paid" if en else "未付款")),
        ("金额 / amount", f"{format_value(result['amount'], 'yuan')} ({result['items']} 件)"),
        ("落实客服 / credited", agent),
        (
            "规则 / rule",
            f"anchor={rule['anchor']} (used: {rule['anchor_used']}), "
            f"touch={rule['touch']}, window={rule['window_h']:g} h "
            f"[{rule['window_from']} – {rule['anchor_time']}), "
            f"pay_horizon={rule['pay_horizon_days']:g} d, "
            f"clawback_days={rule['clawback_days']:g}",
        ),
        ("协助下单 / assisted before", ", ".join(result["assist_order"]) or "—"),
        ("协助跟进 / assisted follow-up", ", ".join(result["assist_followup"]) or "—"),
        ("退款 / refunded", format_value(result["refund_amount"], "yuan")),
        ("原因 / reason", result["reason"]["en" if en else "zh"]),
    ]
    for label, value in lines:
        console.print(f"[bold]{label}[/bold]: {value}")
    if result["touches"]:
        table = Table(title="有效回复 / valid replies")
        for col in (
            "客服 agent",
            "时间 time",
            "位置 position",
            "距锚点(秒) s before anchor",
            "落实 credited",
        ):
            table.add_column(col)
        for t in result["touches"]:
            zh, en_label = POSITIONS[t["position"]]
            table.add_row(
                t["agent"],
                str(t["time"]),
                en_label if en else zh,
                f"{t['seconds_before_anchor']:g}",
                "✓" if t["credited"] else "",
            )
        console.print(table)
