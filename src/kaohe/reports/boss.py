"""The boss report (老板月报): one printed page, two at most, for the month — headline KPIs with
the change on the previous month, scores and the grade distribution, the top and bottom agents
with the reason, the pay total per plan, platform compliance and QA red lines. In HTML (print
CSS, charts as inline SVG drawn here, no script, no CDN) and in Excel (native charts).

The figures come from the one place each is defined: kaohe.engine (KPIs), kaohe.assigned
(scores and pay by the assignments), kaohe.compliance (platform rules)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from html import escape
from pathlib import Path
from typing import Any

from kaohe.spreadsheet import Column, Style, Workbook
from kaohe.units import Unit, format_value, header

HEADLINE: tuple[str, ...] = (
    "received_buyers",
    "sales_amount",
    "avg_response_s",
    "reply_rate",
    "consult_to_pay_rate",
    "satisfaction_rate",
)
SHOWN_AGENTS = 3  # top and bottom
SHOWN_COMPLIANCE = 6  # failing / at-risk lines listed


@dataclass
class Kpi:
    label: str
    unit: Unit
    value: float | None
    previous: float | None

    @property
    def change(self) -> str:
        """The month-on-month change: percentage points for a rate, percent otherwise."""
        if self.value is None or self.previous is None:
            return "—"
        if self.unit == "ratio":
            return f"{(self.value - self.previous) * 100:+.1f} 个百分点"
        if not self.previous:
            return "—"
        return f"{(self.value - self.previous) / abs(self.previous) * 100:+.1f}%"


@dataclass
class Ranked:
    agent: str
    name: str | None
    scheme: str
    total: float
    max_total: float
    grade: str
    reason: str


@dataclass
class BossData:
    period: str
    previous: str | None
    kpis: list[Kpi] = field(default_factory=list)
    grades: dict[str, int] = field(default_factory=dict)  # grade -> agents
    scored: int = 0
    mean_score: float | None = None
    top: list[Ranked] = field(default_factory=list)
    bottom: list[Ranked] = field(default_factory=list)
    pay: list[tuple[str, int, float]] = field(default_factory=list)  # plan, payslips, total
    provisional: bool = False
    compliance: dict[str, int] = field(default_factory=dict)  # status label -> lines
    compliance_lines: list[str] = field(default_factory=list)
    redlines: list[tuple[str, int]] = field(default_factory=list)  # agent label, sessions
    notes: list[str] = field(default_factory=list)

    @property
    def pay_total(self) -> float:
        return sum(total for _, _, total in self.pay)


# ---------------------------------------------------------------- the figures


def previous_month(period: str) -> str | None:
    """The month before a month period (2026-10 → 2026-09); None for other periods."""
    from kaohe.engine.periods import parse_period

    chosen = parse_period(period)
    if chosen.start.day != 1 or (chosen.end + timedelta(days=1)).day != 1:
        return None
    if (chosen.end - chosen.start).days > 31:
        return None
    return parse_period((chosen.start - timedelta(days=1)).strftime("%Y-%m")).label


def boss_data(
    store: Any, assignments: Any, period: str, params: Mapping[str, Any] | None = None
) -> BossData:
    """Everything the boss report shows, for a period of a store's data."""
    data = BossData(period, previous_month(period))
    data.kpis = _kpis(store, period, data.previous, params)
    _scores(store, assignments, period, params, data)
    _pay(store, assignments, period, params, data)
    _compliance(store, period, params, data)
    data.redlines = _redlines(store, period, params)
    return data


