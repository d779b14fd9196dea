"""Compliance in the reports: a 平台合规 sheet for a workbook and an HTML section
(a self-contained fragment with inline status colours), both from run_checks results."""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from typing import Any

from kaohe.compliance.check import (
    AT_RISK,
    FAIL,
    NOT_APPLICABLE,
    PASS,
    STATUS_ZH,
    CheckResult,
    summary,
)
from kaohe.compliance.load import list_presets
from kaohe.compliance.model import Check, Note, NoteCode
from kaohe.compliance.values import unit_of
from kaohe.schema import PLATFORMS, REFUND_STATUS, REFUND_TYPES, code_label
from kaohe.spreadsheet import Column, Sheet, Workbook
from kaohe.units import format_value

COLOURS = {PASS: "#dcfce7", AT_RISK: "#fef3c7", FAIL: "#fee2e2", NOT_APPLICABLE: "#f3f4f6"}
STATUS_EN = {PASS: "pass", AT_RISK: "at risk", FAIL: "fail", NOT_APPLICABLE: "n/a"}
CASES_SHOWN = 5

HEADERS = {
    "zh": {
        "preset": "规则",
        "check": "指标",
        "platform": "平台",
        "subject": "对象",
        "cycle": "周期",
        "value": "值",
        "result": "结果",
        "projected": "推算值",
        "threshold": "达标线",
        "status": "状态",
        "cycles": "周期数",
        "bad": "不达标/有风险周期",
        "consequence": "后果",
        "notes": "说明",
        "cases": "原因明细",
        "sheet": "平台合规",
        "title": "平台合规检查",
        "details": "不达标与有风险的周期",
        "none": "无",
    },
    "en": {
        "preset": "rule",
        "check": "measure",
        "platform": "platform",
        "subject": "subject",
        "cycle": "cycle",
        "value": "value",
        "result": "result",
        "projected": "projected",
        "threshold": "threshold",
        "status": "status",
        "cycles": "cycles",
        "bad": "failing / at-risk cycles",
        "consequence": "consequence",
        "notes": "notes",
        "cases": "cases",
        "sheet": "Compliance",
        "title": "Platform compliance",
        "details": "Failing and at-risk cycles",
        "none": "none",
    },
}


# the columns of the cases (kaohe.compliance.cases) as a page heads them
CASE_HEADERS: dict[str, tuple[str, str]] = {
    "refund_id": ("退款单号", "refund"),
    "order_id": ("订单号", "order"),
    "buyer": ("买家", "buyer"),
    "agent": ("客服", "agent"),
    "type": ("类型", "type"),
    "applied_at": ("申请时间", "applied"),
    "status": ("状态", "status"),
    "time": ("时间", "time"),
    "rating": ("评价", "rating"),
    "level": ("等级", "level"),
    "reason": ("原因", "reason"),
    "start": ("开始", "start"),
    "end": ("结束", "end"),
    "minutes": ("分钟", "minutes"),
    "id": ("单号", "number"),
    "received_at": ("收到时间", "received"),
    "replied_at": ("回复时间", "replied"),
    "rule": ("规则", "rule"),
    "matched": ("命中内容", "matched"),
    "msg_key": ("会话", "conversation"),
    "due": ("截止时间", "due"),
    "total": ("合计", "total"),
    "state": ("状态", "state"),
    "name": ("姓名", "name"),
    "hours": ("小时", "hours"),
    "grade": ("等级", "grade"),
    "first_response_at": ("首次响应时间", "first response"),
    "slow_rounds": ("慢响应轮次", "slow rounds"),
    "slow_first_sessions": ("首响慢会话", "slow first replies"),
    "qa_hits": ("质检命中", "QA hits"),
    "poor_ratings": ("差评数", "poor ratings"),
    "low_agents": ("不达标客服", "agents below"),
    "long_hangups": ("长时挂机", "long hang-ups"),
    "liable_disputes": ("有责纠纷", "liable disputes"),
    "late_tickets": ("超时工单", "late tickets"),
    "late_orders": ("超时订单", "late orders"),
    "late_emails": ("超时邮件", "late e-mails"),
    "interventions": ("介入次数", "interventions"),
    "bad_buyers": ("不满意买家", "dissatisfied buyers"),
    "bad_attitude": ("态度差评", "poor attitude"),
}


