"""`kaohe report --period P --out FILE.html|FILE.xlsx`: the boss report (老板月报)."""

from __future__ import annotations

from typing import Any

import click

from kaohe.engine.periods import parse_period
from kaohe.errors import UsageError


@click.command("report")
@click.option("--period", "-p", required=True, help="the month, e.g. 2026-10")
@click.option("--out", required=True, help="FILE.html (prints on one A4 page) or FILE.xlsx")
@click.option("--set", "sets", multiple=True, help="parameter key=value (a metric parameter)")
@click.pass_obj
def command(obj: Any, period: str, out: str, sets: tuple[str, ...]) -> None:
    """老板月报 / the monthly boss report: KPIs, grades, top and bottom, pay, compliance."""
    from kaohe.assignments import assignments_path, load_assignments
    from kaohe.reports.boss import boss_data, write_boss_html, write_boss_xlsx

    parse_period(period)
    suffix = out.lower().rsplit(".", 1)[-1]
    writers = {"html": write_boss_html, "htm": write_boss_html, "xlsx": write_boss_xlsx}
    if suffix not in writers:
        raise UsageError(
            f"--out 须为 .html 或 .xlsx 文件：{out} / --out must be a .html or .xlsx file: {out}"
        )
    assignments = load_assignments(assignments_path(obj.config))
    params = obj.params(sets)
    with obj.open_store(need_data=True, reads=True) as store:
        data = boss_data(store, assignments, period, params.engine)
    click.echo(writers[suffix](data, out))
