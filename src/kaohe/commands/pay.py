"""`kaohe pay --plan ID|FILE --period P [--provisional]` (spec: cli.md, schemes.md)."""

from __future__ import annotations

from typing import Any

import click

from kaohe.engine.periods import parse_period
from kaohe.errors import UsageError
from kaohe.output import Column, emit
from kaohe.units import format_value


@click.command("pay")
@click.option("--plan", "plan_ref", required=True, help="preset id or YAML file")
@click.option("--period", "-p", required=True, help="2026-10, 2026-Q4")
@click.option(
    "--scheme",
    "scheme_ref",
    default=None,
    help="the scheme whose results (score., rank.) the plan reads",
)
@click.option(
    "--provisional", is_flag=True, help="pay an unsettled period; every payslip is marked 暂估"
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    help="parameter key=value: a plan or scheme parameter, or a metric parameter",
)
@click.option(
    "--payslip",
    "payslip_agent",
    default=None,
    help="one agent's payslip, line by line (account, unique sub-account or roster name)",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option("--out", default=None, help="output file")
@click.pass_obj
def command(
    obj: Any,
    plan_ref: str,
    period: str,
    scheme_ref: str | None,
    provisional: bool,
    sets: tuple[str, ...],
    payslip_agent: str | None,
    fmt: str,
    out: str | None,
) -> None:
    """薪资核算 / payslips, line by line."""
    from kaohe.pay import load_plan
    from kaohe.pay.fetch import pay_period
    from kaohe.pay.plan import with_params as plan_with
    from kaohe.schemes import load_scheme
    from kaohe.schemes import with_params as scheme_with

    parse_period(period)
    plan = load_plan(plan_ref)
    scheme = load_scheme(scheme_ref) if scheme_ref else None
    params = obj.params(sets, owners=[o for o in (plan, scheme) if o])
    plan = plan_with(plan, params.of(plan))
    scheme = scheme_with(scheme, params.of(scheme)) if scheme else None
    with obj.open_store(need_data=True) as store:
        result, scored = pay_period(store, plan, period, scheme, provisional, params.engine)
    if fmt == "xlsx":
        from kaohe.reports.assessment import write_assessment

        if not out:
            raise UsageError("--format xlsx needs --out FILE.xlsx")
        click.echo(
            write_assessment(
                out, [scored] if scored else [], result, settled=not result.provisional
            )
        )
        return
    if payslip_agent:
        click.echo(_payslip_text(result, payslip_agent))
        return
    rows = [
        {
            "agent": s.agent,
            "name": s.name,
            "total": s.total,
            "status": "暂估" if s.provisional else "已结算",
            **{ln.id: ln.amount for ln in s.lines},
        }
        for s in result.payslips
    ]
    payload = {"plan": plan.id, "period": period, "settled": not result.provisional, "rows": rows}
    items = [(p.id, p.name) for p in plan.pools] + [(ln.id, ln.name) for ln in plan.all_lines()]
    columns = [
        Column("agent", "客服", role="name"),
        Column("name", "姓名", role="key"),
        *[Column(i, name, "yuan") for i, name in items],
        Column("total", "应发合计", "yuan"),
        Column("status", "状态"),
    ]
    emit(payload, rows, columns, fmt, out, title=f"{plan.name} {period}", lang=obj.lang)


def _payslip_text(result: Any, agent: str) -> str:
    from kaohe.agents import match_agent

    names = {s.agent: s.name for s in result.payslips}
    among = f"薪资方案 {result.plan_id} 的工资条 / paid by {result.plan_id}"
    slip = result.payslip(match_agent(agent, names, names, among))
    head = f"{slip.agent} {slip.name or ''} — {result.plan_name} {result.period or ''}"
    mark = " (暂估 / provisional)" if slip.provisional else ""
    lines = [
        head.strip() + mark,
        *(f"  {ln.explain()}" for ln in slip.lines),
        f"  应发合计 {format_value(slip.total, 'yuan')}",
        *(f"  ! {n}" for n in slip.notices),
    ]
    return "\n".join(lines)