def case_header(column: str, lang: str = "zh") -> str:
    zh, en = CASE_HEADERS.get(column, (column, column))
    return en if lang == "en" else zh


def status_label(status: str, lang: str = "zh") -> str:
    return STATUS_EN[status] if lang == "en" else STATUS_ZH[status]


@functools.cache
def preset_label(preset_id: str, lang: str = "zh") -> str:
    for preset in list_presets():
        if preset.id == preset_id:
            return preset.label(lang)
    return preset_id


@functools.cache
def check_label(preset_id: str, check_id: str, lang: str = "zh") -> str:
    """A check's label: its own, else the engine metric's name (shipped presets: cached)."""
    from kaohe.engine.registry import REGISTRY, all_metrics

    for preset in list_presets():
        for check in preset.checks if preset.id == preset_id else ():
            if check.id == check_id:
                own = check.label_en if lang == "en" else check.label
                all_metrics()
                metric = REGISTRY.get(check.metric.partition(".")[0])
                return own or (metric.label(lang) if metric else check.metric)
    return check_id


# the words for each Note code (zh, en); args fill the {placeholders}
NOTE_TEXT: dict[NoteCode, tuple[str, str]] = {
    "running": (
        "周期进行中: 计数按已过天数线性推算, 比率以当前值为推算值",
        "cycle running: counts projected linearly from the days so far; "
        "a rate's value so far is its projection",
    ),
    "no_data": ("无数据", "no data"),
    "near_deadline": (
        "{cases} 单临近 {hours:g} 小时未处理",
        "{cases} cases near the {hours:g} h deadline",
    ),
    "gate_projected": (
        "{label} {seen:g}, 推算 {expected:.0f} ≥ {min:g}",
        "{label_en} {seen:g}, projected {expected:.0f} ≥ {min:g}",
    ),
    "gate_fails": (
        "{label} {seen:g} < {min:g}: 规则不适用",
        "{label_en} {seen:g} < {min:g}: the rule does not apply",
    ),
    "switched_off": ("已关闭{why}", "switched off{why}"),
    "exempt": (
        "平台豁免考核: {label} {start}–{end}",
        "exempt by the platform: {label} {start}–{end}",
    ),
    "partly_exempt": (
        "部分日期平台豁免 ({label} {start}–{end}): 按实际数据判断",
        "partly exempt ({label} {start}–{end}): judged as it is",
    ),
    "grade": ("{label}: {consequence}", "{label}: {consequence}"),
    "scheme": ("{text}", "{text}"),
    "qa_points": ("扣分风险 {points:g} 分", "deduction points at risk {points:g}"),
    "no_qa_findings": (
        "本周期无质检结果 (先运行 kaohe qa run)",
        "no QA findings in the cycle: run `kaohe qa run`",
    ),
}


def note_text(note: Note, lang: str = "zh") -> str:
    """A result's note in the reader's language (the one place notes are worded)."""
    zh, en = NOTE_TEXT[note.code]
    return (en if lang == "en" else zh).format(**note.args)


def notes_text(r: CheckResult, lang: str = "zh") -> list[str]:
    return [note_text(n, lang) for n in r.notes]


@functools.cache
def _shipped_check(preset_id: str, check_id: str) -> tuple[Check, str, str]:
    """The shipped check and its preset's consequence (zh, en)."""
    for preset in list_presets():
        for check in preset.checks if preset.id == preset_id else ():
            if check.id == check_id:
                return check, preset.consequence, preset.consequence_en
    raise KeyError((preset_id, check_id))


def consequence_text(r: CheckResult, lang: str = "zh") -> str:
    _, zh, en = _shipped_check(r.preset, r.check)
    return en if lang == "en" else zh


def result_threshold_text(r: CheckResult, lang: str = "zh") -> str:
    """The threshold the result was judged against (a `--set` override included)."""
    check, _, _ = _shipped_check(r.preset, r.check)
    return threshold_text(check.model_copy(update={"threshold": r.threshold}), lang)