def _kpis(
    store: Any, period: str, previous: str | None, params: Mapping[str, Any] | None
) -> list[Kpi]:
    from kaohe.engine import compute_kpis
    from kaohe.engine.registry import REGISTRY, all_metrics
    from kaohe.pay.wording import short_label

    all_metrics()
    now = compute_kpis(store, by=(), period=period, metrics=list(HEADLINE), params=params)[0]
    before: Mapping[str, Any] = {}
    if previous:
        before = compute_kpis(store, by=(), period=previous, metrics=list(HEADLINE), params=params)[
            0
        ]
    if not any(before.get(m) for m in HEADLINE):
        before = {}  # the previous month has no data: nothing to compare with, not zeros
    return [
        Kpi(short_label(REGISTRY[m].zh), REGISTRY[m].unit, now.get(m), before.get(m))
        for m in HEADLINE
    ]


def _scores(store: Any, assignments: Any, period: str, params: Any, data: BossData) -> None:
    from kaohe.assigned import score_assigned
    from kaohe.errors import KaoheError

    if not assignments.refs("scheme"):
        data.notes.append("没有分配考核方案（见方案分配文件），本报告不含考核与等级")
        return
    try:
        runs, _ = score_assigned(store, assignments, period, params)
    except KaoheError as exc:
        data.notes.append(f"考核未计算：{exc}")
        return
    ranked = []
    for run in runs:
        for agent in run.result.agents:
            if agent.total is None:
                continue
            grade = agent.grade.label if agent.grade else "未定级"
            data.grades[grade] = data.grades.get(grade, 0) + 1
            ranked.append((run.scheme.name, agent))
    data.scored = len(ranked)
    if not ranked:
        return
    share = lambda a: a.total / a.max_total if a.max_total else 0.0  # noqa: E731
    ranked.sort(key=lambda pair: share(pair[1]), reverse=True)
    data.mean_score = sum(a.total for _, a in ranked) / len(ranked)
    data.top = [_ranked(s, a, best=True) for s, a in ranked[:SHOWN_AGENTS]]
    data.bottom = [_ranked(s, a, best=False) for s, a in ranked[::-1][:SHOWN_AGENTS]]


def _ranked(scheme: str, agent: Any, best: bool) -> Ranked:
    """An agent with the item that most explains the place: their best item (the share of
    its points) for the top, their worst for the bottom."""
    items = [i for i in agent.items if not i.dropped and i.max_points]
    reason = ""
    if items:
        item = (max if best else min)(items, key=lambda i: i.points / i.max_points)
        word = "最强项" if best else "最弱项"
        reason = f"{word}：{item.label} {item.points:.1f}/{item.max_points:g}分"
    grade = agent.grade.label if agent.grade else "未定级"
    return Ranked(agent.agent, agent.name, scheme, agent.total, agent.max_total, grade, reason)


def _pay(store: Any, assignments: Any, period: str, params: Any, data: BossData) -> None:
    from kaohe.assigned import pay_assigned
    from kaohe.errors import KaoheError

    if not assignments.refs("plan"):
        data.notes.append("没有分配薪资方案（见方案分配文件），本报告不含薪资")
        return
    try:
        runs, _ = pay_assigned(store, assignments, period, True, params)
    except KaoheError as exc:
        data.notes.append(f"薪资未核算：{exc}")
        return
    for run in runs:
        slips = run.result.payslips
        short = run.plan.name.split("（")[0]
        data.pay.append((short, len(slips), sum(s.total for s in slips)))
        data.provisional = data.provisional or run.result.provisional


def _compliance(store: Any, period: str, params: Any, data: BossData) -> None:
    from kaohe.compliance.check import run_checks
    from kaohe.compliance.report import summary_rows

    rows = summary_rows(run_checks(store, period, overrides=params))
    for row in rows:
        data.compliance[row["status"]] = data.compliance.get(row["status"], 0) + 1
    bad = [r for r in rows if r["status_id"] in ("fail", "at_risk")]
    bad.sort(key=lambda r: r["status_id"] != "fail")
    data.compliance_lines = [
        f"{r['status']}：{r['check']} · {r['subject']} {r['result']}（{r['threshold']}）"
        for r in bad[:SHOWN_COMPLIANCE]
    ]
    if len(bad) > SHOWN_COMPLIANCE:
        data.compliance_lines.append(f"另有 {len(bad) - SHOWN_COMPLIANCE} 项，见数据工作簿")


