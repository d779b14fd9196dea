"""The assessment workbook: a sheet per scheme (one row per agent, one column
per item), the payroll (工资表) and one printable payslip sheet (工资条) per agent."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kaohe.spreadsheet import Column, Sheet, Style, Workbook
from kaohe.units import header


def write_assessment(
    path: str | Path, scores: Sequence[Any], payroll: Any | None = None, settled: bool = True
) -> Path:
    """Write the workbook; `scores` are kaohe.schemes ScoreResults, `payroll` a PayResult."""
    path = Path(path)
    with Workbook(path) as book:
        for result in scores:
            _score_sheet(book.sheet(f"考核-{result.scheme_name}"), result, settled)
        if payroll is not None:
            _payroll_sheet(book.sheet("工资表"), payroll)
            for slip in payroll.payslips:
                _payslip_sheet(book.sheet(f"工资条-{slip.name or slip.agent}"), payroll, slip)
    return path


TITLE: Style = {"bold": True, "font_size": 14}
HEAD: Style = {
    "bold": True,
    "bg_color": "#DDEBF7",
    "border": 1,
    "text_wrap": True,
    "valign": "vcenter",
}
CELL: Style = {"border": 1}
TOTAL: Style = {"border": 1, "bold": True}
NOTE: Style = {"italic": True, "font_color": "#7F7F7F"}
WRAP: Style = {"border": 1, "text_wrap": True, "valign": "top"}


def _print_setup(ws: Any, columns: int, landscape: bool = True) -> None:
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    ws.set_column(0, max(columns - 1, 0), 12)


def _score_sheet(sheet: Sheet, result: Any, settled: bool) -> None:
    from kaohe.schemes.score import result_rows

    mark = "" if settled else "（未结算，数据可能变动）"
    sheet.write(0, 0, f"{result.scheme_name} {result.period}{mark}", TITLE)
    columns = [
        Column("rank", "名次"),
        Column("agent", "客服"),
        Column("name", "姓名"),
        *[Column(i, label, "points") for i, label in _item_labels(result)],
        Column("total", "总分", "points"),
        Column("grade", "等级"),
        Column("band", "区间"),
        Column("consequence", "后果"),
    ]
    sheet.table(2, columns, result_rows(result), HEAD, CELL)
    sheet.ws.freeze_panes(3, 3)
    _print_setup(sheet.ws, len(columns))
    if result.notes:
        sheet.write(len(result.agents) + 4, 0, "；".join(result.notes), NOTE)


def _item_labels(result: Any) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for agent in result.agents:
        for item in agent.items:
            seen.setdefault(item.id, item.label or item.id)
    return list(seen.items())


def _payroll_sheet(sheet: Sheet, payroll: Any) -> None:
    mark = "（暂估）" if payroll.provisional else ""
    sheet.write(0, 0, f"{payroll.plan_name} {payroll.period or ''} 工资表{mark}", TITLE)
    lines = _line_names(payroll)
    columns = [
        Column("agent", "客服"),
        Column("name", "姓名"),
        *[Column(line_id, name, "yuan") for line_id, name in lines],
        Column("total", "应发合计", "yuan"),
        Column("status", "状态"),
    ]
    rows = [
        {
            "agent": slip.agent,
            "name": slip.name,
            **{ln.id: ln.amount for ln in slip.lines},
            "total": slip.total,
            "status": "暂估" if slip.provisional else "已结算",
        }
        for slip in payroll.payslips
    ]
    sheet.table(2, columns, rows, HEAD, CELL)
    sheet.ws.freeze_panes(3, 2)
    _print_setup(sheet.ws, len(columns))


def _line_names(payroll: Any) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for slip in payroll.payslips:
        for line in slip.lines:
            seen.setdefault(line.id, line.name)
    return list(seen.items())


def _payslip_sheet(sheet: Sheet, payroll: Any, slip: Any) -> None:
    from kaohe.pay.payslip import line_inputs

    mark = "（暂估）" if slip.provisional else ""
    title = f"工资条 {slip.name or ''} {slip.agent} — {payroll.plan_name} {payroll.period or ''}"
    sheet.write(0, 0, title + mark, TITLE)
    sheet.write_row(2, 0, ["项目", "公式", "取值", header("金额", "yuan")], HEAD)
    row = 3
    for line in slip.lines:
        notes = "；".join(line.notes)
        sheet.write(row, 0, line.name, CELL)
        sheet.write(row, 1, line.formula, WRAP)
        sheet.write(row, 2, line_inputs(line, "；") + (f"（{notes}）" if notes else ""), WRAP)
        sheet.write(row, 3, line.amount, CELL, "yuan")
        row += 1
    sheet.write(row, 0, "应发合计", HEAD)
    sheet.write(row, 3, slip.total, TOTAL, "yuan")
    for i, notice in enumerate(slip.notices, start=row + 2):
        sheet.write(i, 0, notice, NOTE)
    ws = sheet.ws
    ws.set_column(0, 0, 18)
    ws.set_column(1, 2, 40)
    ws.set_column(3, 3, 14)
    ws.set_portrait()
    ws.set_paper(9)
    ws.fit_to_pages(1, 1)
