"""`kaohe pay --plan ID|FILE --period P [--provisional]` (spec: cli.md, schemes.md)."""

from __future__ import annotations

from typing import Any

import click

from kaohe.commands import note
from kaohe.engine.periods import parse_period
from kaohe.errors import UsageError
from kaohe.output import Column, emit
from kaohe.units import format_value


@click.command("pay")
@click.option(
    "--plan",
    "plan_ref",
    default=None,
    help="preset id or YAML file; without it each agent gets their population's plan "
    "(assignments, docs/assignments.md)",
)
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
    plan_ref: str | None,
    period: str,
    scheme_ref: str | None,
    provisional: bool,
    sets: tuple[str, ...],
    payslip_agent: str | None,
    fmt: str,
    out: str | None,
) -> None:
    """薪资核算 / payslips, line by line."""
    parse_period(period)
    runs = _given(obj, plan_ref, period, scheme_ref, provisional, sets)
    if runs is None:
        runs = _assigned(obj, period, scheme_ref, provisional, sets)
    if fmt == "xlsx":
        from kaohe.reports.assessment import write_assessment

        if not out:
            raise UsageError("--format xlsx needs --out FILE.xlsx")
        scored = list({id(s): s for _, _, s in runs if s}.values())
        payrolls = [r for _, r, _ in runs]
        settled = not any(r.provisional for r in payrolls)
        click.echo(write_assessment(out, scored, payrolls, settled=settled))
        return
    if payslip_agent:
        click.echo(_payslip_text([r for _, r, _ in runs], payslip_agent))
        return
    if fmt == "table" or len(runs) == 1:
        for plan, result, _ in runs:
            rows, columns = _table(plan, result)
            payload = {
                "plan": plan.id,
                "period": period,
                "settled": not result.provisional,
                "rows": rows,
            }
            emit(payload, rows, columns, fmt, out, title=f"{plan.name} {period}", lang=obj.lang)
        return
    _emit_together(obj, runs, period, fmt, out)


Run = tuple[Any, Any, Any]  # plan, PayResult, the ScoreResult it read (or None)


def _given(
    obj: Any,
    plan_ref: str | None,
    period: str,
    scheme_ref: str | None,
    provisional: bool,
    sets: tuple[str, ...],
) -> list[Run] | None:
    """The run of the plan given with --plan (everyone it applies to); None without one."""
    from kaohe.pay import load_plan
    from kaohe.pay.fetch import pay_period
    from kaohe.pay.plan import with_params as plan_with
    from kaohe.schemes import load_scheme
    from kaohe.schemes import with_params as scheme_with

    if not plan_ref:
        return None
    plan = load_plan(plan_ref)
    scheme = load_scheme(scheme_ref) if scheme_ref else None
    params = obj.params(sets, owners=[o for o in (plan, scheme) if o])
    plan = plan_with(plan, params.of(plan))
    scheme = scheme_with(scheme, params.of(scheme)) if scheme else None
    with obj.open_store(need_data=True, reads=True) as store:
        result, scored = pay_period(store, plan, period, scheme, provisional, params.engine)
    return [(plan, result, scored)]


def _assigned(
    obj: Any, period: str, scheme_ref: str | None, provisional: bool, sets: tuple[str, ...]
) -> list[Run]:
    """Each population paid with its assigned plan (kaohe.assigned)."""
    from kaohe.assigned import assigned_refs, pay_assigned
    from kaohe.assignments import (
        assignments_path,
        load_assignments,
        unassigned_note,
        unused_note,
    )

    assignments = load_assignments(assignments_path(obj.config))
    plans, schemes = assigned_refs(assignments)
    params = obj.params(sets, owners=[*plans, *schemes])
    with obj.open_store(need_data=True, reads=True) as store:
        paid, found = pay_assigned(
            store, assignments, period, provisional, params.engine, params.of, scheme_ref
        )
    for text in (unassigned_note(found), unused_note(found)):
        if text:
            note(text)
    return [(p.plan, p.result, p.scored) for p in paid]


def _table(plan: Any, result: Any) -> tuple[list[dict[str, Any]], list[Column]]:
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
    items = plan.printed()
    columns = [
        Column("agent", "客服", role="name"),
        Column("name", "姓名", role="key"),
        *[Column(i, name, "yuan") for i, name in items],
        Column("total", "应发合计", "yuan"),
        Column("status", "状态"),
    ]
    return rows, columns


def _emit_together(obj: Any, runs: list[Run], period: str, fmt: str, out: str | None) -> None:
    """Several plans in one file: every plan's lines as columns, each row naming its plan."""
    rows: list[dict[str, Any]] = []
    columns: dict[str, Column] = {}
    for plan, result, _ in runs:
        plan_rows, plan_columns = _table(plan, result)
        rows += [{**r, "plan": plan.name} for r in plan_rows]
        for column in plan_columns:
            columns.setdefault(column.id, column)
    ordered = [columns.pop("agent"), columns.pop("name"), Column("plan", "薪资方案")]
    tail = [columns.pop("total"), columns.pop("status")]
    payload = {
        "plans": [plan.id for plan, _, _ in runs],
        "period": period,
        "settled": not any(r.provisional for _, r, _ in runs),
        "rows": rows,
    }
    columns_all = [*ordered, *columns.values(), *tail]
    emit(payload, rows, columns_all, fmt, out, title=f"薪资核算 {period}", lang=obj.lang)


def _payslip_text(results: list[Any], agent: str) -> str:
    from kaohe.agents import match_agent

    names = {s.agent: s.name for r in results for s in r.payslips}
    plans = "、".join(r.plan_id for r in results)
    among = f"薪资方案 {plans} 的工资条 / paid by {plans}"
    found = match_agent(agent, names, names, among)
    result = next(r for r in results if any(s.agent == found for s in r.payslips))
    slip = result.payslip(found)
    head = f"{slip.agent} {slip.name or ''} — {result.plan_name} {result.period or ''}"
    mark = " (暂估 / provisional)" if slip.provisional else ""
    lines = [
        head.strip() + mark,
        *(f"  {ln.name}：{format_value(ln.amount, 'yuan')}  {ln.wording}" for ln in slip.lines),
        f"  应发合计 {format_value(slip.total, 'yuan')}",
        *(f"  ! {n}" for n in slip.notices),
    ]
    return "\n".join(lines)