def _redlines(store: Any, period: str, params: Any) -> list[tuple[str, int]]:
    from kaohe.engine import compute_kpis

    rows = compute_kpis(
        store, by="agent", period=period, metrics=["qa_redline_sessions"], params=params
    )
    found = [(str(r["agent"]), int(r["qa_redline_sessions"] or 0)) for r in rows]
    return sorted([f for f in found if f[1]], key=lambda f: -f[1])


# ---------------------------------------------------------------- charts (SVG)

BAR_COLOURS = ("#2f6db5", "#d9822b", "#3a9d5d", "#b53b3b", "#7a5cb5", "#5a8f9c")


def nice_step(top: float) -> float:
    """An axis step of 1, 2 or 5 × 10^n giving four or five ticks up to `top`."""
    if top <= 0:
        return 1.0
    raw = top / 4
    scale = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    for m in (1, 2, 5, 10):
        if raw <= m * scale:
            return float(m * scale)
    return float(10 * scale)


def svg_bars(title: str, values: Sequence[tuple[str, float]], unit: Unit) -> str:
    """A horizontal bar chart with its axis values and each bar's value, sized for print."""
    width, left, right, row, top_pad = 340, 120, 60, 22, 28
    height = top_pad + row * len(values) + 26
    top = max((v for _, v in values), default=0) or 1
    step = nice_step(top)
    ticks = [step * i for i in range(int(top // step) + 2)]
    span = ticks[-1] or 1
    plot = width - left - right
    x = lambda v: left + plot * v / span  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
    ]
    axis_y = top_pad + row * len(values)
    for tick in ticks:
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{top_pad - 4}" x2="{x(tick):.1f}" y2="{axis_y}" '
            'stroke="#ccc" stroke-width="0.6"/>'
            f'<text x="{x(tick):.1f}" y="{axis_y + 12}" font-size="9" text-anchor="middle">'
            f"{escape(_axis(tick, unit))}</text>"
        )
    for i, (label, value) in enumerate(values):
        y = top_pad + row * i
        colour = BAR_COLOURS[i % len(BAR_COLOURS)]
        parts.append(
            f'<text x="{left - 4}" y="{y + 14}" font-size="10" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{max(x(value) - left, 0.5):.1f}" '
            f'height="{row - 8}" fill="{colour}"/>'
            f'<text x="{x(value) + 3:.1f}" y="{y + 14}" font-size="9">'
            f"{escape(format_value(value, unit))}</text>"
        )
    parts.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{left + plot}" y2="{axis_y}" stroke="#333"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _axis(value: float, unit: Unit) -> str:
    if unit == "yuan":
        return f"{value / 10000:g}万" if value >= 10000 else f"{value:g}"
    return f"{value:g}"


# ---------------------------------------------------------------- HTML

CSS = """
@page { size: A4 portrait; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
       "Microsoft YaHei", sans-serif; font-size: 9.5pt; color: #111; margin: 0 auto;
       max-width: 190mm; }
h1 { font-size: 16pt; margin: 0 0 1mm; } h2 { font-size: 11pt; margin: 3mm 0 1mm;
     border-bottom: 1px solid #999; }
.meta { color: #444; margin: 0 0 2mm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: 0.8mm 1.5mm; text-align: left; }
th { background: #e8eef6; } td.n { text-align: right; white-space: nowrap; }
.kpis td.n { font-size: 11pt; font-weight: bold; }
.up { color: #1b7a3a; } .down { color: #b53b3b; }
.cols { display: flex; gap: 4mm; } .cols > div { flex: 1; }
.mark { color: #c00000; font-weight: bold; }
ul { margin: 1mm 0; padding-left: 5mm; } li { margin: 0.3mm 0; }
section { break-inside: avoid; }
"""


def boss_html(data: BossData) -> str:
    """The report as one self-contained HTML page."""
    e = escape
    mark = '<span class="mark">（暂估：期间未结算）</span>' if data.provisional else ""
    before = f"，对比 {data.previous}" if data.previous else ""
    out = [
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>客服月报 {e(data.period)}</title><style>{CSS}</style></head><body>",
        f"<h1>客服团队月报 {e(data.period)}{mark}</h1>",
        f'<p class="meta">考核 {data.scored} 人{e(before)}</p>',
        "<section><h2>核心指标</h2><table class='kpis'><tr><th>指标</th>"
        "<th>本月</th><th>上月</th><th>环比</th></tr>",
    ]
    for k in data.kpis:
        out.append(
            f"<tr><td>{e(k.label)}</td>"  # the values carry their unit (35.3秒)
            f"<td class='n'>{e(format_value(k.value, k.unit))}</td>"
            f"<td class='n'>{e(format_value(k.previous, k.unit))}</td>"
            f"<td class='n'>{e(k.change)}</td></tr>"
        )
    out.append("</table></section>")
    grades = sorted(data.grades.items(), key=lambda g: -g[1])
    pay = [(plan, total) for plan, _, total in data.pay]
    mean = format_value(data.mean_score, "points")
    out.append(
        "<section class='cols'><div><h2>考核与等级分布</h2>"
        f"<p>平均总分 {e(mean)}</p>"
        f"{svg_bars('等级分布（人）', grades, 'count')}</div>"
        f"<div><h2>薪资合计 {e(format_value(data.pay_total, 'yuan'))}{mark}</h2>"
        f"{svg_bars('各薪资方案应发合计（元）', pay, 'yuan')}</div></section>"
    )
    out.append("<section class='cols'>")
    for title, rows in (("表现最好", data.top), ("需要关注", data.bottom)):
        out.append(f"<div><h2>{title}</h2><table><tr><th>客服</th><th>总分</th><th>原因</th></tr>")
        for r in rows:
            who = f"{r.name}（{r.agent}）" if r.name else r.agent
            out.append(
                f"<tr><td>{e(who)}<br><small>{e(r.scheme)}</small></td>"
                f"<td class='n'>{e(format_value(r.total, 'points'))} {e(r.grade)}</td>"
                f"<td>{e(r.reason)}</td></tr>"
            )
        out.append("</table></div>")
    out.append("</section><section class='cols'><div><h2>平台合规</h2><p>")
    out.append("，".join(f"{e(k)} {v} 项" for k, v in data.compliance.items()) or "未检查")
    out.append("</p><ul>")
    out += [f"<li>{e(line)}</li>" for line in data.compliance_lines]
    out.append("</ul></div><div><h2>质检红线</h2>")
    if data.redlines:
        total = sum(n for _, n in data.redlines)
        out.append(f"<p>红线会话 {total} 个，涉及 {len(data.redlines)} 名客服</p><ul>")
        out += [f"<li>{e(a)}：{n} 个会话</li>" for a, n in data.redlines[:6]]
        out.append("</ul>")
    else:
        out.append("<p>本月没有红线会话</p>")
    out.append("</div></section>")
    out += [f"<p class='meta'>{e(n)}</p>" for n in data.notes]
    out.append("</body></html>")
    return "".join(out)


def write_boss_html(data: BossData, path: str | Path) -> Path:
    out = Path(path)
    out.write_text(boss_html(data), encoding="utf-8")
    return out


# ---------------------------------------------------------------- Excel

TITLE: Style = {"bold": True, "font_size": 14}
HEAD: Style = {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
CELL: Style = {"border": 1, "text_wrap": True, "valign": "top"}


def write_boss_xlsx(data: BossData, path: str | Path) -> Path:
    """The report as one printable sheet with native charts (grades, pay per plan)."""
    out = Path(path)
    with Workbook(out) as book:
        sheet = book.sheet("客服月报")
        mark = "（暂估：期间未结算）" if data.provisional else ""
        sheet.write(0, 0, f"客服团队月报 {data.period}{mark}", TITLE)
        kpi_rows = [
            {
                "label": header(k.label, k.unit),
                "now": k.value,
                "before": k.previous,
                "change": k.change,
                "unit": k.unit,
            }
            for k in data.kpis
        ]
        columns = [
            Column("label", "指标"),
            Column("now", f"本月 {data.period}", unit_key="unit"),
            Column("before", f"上月 {data.previous or '—'}", unit_key="unit"),
            Column("change", "环比"),
        ]
        row = sheet.table(2, columns, kpi_rows, HEAD, CELL)
        grade_top = row
        grades = [{"grade": g, "n": n} for g, n in sorted(data.grades.items(), key=lambda g: -g[1])]
        row = sheet.table(
            row, [Column("grade", "等级"), Column("n", "人数", "count")], grades, HEAD, CELL
        )
        pay_top = row
        pay = [{"plan": p, "n": n, "total": t} for p, n, t in data.pay]
        pay_columns = [
            Column("plan", "薪资方案"),
            Column("n", "工资条", "count"),
            Column("total", f"应发合计{mark}", "yuan"),
        ]
        row = sheet.table(row, pay_columns, pay, HEAD, CELL)
        ranked = [
            {
                "place": title,
                "agent": r.name or r.agent,
                "scheme": r.scheme,
                "total": r.total,
                "grade": r.grade,
                "reason": r.reason,
            }
            for title, rows in (("表现最好", data.top), ("需要关注", data.bottom))
            for r in rows
        ]
        rank_columns = [
            Column("place", ""),
            Column("agent", "客服"),
            Column("scheme", "考核方案"),
            Column("total", "总分", "points"),
            Column("grade", "等级"),
            Column("reason", "原因"),
        ]
        row = sheet.table(row, rank_columns, ranked, HEAD, CELL)
        status = "，".join(f"{k} {v} 项" for k, v in data.compliance.items())
        sheet.write(row, 0, f"平台合规：{status}", {"bold": True})
        for i, line in enumerate(data.compliance_lines, start=row + 1):
            sheet.write(i, 0, line)
        row += len(data.compliance_lines) + 2
        red = sum(n for _, n in data.redlines)
        sheet.write(row, 0, f"质检红线：{red} 个会话，{len(data.redlines)} 名客服", {"bold": True})
        for i, (agent, n) in enumerate(data.redlines[:6], start=row + 1):
            sheet.write(i, 0, f"{agent}：{n} 个会话")
        below = row + min(len(data.redlines), 6) + 2
        _charts(book, sheet, below, ((grade_top, len(grades)), (pay_top, len(pay))))
        ws = sheet.ws
        ws.set_column(0, 0, 24)
        ws.set_column(1, 4, 14)
        ws.set_column(5, 5, 34)
        ws.set_portrait()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    return out


def _charts(
    book: Workbook, sheet: Any, below: int, tables: tuple[tuple[int, int], tuple[int, int]]
) -> None:
    """The grade and pay tables as bar charts, side by side under the tables."""
    name = sheet.name
    specs = zip(
        tables,
        (("等级分布（人）", 1, 0), ("各薪资方案应发合计（元）", 2, 3)),
        strict=True,
    )
    for (top, n), (title, value_col, column) in specs:
        if not n:
            continue
        chart = book.book.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": title,
                "categories": [name, top + 1, 0, top + n, 0],
                "values": [name, top + 1, value_col, top + n, value_col],
                "data_labels": {"value": True, "font": {"size": 9}},
            }
        )
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_x_axis({"num_font": {"size": 9}, "major_gridlines": {"visible": True}})
        chart.set_y_axis({"num_font": {"size": 9}, "reverse": True})
        chart.set_size({"width": 380, "height": 240})
        sheet.ws.insert_chart(below, column, chart)