def threshold_text(check: Check, lang: str = "zh") -> str:
    text = f"{symbol(check.op)} {format_value(check.threshold, unit_of(check), lang)}"
    alt = check.alternative
    if alt is not None:
        label = (alt.label_en if lang == "en" else alt.label) or alt.metric
        joiner = " or " if lang == "en" else " 或 "
        shown = format_value(alt.threshold, unit_of(alt), lang)
        text += f"{joiner}{label} {symbol(alt.op)} {shown}"
    if check.parameter:
        text += " (parameter)" if lang == "en" else " (参数)"
    return text


def symbol(op: str) -> str:
    return {">=": "≥", "<=": "≤"}[op]


def result_row(r: CheckResult, lang: str = "zh") -> dict[str, Any]:
    """The machine shape (cli.md) plus the extra keys; text in `lang`."""
    return {
        "preset": r.preset,
        "subject": r.subject,
        "cycle": r.cycle,
        "value": r.value,
        "threshold": r.threshold,
        "status": r.status,
        "consequence": consequence_text(r, lang),
        "check": r.check,
        "metric": r.metric,
        "platform": r.platform,
        "subject_kind": r.subject_kind,
        "shop": r.shop,
        "agent": r.agent,
        "from": r.cycle_start.isoformat(),
        "to": r.cycle_end.isoformat(),
        "op": r.op,
        "threshold_text": result_threshold_text(r, lang),
        "unit": r.unit,
        "running": r.running,
        "projected": r.projected,
        "alternative_value": r.alternative_value,
        "penalty": r.penalty,
        "cases_total": r.cases_total,
        "cases": r.cases,
        "notes": notes_text(r, lang),
        "owed": r.owed,
    }


def value_text(r: CheckResult, lang: str = "zh") -> str:
    text = format_value(r.value, r.unit, lang)
    if r.alternative_value is not None:
        text += f" ({format_value(r.alternative_value, 'count', lang)})"
    return text


def detail_rows(
    results: Sequence[CheckResult], lang: str = "zh", only_bad: bool = False
) -> list[dict[str, Any]]:
    """Display rows: labels, formatted values, status text, cases as short text."""
    out = []
    for r in results:
        if only_bad and r.status not in (FAIL, AT_RISK):
            continue
        out.append(
            {
                "preset": preset_label(r.preset, lang),
                "check": check_label(r.preset, r.check, lang),
                "platform": code_label(PLATFORMS, r.platform) if r.platform else "",
                "subject": r.subject,
                "cycle": r.cycle,
                "value": value_text(r, lang),
                "projected": format_value(r.projected, r.unit, lang) if r.running else "",
                "threshold": result_threshold_text(r, lang),
                "status": status_label(r.status, lang),
                "status_id": r.status,
                "consequence": consequence_text(r, lang),
                "notes": "; ".join(notes_text(r, lang)),
                "cases": case_lines(r),
                "cases_total": r.cases_total,
            }
        )
    return out


# a case's fields in Chinese, with the unit of a number (cases.py builds the cases)
CASE_LABELS: dict[str, str] = {
    "day": "日期",
    "time": "时间",
    "buyer": "买家",
    "agent": "客服",
    "round_start": "咨询时间",
    "answered": "已回复",
    "response_s": "响应时长（秒）",
    "refund_id": "售后单号",
    "order_id": "订单号",
    "applied_at": "申请时间",
    "first_response_at": "首次响应时间",
    "state": "状态",
    "hours": "时长（小时）",
    "minutes": "时长（分钟）",
    "type": "售后类型",
    "status": "售后状态",
    "rating": "评价",
    "level": "评分",
    "reason": "原因",
    "source": "评价来源",
    "start": "开始",
    "end": "结束",
    "amount": "金额（元）",
    "paid_at": "付款时间",
    "deadline": "截止时间",
    "shipped_at": "发货时间",
    "penalty": "赔付（元）",
}
CASE_VALUES: dict[str, dict[str, str]] = {
    "state": {"late": "已超时", "near": "即将超时"},
    "source": {"active": "主动评价", "invited": "邀请评价"},
    "type": {code: label for label, code in reversed(REFUND_TYPES.items()) if label != code},
    "status": {code: label for label, code in reversed(REFUND_STATUS.items()) if label != code},
}


