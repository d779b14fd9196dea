"""The Excel report: 概览, 导入记录, 隔离区, 客服名单 and, when the metric engine is
available, 客服指标. Headers are Chinese with units; numbers are number cells in their
unit's format (rates as percents)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kaohe.reports import column_unit, readable
from kaohe.spreadsheet import Column, Sheet, Style, Workbook

IMPORT_COLUMNS = [
    ("file", "文件"),
    ("table_name", "表"),
    ("preset", "映射"),
    ("rows_read", "读取"),
    ("rows_inserted", "新增"),
    ("rows_updated", "更新"),
    ("rows_rejected", "拒收"),
    ("imported_at", "导入时间"),
]
QUARANTINE_COLUMNS = [
    ("file", "文件"),
    ("row", "行号"),
    ("column", "列"),
    ("value", "值"),
    ("reason", "原因"),
    ("table_name", "表"),
]
ROSTER_COLUMNS = [
    ("agent", "客服"),
    ("name", "姓名"),
    ("shops", "店铺"),
    ("team", "组"),
    ("role", "岗位"),
    ("level", "级别"),
    ("hired_on", "入职日期"),
    ("base_salary", "底薪"),
    ("replies", "有效回复数"),
    ("buyers", "接待买家数"),
]
SHOP_COLUMNS = [
    ("shop", "店铺"),
    ("platform", "平台"),
    ("messages", "消息数"),
    ("buyers", "买家数"),
    ("buyer_messages", "买家消息数"),
    ("agent_messages", "客服消息数"),
    ("orders", "订单数"),
    ("paid_orders", "付款订单数"),
    ("paid_amount", "付款金额"),
    ("refunds", "售后单数"),
]


QA_RULE_COLUMNS = [
    ("rule", "规则"),
    ("category", "类别"),
    ("severity", "严重程度"),
    ("hits", "命中次数"),
    ("sessions", "会话数"),
    ("agents", "客服数"),
]


HEAD: Style = {"bold": True, "bg_color": "#DDEBF7", "border": 1}
TITLE: Style = {"bold": True, "font_size": 14}


class Book:
    """The report workbook (kaohe.spreadsheet): every cell in its column's unit."""

    def __init__(self, path: Path, period: str | None = None) -> None:
        self.wb = Workbook(path)
        self.period = period

    def caption(self, whole_store: bool = False) -> str:
        """What a sheet covers: the period, or the whole store (imports, rejected rows)."""
        if whole_store or not self.period:
            return "范围：整个数据库（不限期间）"
        return f"期间 {self.period}"

    def table(
        self, ws: Sheet, top: int, columns: list[tuple[str, str]], data: list[dict[str, Any]]
    ) -> int:
        typed = [Column(key, label, column_unit(key)) for key, label in columns]
        return ws.table(top, typed, data, HEAD)

    def sheet(
        self,
        name: str,
        columns: list[tuple[str, str]],
        data: list[dict[str, Any]],
        note: str = "",
        whole_store: bool = False,
    ) -> None:
        ws = self.wb.sheet(name)
        ws.write(0, 0, f"{name} · {self.caption(whole_store)}", {"bold": True})
        top = 2
        if note:
            ws.write(1, 0, note)
            top = 3
        self.table(ws, top, columns, data)
        ws.ws.freeze_panes(top + 1, 0)
        print_setup(ws, top)


def print_setup(sheet: Sheet, header_row: int) -> None:
    """Landscape A4, as wide as one page, the header row and first column on every page."""
    ws = sheet.ws
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.repeat_columns(0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)


CHART_ROWS = 15  # rows kept free under the counts for the two charts


