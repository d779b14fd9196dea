"""`kaohe score --scheme ID|FILE --period P [--compare ID|FILE]` (spec: cli.md, schemes.md)."""

from __future__ import annotations

from typing import Any

import click

from kaohe.commands import note
from kaohe.engine.periods import parse_period
from kaohe.errors import UsageError
from kaohe.output import Column, emit, to_json


@click.command("score")
@click.option(
    "--scheme",
    "scheme_ref",
    default=None,
    help="preset id or YAML file; without it each agent gets their population's scheme "
    "(assignments, docs/assignments.md)",
)
@click.option("--period", "-p", required=True, help="2026-10, 2026-Q4, 2026-W43, 2026-10-05")
@click.option(
    "--compare",
    "compare_ref",
    default=None,
    help="a second scheme scored on the same period, side by side (what-if)",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    help="parameter key=value: a scheme parameter (targets…) or a metric parameter",
)
@click.option(
    "--explain",
    "explain_agent",
    default=None,
    help="every item of one agent (account, unique sub-account or roster name)",
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
    scheme_ref: str | None,
    period: str,
    compare_ref: str | None,
    sets: tuple[str, ...],
    explain_agent: str | None,
    fmt: str,
    out: str | None,
) -> None:
    """考核评分 / scheme results: points per item, total, grade, rank, consequences."""
    from kaohe.schemes import compare, load_scheme, with_params
    from kaohe.schemes.fetch import is_settled, score_period
    from kaohe.schemes.score import result_rows

    parse_period(period)  # a clear error before any work
    if not scheme_ref:
        if compare_ref:
            raise UsageError(
                "--compare 需要同时给出 --scheme / --compare needs --scheme (the scheme to compare)"
            )
        _assigned(obj, period, sets, explain_agent, fmt, out)
        return
    scheme = load_scheme(scheme_ref)
    other = load_scheme(compare_ref) if compare_ref else None
    params = obj.params(sets, owners=[s for s in (scheme, other) if s])
    scheme = with_params(scheme, params.of(scheme))
    other = with_params(other, params.of(other)) if other else None
    with obj.open_store(need_data=True, reads=True) as store:
        result = score_period(store, scheme, period, params.engine)
        second = score_period(store, other, period, params.engine) if other else None
        done = is_settled(scheme, period, params.engine)
    if explain_agent:
        click.echo(_explained(result, explain_agent))
        return
    for text in result.notes + (second.notes if second else []):
        note(text)
    if fmt == "xlsx" and out:
        from kaohe.reports.assessment import write_assessment

        click.echo(write_assessment(out, [r for r in (result, second) if r], settled=done))
        return
    if second is not None:
        rows = compare(result, second)
        payload = {
            "scheme": scheme.id,
            "compare": second.scheme_id,
            "period": period,
            "settled": done,
            "rows": rows,
        }
        columns = [
            Column("agent", "客服", role="name"),
            Column("name", "姓名", role="key"),
            Column("total_a", f"{scheme.name} 总分", "points"),
            Column("grade_a", f"{scheme.name} 等级"),
            Column("total_b", f"{second.scheme_name} 总分", "points"),
            Column("grade_b", f"{second.scheme_name} 等级"),
            Column("difference", "差异", "points"),
        ]
        emit(payload, rows, columns, fmt, out, title=f"方案对比 {period}", lang=obj.lang)
        return
    rows = result_rows(result)
    payload = {
        "scheme": scheme.id,
        "period": period,
        "settled": done,
        "notes": result.notes,
        "rows": rows,
    }
    columns = _columns(scheme)
    if fmt == "json":
        click.echo(to_json(payload)) if not out else emit(payload, rows, columns, fmt, out)
        return
    mark = "" if done else " (未结算, 数据可能变动)"
    title = f"{scheme.name} {period}{mark}"
    shown = [_graded_or_why(r) for r in rows]
    emit(payload, shown, columns, fmt, out, title=title, lang=obj.lang)


def _assigned(
    obj: Any, period: str, sets: tuple[str, ...], explain_agent: str | None, fmt: str, out: Any
) -> None:
    """Each population scored with its assigned scheme (kaohe.assigned), ranks within it."""
    from kaohe.assigned import assigned_refs, score_assigned
    from kaohe.assignments import (
        assignments_path,
        load_assignments,
        unassigned_note,
        unused_note,
    )
    from kaohe.schemes.fetch import is_settled
    from kaohe.schemes.score import result_rows

    assignments = load_assignments(assignments_path(obj.config))
    _, schemes = assigned_refs(assignments)
    params = obj.params(sets, owners=schemes)
    with obj.open_store(need_data=True, reads=True) as store:
        runs, found = score_assigned(store, assignments, period, params.engine, params.of)
    if explain_agent:
        click.echo(_explained([run.result for run in runs], explain_agent))
        return
    for text in (unassigned_note(found), unused_note(found)):
        if text:
            note(text)
    done = all(is_settled(run.scheme, period, params.engine) for run in runs)
    if fmt == "xlsx" and out:
        from kaohe.reports.assessment import write_assessment

        click.echo(write_assessment(out, [run.result for run in runs], settled=done))
        return
    for run in runs:
        for text in run.result.notes:
            note(text)
        rows = result_rows(run.result)
        payload = {"scheme": run.scheme.id, "period": period, "settled": done, "rows": rows}
        shown = [_graded_or_why(r) for r in rows]
        mark = "" if done else " (未结算, 数据可能变动)"
        title = f"{run.scheme.name} {period}{mark}"
        emit(payload, shown, _columns(run.scheme), fmt, out, title=title, lang=obj.lang)


def _graded_or_why(row: dict[str, Any]) -> dict[str, Any]:
    """A person reads why an agent has no grade (数据不足, 不适用) where the grade would be;
    the JSON keeps the grade null and the status code."""
    from kaohe.schemes.score import SCORED, STATUS_ZH

    if row["grade"] is None and row.get("status") != SCORED:
        return {**row, "grade": STATUS_ZH.get(row["status"], row["status"])}
    return row


def _columns(scheme: Any) -> list[Column]:
    """Rank, agent and name, the points of every item, the total, grade, band and
    consequence."""
    return [
        Column("rank", "名次", role="key"),
        Column("agent", "客服", role="name"),
        Column("name", "姓名", role="key"),
        *[Column(item.id, item.label or item.id, "points") for item in scheme.items],
        Column("total", "总分", "points"),
        Column("grade", "等级"),
        Column("band", "区间"),
        Column("consequence", "后果"),
    ]


def _explained(results: Any, agent: str) -> str:
    from kaohe.agents import match_agent

    results = results if isinstance(results, list) else [results]
    names = {a.agent: a.name for r in results for a in r.agents}
    ids = "、".join(r.scheme_id for r in results)
    among = f"方案 {ids} 的评分对象 / scored by {ids}"
    found = match_agent(agent, names, names, among)
    result = next(r for r in results if any(a.agent == found for a in r.agents))
    return result.agent(found).explain()
