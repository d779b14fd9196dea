"""The demo: generate a realistic sample as real-looking exports, import it into a fresh
store, compute what the installed parts can, and write the Excel and HTML reports.

The exports exercise the importers on purpose: one shop's chats are a GBK CSV with Chinese
headers and labels, orders are an XLSX with Chinese headers, refunds/agents use Chinese
headers, and a handful of deliberately bad rows land in quarantine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from kaohe.spreadsheet import Workbook
from kaohe.units import format_value

if TYPE_CHECKING:
    from kaohe.store import Store

DEMO_MESSAGES = 36_000
DEMO_DAYS = 35
DEMO_PERIOD = "2026-10"  # the generator starts on 2026-10-01: the first full month
# who gets which scheme and pay plan (kaohe.assignments): a scheme per role, a plan per
# platform — what a shop group with five platforms would configure
DEMO_ASSIGNMENTS: dict[str, Any] = {
    "assignments": [
        {"name": "售前客服", "when": {"role": "presales"}, "scheme": "presales_standard"},
        {"name": "售后客服", "when": {"role": "aftersales"}, "scheme": "aftersales_standard"},
        {"name": "其他客服", "when": {}, "scheme": "general"},
        {"name": "天猫店", "when": {"platform": ["tmall", "taobao"]}, "plan": "tmall_commission"},
        {"name": "京东店", "when": {"platform": "jd"}, "plan": "jd_commission"},
        {"name": "拼多多店", "when": {"platform": "pdd"}, "plan": "pdd_commission"},
        {"name": "抖音店", "when": {"platform": "douyin"}, "plan": "douyin_commission"},
        {"name": "快手店", "when": {"platform": "kuaishou"}, "plan": "kuaishou_commission"},
    ]
}
# the demo shops' service hours (Taobao's 平响 window): a question sent overnight gets the
# away message and is answered the next morning, outside the response figures. Written to the
# demo's kaohe.toml, so the commands it suggests compute what it reported.
DEMO_PARAMS: dict[str, Any] = {"service_window": "08:00-23:00"}
GBK_SHOP = "云朵拼多多店"
TIME_FMT = "%Y-%m-%d %H:%M:%S"

MSG_HEADERS = {
    "shop": "店铺",
    "platform": "平台",
    "buyer": "买家",
    "agent": "客服",
    "sender": "发送方",
    "time": "时间",
    "text": "内容",
    "msg_id": "消息ID",
    "auto_reply": "自动回复",
    "msg_type": "消息类型",
}
ORDER_HEADERS = {
    "order_id": "订单编号",
    "shop": "店铺名称",
    "platform": "平台",
    "buyer": "买家会员名",
    "created_at": "订单创建时间",
    "paid_at": "付款时间",
    "amount": "实付金额",
    "items": "宝贝总数量",
    "status": "订单状态",
    "sku": "商品",
    "shipped_at": "发货时间",
    "delivered_at": "签收时间",
    "cancelled_at": "取消时间",
    "region_tier": "地区类型",
    "error": "处理差错",
}
REFUND_HEADERS = {
    "refund_id": "退款编号",
    "order_id": "订单编号",
    "shop": "店铺",
    "buyer": "买家",
    "type": "售后类型",
    "applied_at": "申请时间",
    "first_response_at": "商家首次处理时间",
    "agreed_at": "同意时间",
    "rejected_at": "拒绝时间",
    "return_received_at": "退货签收时间",
    "completed_at": "完结时间",
    "status": "退款状态",
    "amount": "退款金额",
    "platform_intervened": "平台介入",
    "merchant_liable": "商责",
    "agent": "处理客服",
    "reason": "退款原因",
}
AGENT_HEADERS = {
    "agent": "客服",
    "name": "姓名",
    "shops": "店铺",
    "team": "组",
    "role": "岗位",
    "level": "级别",
    "hired_on": "入职日期",
    "level_since": "定级日期",
    "base_salary": "底薪",
    "region": "地区",
    "active": "在职",
}
LABELS: dict[str, dict[str, str]] = {
    "sender": {"buyer": "买家", "agent": "客服", "bot": "机器人", "system": "系统"},
    "msg_type": {
        "text": "文本",
        "image": "图片",
        "card": "卡片",
        "order": "订单",
        "withdrawn": "撤回",
        "handoff": "转人工",
    },
    "platform": {
        "tmall": "天猫",
        "jd": "京东",
        "pdd": "拼多多",
        "douyin": "抖音",
        "kuaishou": "快手",
        "taobao": "淘宝",
    },
    "order_status": {
        "created": "等待买家付款",
        "paid": "买家已付款",
        "shipped": "卖家已发货",
        "completed": "交易成功",
        "closed": "交易关闭",
    },
    "region_tier": {"city": "市区", "county": "县城", "town": "乡镇"},
    "refund_type": {
        "refund_only": "仅退款",
        "return_refund": "退货退款",
        "exchange": "换货",
        "repair": "维修",
        "reship": "补发",
    },
    "refund_status": {"success": "退款成功", "closed": "退款关闭", "pending": "处理中"},
    "rating_level": {"5": "非常满意", "4": "满意", "3": "一般", "2": "不满意", "1": "非常不满意"},
    "rating_source": {"invited": "客服邀评", "active": "主动评价", "system": "系统推送"},
    "role": {"presales": "售前", "aftersales": "售后", "general": "综合"},
    "level": {
        "trainee": "见习",
        "regular": "正式",
        "senior": "资深",
        "lead": "组长",
        "supervisor": "主管",
    },
    "kind": {"email": "邮件", "complaint": "投诉"},
    "bool": {"true": "是", "false": "否"},
}
# file stem -> table it is imported as
FILE_TABLES = {
    "messages": "messages",
    "messages_gbk": "messages",
    "orders": "orders",
    "refunds": "refunds",
    "ratings": "ratings",
    "rating_revisions": "rating_revisions",
    "agents": "agents",
    "agent_status": "agent_status",
    "service_orders": "service_orders",
    "tickets": "tickets",
}
IMPORT_ORDER = [
    "agents",
    "messages",
    "messages_gbk",
    "orders",
    "refunds",
    "ratings",
    "rating_revisions",
    "agent_status",
    "service_orders",
    "tickets",
]


# ------------------------------------------------------------------ import-ready files


def _label(frame: pl.DataFrame, column: str, labels: str) -> pl.DataFrame:
    mapping = LABELS[labels]
    expr = pl.col(column).cast(pl.String)
    if frame.schema[column] == pl.Boolean:
        expr = pl.col(column).cast(pl.String).str.to_lowercase()
    return frame.with_columns(expr.replace(mapping).alias(column))


def _csv(frame: pl.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    text = frame.write_csv(datetime_format=TIME_FMT, date_format="%Y-%m-%d")
    path.write_bytes(text.encode(encoding))
    return path


def _bad_row(frame: pl.DataFrame, row: int, values: dict[str, Any]) -> pl.DataFrame:
    """A copy of `row` with some cells replaced (as strings), appended at the end."""
    bad = frame.slice(row, 1).cast(pl.String)
    bad = bad.with_columns([pl.lit(v, pl.String).alias(k) for k, v in values.items()])
    return pl.concat([frame.cast(pl.String), bad])


def write_messages(table: pa.Table, out: Path) -> dict[str, Path]:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    gbk = frame.filter(pl.col("shop") == GBK_SHOP)
    rest = frame.filter(pl.col("shop") != GBK_SHOP)
    for column, labels in (
        ("sender", "sender"),
        ("msg_type", "msg_type"),
        ("platform", "platform"),
        ("auto_reply", "bool"),
    ):
        gbk = _label(gbk, column, labels)
    gbk = gbk.rename(MSG_HEADERS)
    rest = _bad_row(
        rest.with_columns(pl.col("time").dt.strftime(TIME_FMT)),
        0,
        {"time": "2026-13-45 99:61:00", "msg_id": "M-BAD-TIME"},
    )
    return {
        "messages": _csv(rest, out / "messages.csv"),
        "messages_gbk": _csv(gbk, out / "messages_pdd_gbk.csv", "gbk"),
    }


def write_orders(table: pa.Table, out: Path) -> Path:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    for column, labels in (
        ("status", "order_status"),
        ("platform", "platform"),
        ("region_tier", "region_tier"),
        ("error", "bool"),
    ):
        frame = _label(frame, column, labels)
    first = frame.row(0, named=True)
    bad = pl.DataFrame(
        [
            {**first, "order_id": "O-BAD-NEG", "amount": -50.0},
            {
                **first,
                "order_id": "O-BAD-PAID",
                "paid_at": first["created_at"],
                "created_at": first["paid_at"] or first["created_at"],
            },
        ],
        schema=frame.schema,
    )
    if bad["paid_at"][1] == bad["created_at"][1]:
        bad = bad.with_columns(
            pl.when(pl.col("order_id") == "O-BAD-PAID")
            .then(pl.col("paid_at") - pl.duration(hours=1))
            .otherwise(pl.col("paid_at"))
            .alias("paid_at")
        )
    frame = pl.concat([frame, bad]).rename(ORDER_HEADERS)
    path = out / "orders.xlsx"
    _xlsx(frame, path, "订单")
    return path


def _xlsx(frame: pl.DataFrame, path: Path, sheet: str) -> None:
    with Workbook(path) as book:
        ws = book.sheet(sheet)
        ws.write_row(0, 0, frame.columns, {"bold": True})
        for j, column in enumerate(frame.columns):
            for i, value in enumerate(frame[column].to_list(), start=1):
                ws.write(i, j, value)


def write_refunds(table: pa.Table, out: Path) -> Path:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    for column, labels in (
        ("type", "refund_type"),
        ("status", "refund_status"),
        ("platform_intervened", "bool"),
        ("merchant_liable", "bool"),
    ):
        frame = _label(frame, column, labels)
    frame = frame.with_columns(pl.col(pl.Datetime).dt.strftime(TIME_FMT))
    frame = _bad_row(frame, 0, {"refund_id": "RF-BAD-TIME", "applied_at": "上周三下午"})
    return _csv(frame.rename(REFUND_HEADERS), out / "refunds.csv")


def write_small(tables: dict[str, pa.Table], out: Path) -> dict[str, Path]:
    ratings = pl.from_arrow(tables["ratings"])
    ratings = _label(_label(ratings, "level", "rating_level"), "source", "rating_source")
    agents = pl.from_arrow(tables["agents"])
    agents = _label(_label(agents, "role", "role"), "level", "level").rename(AGENT_HEADERS)
    tickets = _label(pl.from_arrow(tables["tickets"]), "kind", "kind")
    status = pl.from_arrow(tables["agent_status"])
    revisions = pl.from_arrow(tables["rating_revisions"])
    for column in ("level_before", "level_after"):
        revisions = _label(revisions, column, "rating_level")
    return {
        "ratings": _csv(ratings, out / "ratings.csv"),
        "rating_revisions": _csv(revisions, out / "rating_revisions.csv"),
        "agents": _csv(agents, out / "agents.csv", "utf-8-sig"),
        "agent_status": _csv(status, out / "agent_status.csv"),
        "service_orders": _csv(
            pl.from_arrow(tables["service_orders"]), out / "jd_service_orders.csv"
        ),
        "tickets": _csv(tickets, out / "tickets.csv"),
    }


def write_mix(tables: dict[str, pa.Table], out: Path) -> dict[str, Path]:
    """Write the generated tables as import-ready exports; returns file stem -> path."""
    paths = write_messages(tables["messages"], out)
    paths["orders"] = write_orders(tables["orders"], out)
    paths["refunds"] = write_refunds(tables["refunds"], out)
    paths.update(write_small(tables, out))
    return paths


# ------------------------------------------------------------------ the run


@dataclass
class DemoResult:
    dir: Path
    db: Path
    files: dict[str, Path]
    imports: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    kpi_rows: list[dict[str, Any]] | None = None
    kpi_note: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    reports: dict[str, Path] = field(default_factory=dict)
    assessment: list[str] = field(default_factory=list)  # one line per scheme / plan
    compliance: str = ""  # the platform compliance summary
    alerts: str = ""  # the live alerts raised on the sample, a few of them shown
    planted: list[str] = field(default_factory=list)  # what the sample holds on purpose
    seconds: float = 0.0


def fresh_store_path(base: Path) -> Path:
    db = base / "kaohe.duckdb"
    for path in (db, base / "kaohe.duckdb.wal"):
        if path.exists():
            path.unlink()
    return db


def import_all(
    store: Store, files: dict[str, Path], result: DemoResult, say: Callable[[str], None]
) -> None:
    from kaohe.errors import KaoheError
    from kaohe.imports import import_file

    for stem in IMPORT_ORDER:
        path = files[stem]
        try:
            res = import_file(store, path, table=FILE_TABLES[stem])
        except KaoheError as exc:
            result.errors.append(f"{path.name}: {exc}")
            say(f"  ! {path.name}: {exc}")
            continue
        row = {
            "file": path.name,
            "table": res.table,
            "read": res.read,
            "inserted": res.inserted,
            "updated": res.updated,
            "rejected": res.rejected,
        }
        result.imports.append(row)
        result.rejected += res.rejected
        say(
            f"  {path.name:<24} → {res.table:<15} 读取 {res.read:>6}  新增 {res.inserted:>6}"
            f"  拒收 {res.rejected}"
        )


def compute_kpis(
    store: Store, params: Mapping[str, Any] | None = None
) -> tuple[list[dict[str, Any]] | None, str]:
    """KPI rows per agent (engine parameters `params`), or None and why not."""
    from kaohe.engine import compute_kpis as engine_kpis

    try:
        rows = engine_kpis(store, by=("agent",), period=DEMO_PERIOD, params=params)
    except Exception as exc:  # noqa: BLE001 - the demo must still write its reports
        return None, f"指标计算失败 / KPI computation failed: {type(exc).__name__}: {exc}"
    return [dict(r) for r in rows], ""


def run_demo(
    base_dir: str | Path,
    seed: int = 0,
    messages: int = DEMO_MESSAGES,
    say: Callable[[str], None] = lambda _s: None,
    params: Any = None,
) -> DemoResult:
    """Generate, import, compute and report; see the module docstring. `params`: the
    resolved parameters (kaohe.params.resolve_params) every figure is computed under."""
    from kaohe.demo.generate import generate, planted
    from kaohe.demo.reviews import review_demo
    from kaohe.engine.periods import parse_period
    from kaohe.params import resolve_params
    from kaohe.reports import collect
    from kaohe.reports.excel import write_excel
    from kaohe.reports.html import write_html
    from kaohe.store import Store

    params = demo_params(params or resolve_params())
    began = time.perf_counter()
    base = Path(base_dir)
    data_dir = base / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    db = fresh_store_path(base)
    write_config(base / "kaohe.toml", db)
    say(f"生成示例数据 / generating sample data → {data_dir}")
    files = generate(data_dir, messages=messages, seed=seed, days=DEMO_DAYS, exports=write_mix)
    result = DemoResult(base, db, files, planted=planted(messages, seed, DEMO_DAYS))
    say("导入 / importing")
    with Store(db) as store:
        import_all(store, files, result, say)
        say("质检 / quality inspection")
        result.assessment.append(inspect(store))
        result.assessment.append(review_demo(store, data_dir, parse_period(DEMO_PERIOD), seed))
        say("计算指标 / computing KPIs")
        result.kpi_rows, result.kpi_note = compute_kpis(store, params.engine)
        data = collect(store, result.kpi_rows, result.kpi_note, result.imports, period=DEMO_PERIOD)
        result.counts = data["counts_by_table"]
        reports = base / "reports"
        reports.mkdir(exist_ok=True)
        if result.kpi_rows is not None:
            say(f"考核与薪资 / scores and pay ({DEMO_PERIOD})")
            result.reports["assessment"] = assess(
                store, reports / "kaohe_assessment.xlsx", result.assessment, params.engine
            )
            say(f"平台合规 / platform compliance ({DEMO_PERIOD})")
            data["compliance"], result.compliance = check_compliance(store, params)
            say(f"老板月报 / the boss report ({DEMO_PERIOD})")
            result.reports.update(boss_report(store, reports, params.engine))
            say("预警 / live alerts")
            result.alerts = raise_alerts(store, base)
    result.reports.update(
        {
            "xlsx": write_excel(data, reports / "kaohe_report.xlsx"),
            "html": write_html(data, reports / "kaohe_report.html"),
        }
    )
    result.seconds = time.perf_counter() - began
    return result


def demo_params(params: Any) -> Any:
    """Resolved parameters with the demo's own (DEMO_PARAMS) where the user set none."""
    from dataclasses import replace

    from kaohe.params import resolve_params

    shop = resolve_params(DEMO_PARAMS).engine
    return replace(params, engine={**shop, **params.engine})


