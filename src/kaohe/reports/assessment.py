"""The assessment workbook (xlsxwriter): a sheet per scheme (one row per agent, one column
per item), the payroll (工资表) and one printable payslip sheet (工资条) per agent."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def write_assessment(
    path: str | Path, scores: Sequence[Any], payroll: Any | None = None, settled: bool = True
) -> Path:
    """Write the workbook; `scores` are kaohe.schemes ScoreResults, `payroll` a PayResult."""
    import xlsxwriter

    path = Path(path)
    with xlsxwriter.Workbook(str(path)) as book:
        fmt = _formats(book)
        used: set[str] = set()
        for result in scores:
            _score_sheet(
                book, fmt, result, _sheet_name(f"考核-{result.scheme_name}", used), settled
            )
        if payroll is not None:
            _payroll_sheet(book, fmt, payroll, _sheet_name("工资表", used))
            for slip in payroll.payslips:
                _payslip_sheet(
                    book, fmt, payroll, slip, _sheet_name(f"工资条-{slip.name or slip.agent}", used)
                )
    return path


def _formats(book: Any) -> dict[str, Any]:
    return {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "head": book.add_format(
            {
                "bold": True,
                "bg_color": "#DDEBF7",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
            }
        ),
        "cell": book.add_format({"border": 1}),
        "num": book.add_format({"border": 1, "num_format": "0.00"}),
        "money": book.add_format({"border": 1, "num_format": "#,##0.00"}),
        "total": book.add_format({"border": 1, "bold": True, "num_format": "#,##0.00"}),
        "note": book.add_format({"italic": True, "font_color": "#7F7F7F"}),
        "wrap": book.add_format({"border": 1, "text_wrap": True, "valign": "top"}),
    }


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    base = SHEET_NAME.sub("_", name)[:31]
    candidate, n = base, 2
    while candidate in used:
        suffix = f"({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate)
    return candidate


def _print_setup(ws: Any, columns: int, landscape: bool = True) -> None:
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    ws.set_column(0, max(columns - 1, 0), 12)


def _score_sheet(book: Any, fmt: dict[str, Any], result: Any, name: str, settled: bool) -> None:
    from kaohe.schemes.score import result_rows

    ws = book.add_worksheet(name)
    mark = "" if settled else "（未结算，数据可能变动）"
    ws.write(0, 0, f"{result.scheme_name} {result.period}{mark}", fmt["title"])
    items = _item_labels(result)
    headers = [
        "名次",
        "客服",
        "姓名",
        *[label for _, label in items],
        "总分",
        "等级",
        "区间",
        "后果",
    ]
    ws.write_row(2, 0, headers, fmt["head"])
    for r, row in enumerate(result_rows(result), start=3):
        values = [
            row["rank"],
            row["agent"],
            row["name"],
            *[row.get(i) for i, _ in items],
            row["total"],
            row["grade"],
            row["band"],
            row["consequence"],
        ]
        for c, value in enumerate(values):
            _write(ws, r, c, value, fmt["num"] if isinstance(value, float) else fmt["cell"])
    ws.freeze_panes(3, 3)
    _print_setup(ws, len(headers))
    if result.notes:
        ws.write(len(result.agents) + 4, 0, "；".join(result.notes), fmt["note"])


def _item_labels(result: Any) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for agent in result.agents:
        for item in agent.items:
            seen.setdefault(item.id, item.label or item.id)
    return list(seen.items())


def _payroll_sheet(book: Any, fmt: dict[str, Any], payroll: Any, name: str) -> None:
    ws = book.add_worksheet(name)
    mark = "（暂估）" if payroll.provisional else ""
    ws.write(0, 0, f"{payroll.plan_name} {payroll.period or ''} 工资表{mark}", fmt["title"])
    lines = _line_names(payroll)
    headers = ["客服", "姓名", *[n for _, n in lines], "应发合计", "状态"]
    ws.write_row(2, 0, headers, fmt["head"])
    for r, slip in enumerate(payroll.payslips, start=3):
        ws.write(r, 0, slip.agent, fmt["cell"])
        ws.write(r, 1, slip.name or "", fmt["cell"])
        amounts = {ln.id: ln.amount for ln in slip.lines}
        for c, (line_id, _) in enumerate(lines, start=2):
            _write(ws, r, c, amounts.get(line_id), fmt["money"])
        ws.write_number(r, len(lines) + 2, slip.total, fmt["total"])
        ws.write(r, len(lines) + 3, "暂估" if slip.provisional else "已结算", fmt["cell"])
    ws.freeze_panes(3, 2)
    _print_setup(ws, len(headers))


def _line_names(payroll: Any) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for slip in payroll.payslips:
        for line in slip.lines:
            seen.setdefault(line.id, line.name)
    return list(seen.items())


def _payslip_sheet(book: Any, fmt: dict[str, Any], payroll: Any, slip: Any, name: str) -> None:
    ws = book.add_worksheet(name)
    mark = "（暂估）" if slip.provisional else ""
    ws.write(
        0,
        0,
        f"工资条 {slip.name or ''} {slip.agent} — {payroll.plan_name} {payroll.period or ''}{mark}",
        fmt["title"],
    )
    ws.write_row(2, 0, ["项目", "公式", "取值", "金额"], fmt["head"])
    row = 3
    for line in slip.lines:
        inputs = "；".join(f"{k} = {_shown(v)}" for k, v in line.inputs.items())
        notes = "；".join(getattr(line, "notes", []) or [])
        ws.write(row, 0, line.name, fmt["cell"])
        ws.write(row, 1, line.formula, fmt["wrap"])
        ws.write(row, 2, inputs + (f"（{notes}）" if notes else ""), fmt["wrap"])
        ws.write_number(row, 3, line.amount, fmt["money"])
        row += 1
    ws.write(row, 0, "应发合计", fmt["head"])
    ws.write_number(row, 3, slip.total, fmt["total"])
    for i, notice in enumerate(slip.notices, start=row + 2):
        ws.write(i, 0, notice, fmt["note"])
    ws.set_column(0, 0, 18)
    ws.set_column(1, 2, 40)
    ws.set_column(3, 3, 14)
    ws.set_portrait()
    ws.set_paper(9)
    ws.fit_to_pages(1, 1)


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    return "—" if value is None else str(value)


def _write(ws: Any, r: int, c: int, value: Any, cell_format: Any) -> None:
    if value is None:
        ws.write_blank(r, c, None, cell_format)
    elif isinstance(value, bool):
        ws.write(r, c, "是" if value else "否", cell_format)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value, cell_format)
    else:
        ws.write(r, c, str(value), cell_format)