def case_label(key: str) -> str:
    return CASE_LABELS.get(key, key)


def case_value(key: str, value: Any) -> Any:
    """A case field as people read it: codes in Chinese, 是/否; other values as they are."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return CASE_VALUES.get(key, {}).get(value, value)
    return value


def case_lines(r: CheckResult, limit: int = CASES_SHOWN) -> list[str]:
    """The first cases, one line each: 日期 2026-10-05，买家 p***3，响应时长（秒） 245 …"""
    lines = [
        "，".join(f"{case_label(k)} {_shown(k, v)}" for k, v in case.items() if v is not None)
        for case in r.cases[:limit]
    ]
    if r.cases_total > limit:
        lines.append(f"… 另有 {r.cases_total - limit} 条")
    return lines


def _shown(key: str, value: Any) -> str:
    value = case_value(key, value)
    return format_value(value, None) if isinstance(value, float) else str(value)


def case_blocks(
    results: Sequence[CheckResult], lang: str = "zh"
) -> list[tuple[str, list[str], list[dict[str, Any]]]]:
    """The cases of the failing and at-risk cycles, one block per check and subject: its
    title, the case fields (columns) and the rows (cycle first)."""
    blocks: dict[str, tuple[str, list[str], list[dict[str, Any]]]] = {}
    for r in results:
        if r.status not in (FAIL, AT_RISK) or not r.cases:
            continue
        title = f"{check_label(r.preset, r.check, lang)} · {r.subject}"
        _, keys, rows = blocks.setdefault(title, (title, [], []))
        for case in r.cases:
            keys += [k for k in case if k not in keys]
            rows.append({"cycle": r.cycle, **{k: case_value(k, v) for k, v in case.items()}})
    return list(blocks.values())


def summary_rows(results: Sequence[CheckResult], lang: str = "zh") -> list[dict[str, Any]]:
    rows = []
    for s in summary(list(results)):
        rows.append(
            {
                "preset": preset_label(s["preset"], lang),
                "check": check_label(s["preset"], s["check"], lang),
                "platform": code_label(PLATFORMS, s["platform"]) if s["platform"] else "",
                "subject": s["subject"],
                "status": status_label(s["status"], lang),
                "status_id": s["status"],
                "cycles": s["cycles"],
                "result": _result_text(s, lang),
                "threshold": result_threshold_text(s["first"], lang),
                "bad": ", ".join(s["bad_cycles"][:8]) + (" …" if len(s["bad_cycles"]) > 8 else ""),
                "consequence": consequence_text(s["first"], lang),
            }
        )
    return rows


def _result_text(s: dict[str, Any], lang: str) -> str:
    """One cycle: its value; several: how many failed or were at risk."""
    if s["only"] is not None:
        return value_text(s["only"], lang)
    if lang == "en":
        return f"{s['cycles']} cycles: {s[FAIL]} fail, {s[AT_RISK]} at risk"
    return f"{s['cycles']} 个周期: {s[FAIL]} 不达标, {s[AT_RISK]} 有风险"


TERMINAL_COLUMNS = ("preset", "check", "subject", "result", "threshold", "status")
SUMMARY_COLUMNS = (
    "preset",
    "check",
    "platform",
    "subject",
    "result",
    "threshold",
    "status",
    "bad",
    "consequence",
)
DETAIL_COLUMNS = (
    "preset",
    "check",
    "subject",
    "cycle",
    "value",
    "projected",
    "threshold",
    "status",
    "notes",
    "cases",
)


def write_sheet(
    workbook: Workbook,
    results: Sequence[CheckResult],
    lang: str = "zh",
    period: str | None = None,
) -> Sheet:
    """Add the 平台合规 sheet to a workbook (kaohe.spreadsheet): the summary per rule and
    subject, then every failing or at-risk cycle with its cases. Returns the sheet."""
    h = HEADERS[lang]
    sheet = workbook.sheet(h["sheet"])
    bold = {"bold": True, "font_size": 14}
    sheet.write(0, 0, f"{h['title']} {period}" if period else h["title"], bold)
    top = _block(sheet, 2, SUMMARY_COLUMNS, summary_rows(results, lang), h)
    sheet.write(top, 0, h["details"], bold)
    details = detail_rows(results, lang, only_bad=True)
    for row in details:
        row["cases"] = f"{row['cases_total']} 条，见「合规案例」" if row["cases_total"] else ""
    _block(sheet, top + 1, DETAIL_COLUMNS, details, h)
    for c in range(max(len(SUMMARY_COLUMNS), len(DETAIL_COLUMNS))):
        sheet.ws.set_column(c, c, 16)
    cases = workbook.sheet("合规案例")
    cases.write(0, 0, f"合规案例 {period or ''}".strip(), {"bold": True})
    at = 2
    for title, keys, rows in case_blocks(results, lang):
        cases.write(at, 0, title, {"bold": True})
        columns = [Column("cycle", h["cycle"]), *[Column(k, case_label(k)) for k in keys]]
        at = cases.table(at + 1, columns, rows, HEAD)
    cases.ws.set_column(0, 20, 17)  # times and agent names read whole
    for printed, header_row in ((sheet, 2), (cases, 0)):
        ws = printed.ws
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(header_row)
        ws.repeat_columns(0)
    return sheet


HEAD = {"bold": True, "bg_color": "#DDEBF7", "border": 1}
WRAP = {"text_wrap": True, "valign": "top"}


def _block(
    sheet: Sheet, top: int, columns: Sequence[str], rows: list[dict[str, Any]], h: dict[str, str]
) -> int:
    sheet.write_row(top, 0, [h[key] for key in columns], HEAD)
    for r, row in enumerate(rows, start=top + 1):
        for c, key in enumerate(columns):
            style = {"bg_color": COLOURS[row["status_id"]]} if key == "status" else WRAP
            sheet.write(r, c, row.get(key), style)
    if not rows:
        sheet.write(top + 1, 0, h["none"])
    return top + max(len(rows), 1) + 2


def html_section(results: Sequence[CheckResult], lang: str = "zh") -> str:
    """An HTML fragment (<section>): the summary table and the failing / at-risk cycles with
    their first cases; status cells coloured inline (no stylesheet needed)."""
    h = HEADERS[lang]
    parts = [
        f'<section class="compliance"><h2>{_e(h["title"])}</h2>',
        _table(SUMMARY_COLUMNS, summary_rows(results, lang), h),
    ]
    details = detail_rows(results, lang, only_bad=True)
    for row in details:
        row["cases"] = "<br>".join(_e(line) for line in row["cases"])
    parts += [f"<h3>{_e(h['details'])}</h3>", _table(DETAIL_COLUMNS, details, h, raw=("cases",))]
    parts.append("</section>")
    return "\n".join(parts)


def _table(
    columns: Sequence[str], rows: list[dict[str, Any]], h: dict[str, str], raw: tuple[str, ...] = ()
) -> str:
    if not rows:
        return f'<p class="note">{_e(h["none"])}</p>'
    head = "".join(f"<th>{_e(h[c])}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            text = row.get(c)
            text = "" if text is None else (str(text) if c in raw else _e(str(text)))
            style = f' style="background:{COLOURS[row["status_id"]]}"' if c == "status" else ""
            cells.append(f"<td{style}>{text}</td>")
        body.append(f'<tr data-status="{row["status_id"]}">{"".join(cells)}</tr>')
    return (
        f'<table class="compliance-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def summary_text(results: Sequence[CheckResult], lang: str = "zh") -> str:
    """A few lines for a terminal (e.g. `kaohe demo`): how many rule × subject lines end in
    each status, then every line that fails or is at risk."""
    rows = summary_rows(results, lang)
    counts = {
        s: sum(r["status_id"] == s for r in rows) for s in (FAIL, AT_RISK, PASS, NOT_APPLICABLE)
    }
    head = (
        HEADERS[lang]["title"]
        + ": "
        + ", ".join(f"{status_label(s, lang)} {n}" for s, n in counts.items())
    )
    lines = [head]
    for r in rows:
        if r["status_id"] in (FAIL, AT_RISK):
            mark = "✗" if r["status_id"] == FAIL else "!"
            lines.append(
                f"  {mark} {r['preset']} · {r['check']} · {r['subject']}: "
                f"{r['result']} ({r['threshold']})"
            )
    return "\n".join(lines)