def write_config(path: Path, db: Path) -> Path:
    """The demo's kaohe.toml: its store and its parameters (DEMO_PARAMS)."""
    lines = [
        "# 示例的设置 / the demo's settings (kaohe demo)",
        "[store]",
        f"db = {json.dumps(str(db.resolve()), ensure_ascii=False)}",
        "",
        "[metrics.params]",
        *(f"{key} = {json.dumps(value)}" for key, value in DEMO_PARAMS.items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assess(
    store: Store, path: Path, summary: list[str], params: Mapping[str, Any] | None = None
) -> Path:
    """Score the demo team and pay it as the demo's assignments say (a scheme per role, a
    plan per platform; payslips marked 暂估 when the month is not settled yet), and write the
    assessment workbook; the engine metrics under `params`."""
    from kaohe.assigned import pay_assigned, score_assigned
    from kaohe.assignments import load_assignments, save_assignments
    from kaohe.reports.assessment import write_assessment
    from kaohe.schemes.fetch import is_settled

    where = Path(store.path).parent / "assignments.yaml"  # beside the store (assignments_path)
    assignments = load_assignments(save_assignments(where, DEMO_ASSIGNMENTS))
    scored, _ = score_assigned(store, assignments, DEMO_PERIOD, params)
    for run in scored:
        graded = [a for a in run.result.agents if a.grade]
        summary.append(f"{run.scheme.name}: {len(run.result.agents)} 人, {len(graded)} 人定级")
    settled = all(is_settled(run.scheme, DEMO_PERIOD, params) for run in scored)
    paid, _ = pay_assigned(store, assignments, DEMO_PERIOD, True, params)
    for run in paid:
        payroll = run.result
        total = sum(slip.total for slip in payroll.payslips)
        mark = "（暂估）" if payroll.provisional else ""
        shown = format_value(total, "yuan")
        summary.append(f"{payroll.plan_name}: {len(payroll.payslips)} 张工资条, 合计 {shown}{mark}")
    results = [run.result for run in scored]
    return write_assessment(path, results, [run.result for run in paid], settled=settled)


def boss_report(
    store: Any, reports: Path, params: Mapping[str, Any] | None = None
) -> dict[str, Path]:
    """The month's boss report (kaohe.reports.boss) in HTML and Excel."""
    from kaohe.assignments import load_assignments
    from kaohe.reports.boss import boss_data, write_boss_html, write_boss_xlsx

    assignments = load_assignments(Path(store.path).parent / "assignments.yaml")
    data = boss_data(store, assignments, DEMO_PERIOD, params)
    return {
        "boss_html": write_boss_html(data, reports / "kaohe_boss.html"),
        "boss_xlsx": write_boss_xlsx(data, reports / "kaohe_boss.xlsx"),
    }


def check_compliance(store: Store, params: Any = None) -> tuple[list[Any], str]:
    """Every platform preset on the demo month (under the resolved `params`): the results and
    the terminal summary."""
    from kaohe.compliance.check import run_checks
    from kaohe.compliance.report import summary_text

    results = run_checks(store, DEMO_PERIOD, overrides=params)
    return results, summary_text(results)


# the compliance rule re-runs every preset: the demo has just printed them (above)
DEMO_ALERTS_OFF = ("compliance_risk",)
DEMO_ALERTS_SHOWN = 5


def raise_alerts(store: Store, base: Path) -> str:
    """Evaluate the shipped alert rules on the imported sample as if it were ten minutes after
    its last message, sending to a file channel (alerts.jsonl); a count per rule and a few."""
    from datetime import timedelta

    from kaohe.alerts import evaluate_imports, make_setup, parse_settings

    path = base / "alerts.jsonl"
    if path.exists():
        path.unlink()
    setup = make_setup(
        parse_settings({"channels": {"demo_file": {"type": "file", "path": str(path)}}})
    )
    kept = [r for r in setup.rules.rules if r.id not in DEMO_ALERTS_OFF]
    setup.rules = setup.rules.model_copy(update={"rules": kept})
    last = store.con.execute("SELECT max(time) FROM messages").fetchone()[0]
    report = evaluate_imports(store, setup, last + timedelta(minutes=10))
    counts = store.con.execute(
        "SELECT rule, count(*) FROM alerts GROUP BY rule ORDER BY count(*) DESC, rule"
    ).fetchall()
    names = {r.id: r.name for r in setup.rules.rules}  # a rule by its Chinese name, not its id
    lines = [
        f"预警 / alerts: {len(report.changes.fired)} 条, 写入 {path} "
        f"({report.sent.messages.get('demo_file', 0)} 条消息)",
        "  " + ", ".join(f"{names.get(rule, rule)} {n}" for rule, n in counts),
    ]
    shown = store.con.execute(
        "SELECT id, severity, title FROM alerts QUALIFY row_number() OVER "
        f"(PARTITION BY rule ORDER BY id) = 1 ORDER BY id LIMIT {DEMO_ALERTS_SHOWN}"
    ).fetchall()
    lines += [f"  #{i} [{sev}] {title}" for i, sev, title in shown]
    return "\n".join(lines)


def inspect(store: Store) -> str:
    """Run the default rule pack over every message; ad/spam sessions it finds leave the KPIs."""
    from kaohe.qa.findings import run_pack
    from kaohe.qa.rules import load_pack

    summary = run_pack(store, load_pack("default"))
    spam = summary.by_rule.get("ad_buyer", 0)
    return (
        f"质检 {summary.messages:,} 条消息: {summary.findings:,} 条发现"
        f"（其中广告/骚扰 {spam} 条，所在会话不计入指标）"
    )