def overview_sheet(book: Book, data: dict[str, Any]) -> None:
    ws = book.wb.sheet("概览")
    ws.write(0, 0, "kaohe 考核 — 数据概览", TITLE)
    ws.write(1, 0, f"{book.caption()} · 生成时间 {data['generated_at']}（数据表行数为整个数据库）")
    top = book.table(ws, 3, [("label", "数据表"), ("rows", "行数")], data["counts"])
    charts_at = top
    top += CHART_ROWS
    ws.write(top, 0, f"隔离区 {data['quarantine_total']} 行（被拒收的行，见「隔离区」）")
    top = book.table(ws, top + 2, SHOP_COLUMNS, data["by_shop"])
    hours = [{"hour": r["hour"], "n": r["buyer_messages"]} for r in data["hourly"]]
    hours_top = top
    top = book.table(ws, top, [("hour", "小时"), ("n", "买家消息数")], hours)
    daily_cols = [("day", "日期"), ("total", "合计")] + [(s, s) for s in data["daily_shops"]]
    daily_top = top
    book.table(ws, top, daily_cols, data["daily"])
    ws.ws.set_column(0, 0, 22)
    print_setup(ws, 3)
    _chart(book, ws, "column", "各小时买家消息数（条）", hours_top, len(hours), (charts_at, 0))
    _chart(book, ws, "line", "每日消息数（条）", daily_top, len(data["daily"]), (charts_at, 4))


def _chart(
    book: Book, ws: Sheet, kind: str, title: str, top: int, n: int, at: tuple[int, int]
) -> None:
    """A native chart of a table's first two columns (categories, values) on the sheet."""
    if not n:
        return
    chart = book.wb.book.add_chart({"type": kind})
    chart.add_series(
        {
            "name": title,
            "categories": [ws.name, top + 1, 0, top + n, 0],
            "values": [ws.name, top + 1, 1, top + n, 1],
        }
    )
    chart.set_title({"name": title, "name_font": {"size": 11}})
    chart.set_legend({"none": True})
    dates = {"num_format": "mm-dd"} if kind == "line" else {}  # the daily chart's days
    chart.set_x_axis({"num_font": {"size": 9}, **dates})
    chart.set_y_axis({"num_font": {"size": 9}, "major_gridlines": {"visible": True}})
    chart.set_size({"width": 400, "height": 270})
    ws.ws.insert_chart(*at, chart)


def write_ad_filter(book: Book, rows: list[dict[str, Any]]) -> None:
    from kaohe.qa.adfilter import COLUMNS, HEADERS

    note = (
        f"{len(rows)} 个广告/骚扰会话已从全部指标中剔除（买家信息已脱敏）"
        if rows
        else "没有被剔除的广告/骚扰会话"
    )
    book.sheet("广告过滤", list(zip(COLUMNS, HEADERS, strict=True)), rows, note)


def write_excel(data: dict[str, Any], path: str | Path) -> Path:
    """Write the report workbook; returns its path."""
    out = Path(path)
    data = readable(data)
    book = Book(out, data.get("period"))
    overview_sheet(book, data)
    book.sheet("导入记录", IMPORT_COLUMNS, data["imports"], whole_store=True)
    book.wb.book.get_worksheet_by_name("导入记录").set_column(0, 2, 22)
    book.wb.book.get_worksheet_by_name("导入记录").set_column(7, 7, 20)
    note = (
        f"共 {data['quarantine_total']} 行被拒收（显示前 {len(data['quarantine'])} 行）"
        if data["quarantine_total"]
        else "没有被拒收的行"
    )
    book.sheet("隔离区", QUARANTINE_COLUMNS, data["quarantine"], note, whole_store=True)
    book.sheet("客服名单", ROSTER_COLUMNS, data["roster"])
    kpi = data.get("kpi")
    if kpi:
        columns = [(c, kpi["labels"].get(c, c)) for c in kpi["columns"]]
        book.sheet("客服指标", columns, kpi["rows"])
    book.sheet(
        "质检发现",
        QA_RULE_COLUMNS,
        data.get("qa_rules") or [],
        "自动质检（默认规则包）各规则命中情况" if data.get("qa_rules") else "尚未运行质检",
    )
    write_ad_filter(book, data.get("ad_filter") or [])
    if data.get("compliance") is not None:
        from kaohe.compliance.report import write_sheet

        write_sheet(book.wb, data["compliance"], period=data.get("period"))
    book.wb.close()
    return out
