"""The assessment workbook: a sheet per scheme (one row per agent, one column
per item), the payroll (工资表) and the payslips (工资条: one printed A5 page per agent, each
line its amount and what it is in plain Chinese, the period, 暂估 when unsettled, signatures)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kaohe.spreadsheet import Column, Sheet, Style, Workbook, text_width
from kaohe.units import header


def write_assessment(
    path: str | Path,
    scores: Sequence[Any],
    payroll: Any | Sequence[Any] | None = None,
    settled: bool = True,
) -> Path:
    """Write the workbook; `scores` are kaohe.schemes ScoreResults, `payroll` a PayResult or
    several (one per assigned plan, kaohe.assigned)."""
    path = Path(path)
    payrolls = (
        [] if payroll is None else list(payroll) if isinstance(payroll, Sequence) else [payroll]
    )
    with Workbook(path) as book:
        for result in scores:
            _score_sheet(book.sheet(f"考核-{result.scheme_name}"), result, settled)
        for payroll_ in payrolls:
            short = payroll_.plan_name.split("（")[0].replace("/", "、")
            name = "工资表" if len(payrolls) == 1 else f"工资表-{short}"
            _payroll_sheet(book.sheet(name), payroll_)
        if any(p.payslips for p in payrolls):
            payslips_sheet(book.sheet("工资条"), payrolls)
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


SLIP_TITLE: Style = {"bold": True, "font_size": 13}
SLIP_MARK: Style = {"bold": True, "font_color": "#C00000"}
SLIP_SIGN: Style = {"top": 0, "valign": "bottom"}
A5 = 11  # xlsxwriter's paper index
SLIP_WIDTHS = (22, 12, 48)  # 项目, 金额, 说明 (Excel character widths)
LINE_HEIGHT = 15  # points per wrapped line


def _fit_row(sheet: Sheet, row: int, texts: Sequence[str]) -> None:
    """A row tall enough for its wrapped texts (spreadsheets do not grow rows on open)."""
    lines = max(
        -(-text_width(text) // (width - 1)) for text, width in zip(texts, SLIP_WIDTHS, strict=False)
    )
    if lines > 1:
        sheet.ws.set_row(row, LINE_HEIGHT * lines)


def payslips_sheet(sheet: Sheet, payrolls: Sequence[Any]) -> None:
    """Every agent's payslip on its own printed page (A5 portrait, a page break after each)."""
    row, breaks = 0, []
    for payroll in payrolls:
        for slip in payroll.payslips:
            if row:
                breaks.append(row)
            row = _payslip_block(sheet, row, payroll, slip)
    ws = sheet.ws
    ws.set_h_pagebreaks(breaks)
    for column, width in enumerate(SLIP_WIDTHS):
        ws.set_column(column, column, width)
    ws.set_portrait()
    ws.set_paper(A5)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.fit_to_pages(1, 0)


def _payslip_block(sheet: Sheet, top: int, payroll: Any, slip: Any) -> int:
    """One payslip from row `top`; returns the row after it."""
    who = f"{slip.name}（{slip.agent}）" if slip.name else slip.agent
    sheet.write(top, 0, f"工资条　{who}", SLIP_TITLE)
    sheet.write(top + 1, 0, f"期间 {payroll.period or ''}　薪资方案 {payroll.plan_name}")
    row = top + 2
    if slip.provisional:
        sheet.write(row, 0, "暂估：期间未结算，金额可能变化，以结算后工资条为准", SLIP_MARK)
        row += 1
    sheet.write_row(row + 1, 0, ["项目", header("金额", "yuan"), "说明（计算依据）"], HEAD)
    row += 2
    for line in slip.lines:
        name = line.name if line.in_total else f"{line.name}（明细，不另计）"
        sheet.write(row, 0, name, WRAP)
        sheet.write(row, 1, line.amount, WRAP, "yuan")
        words = line.wording or line.explain()
        sheet.write(row, 2, words, WRAP)
        _fit_row(sheet, row, [name, "", words])
        row += 1
    sheet.write(row, 0, "应发合计", TOTAL)
    sheet.write(row, 1, slip.total, TOTAL, "yuan")
    sheet.write(row, 2, "以上计入合计的各项之和", TOTAL)
    row += 1
    for notice in slip.notices:
        sheet.write(row, 0, notice, NOTE)
        row += 1
    sheet.write(
        row + 1, 0, "客服签字：＿＿＿＿＿＿　　主管签字：＿＿＿＿＿＿　　日期：＿＿＿＿＿＿"
    )
    return row + 3
