"""Report data for the Excel and HTML reports: an overview of the store (row counts, imports,
the quarantine) in plain DuckDB SQL, plus KPI rows. Every figure about the conversation — buyer
messages, valid replies, received buyers — is the metric engine's (one definition of a valid
reply, withdrawn and automatic replies excluded as the engine excludes them), never SQL of
its own."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaohe.schema import TABLES, platform_label
from kaohe.units import MISSING, Unit, format_value, header, number

if TYPE_CHECKING:
    from kaohe.store import Store

QUARANTINE_LIMIT = 500

# the engine metrics of the shop rows and of the roster (by agent)
SHOP_METRICS = ("buyer_messages", "agent_messages")
ROSTER_METRICS = {"replies": "agent_messages", "buyers": "received_buyers"}

BY_SHOP_SQL = """
WITH m AS (
  SELECT shop, any_value(platform) AS platform, count(*) AS messages,
         count(DISTINCT buyer) AS buyers
  FROM messages {m} GROUP BY shop),
o AS (
  SELECT shop, count(*) AS orders, count(paid_at) AS paid_orders,
         coalesce(sum(amount) FILTER (WHERE paid_at IS NOT NULL), 0) AS paid_amount
  FROM orders {o} GROUP BY shop),
r AS (SELECT shop, count(*) AS refunds FROM refunds {r} GROUP BY shop)
SELECT coalesce(m.shop, o.shop) AS shop, m.platform, coalesce(m.messages, 0) AS messages,
       coalesce(m.buyers, 0) AS buyers, coalesce(o.orders, 0) AS orders,
       coalesce(o.paid_orders, 0) AS paid_orders, coalesce(o.paid_amount, 0) AS paid_amount,
       coalesce(r.refunds, 0) AS refunds
FROM m FULL JOIN o USING (shop) LEFT JOIN r ON r.shop = coalesce(m.shop, o.shop)
ORDER BY messages DESC
"""

ROSTER_SQL = """
SELECT agent, name, shops, team, role, level, hired_on, base_salary
FROM agents ORDER BY shops, role, agent
"""

DAILY_SQL = """
SELECT CAST(time AS DATE) AS day, shop, count(*) AS messages
FROM messages {m} GROUP BY ALL ORDER BY ALL
"""

HOURLY_SQL = """
SELECT hour(time) AS hour, count(*) AS buyer_messages
FROM (SELECT * FROM messages {m}) WHERE sender = 'buyer' GROUP BY 1 ORDER BY 1
"""

IMPORTS_SQL = """
SELECT import_id, file, table_name, preset, rows_read, rows_inserted, rows_updated,
       rows_rejected, imported_at
FROM import_log ORDER BY import_id
"""

QUARANTINE_SQL = f"""
SELECT file, "row", "column", value, reason, table_name
FROM quarantine ORDER BY file, "row", "column" LIMIT {QUARANTINE_LIMIT}
"""


def rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def table_counts(con: Any) -> list[dict[str, Any]]:
    out = []
    for table in TABLES.values():
        n = con.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
        out.append({"table": table.name, "label": table.label, "rows": int(n)})
    return out


def period_filters(period: str | None) -> dict[str, str]:
    """The WHERE clause of each table's time column for a period ({m} messages, {o} orders,
    {r} refunds, {q} QA findings); empty for all the data. The bounds come from the parsed
    period (dates), never from the text as typed."""
    if period is None:
        return {"m": "", "o": "", "r": "", "q": ""}
    from kaohe.engine.periods import parse_period

    chosen = parse_period(period)
    start, end = chosen.start.isoformat(), (chosen.end + timedelta(days=1)).isoformat()
    within = f">= TIMESTAMP '{start}' AND {{c}} < TIMESTAMP '{end}'"
    clause = lambda column: f"WHERE {column} " + within.format(c=column)  # noqa: E731
    return {
        "m": clause("time"),
        "o": clause("created_at"),
        "r": clause("applied_at"),
        "q": clause("time"),
    }


def daily_pivot(con: Any, period: str | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """Messages per day (rows) and shop (columns)."""
    data = rows(con, DAILY_SQL.format(**period_filters(period)))
    shops = sorted({r["shop"] for r in data})
    days: dict[Any, dict[str, Any]] = {}
    for r in data:
        day = days.setdefault(r["day"], {"day": r["day"], "total": 0})
        day[r["shop"]] = r["messages"]
        day["total"] += r["messages"]
    return shops, [days[d] for d in sorted(days)]


def kpi_labels(columns: list[str]) -> dict[str, str]:
    """Chinese headers of the KPI columns: group keys, and metrics with their unit."""
    from kaohe.engine.registry import all_metrics

    metrics = {m.id: m for m in all_metrics()}
    labels = {"agent": "客服", "team": "组", "shop": "店铺", "platform": "平台", "day": "日期"}
    for column in columns:
        metric = metrics.get(column)
        labels.setdefault(column, header(metric.zh, metric.unit) if metric else column)
    return labels


def kpi_block(kpi_rows: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if not kpi_rows:
        return None
    columns: list[str] = []
    for row in kpi_rows:
        columns += [c for c in row if c not in columns]
    return {"columns": columns, "labels": kpi_labels(columns), "rows": kpi_rows}


QA_RULES_SQL = """
SELECT rule, any_value(category) AS category, any_value(severity) AS severity,
       count(*) AS hits, count(DISTINCT (shop, buyer, agent, session_start)) AS sessions,
       count(DISTINCT agent) AS agents
FROM qa_findings {q} GROUP BY rule ORDER BY hits DESC, rule"""


def engine_counts(
    store: Store,
    by: str,
    metrics: list[str],
    params: Mapping[str, Any] | None,
    use_facts: bool = True,
    period: str | None = None,
) -> dict[Any, dict[str, Any]]:
    """The engine's values of `metrics` over the period (all the data when None), per `by`
    (shop or agent); from the per-day facts unless `use_facts` is False (a first refresh
    computes every metric)."""
    from kaohe.engine import compute_kpis

    rows = compute_kpis(
        store, by=by, period=period, metrics=metrics, params=params, use_facts=use_facts
    )
    return {r[by]: r for r in rows if r[by] is not None}


def by_shop(
    store: Store,
    params: Mapping[str, Any] | None = None,
    use_facts: bool = True,
    period: str | None = None,
) -> list[dict[str, Any]]:
    """Per shop: messages and buyers in the store, orders, refunds, and the engine's buyer
    messages and valid replies (within `period` when given)."""
    counts = engine_counts(store, "shop", list(SHOP_METRICS), params, use_facts, period)
    return [
        {
            **r,
            **{m: int(counts.get(r["shop"], {}).get(m) or 0) for m in SHOP_METRICS},
            "platform_label": platform_label(r["platform"]),
        }
        for r in rows(store.con, BY_SHOP_SQL.format(**period_filters(period)))
    ]


def roster(
    store: Store,
    params: Mapping[str, Any] | None = None,
    use_facts: bool = True,
    period: str | None = None,
) -> list[dict[str, Any]]:
    """The roster with each agent's valid replies and received buyers (engine metrics, within
    `period` when given)."""
    metrics = list(ROSTER_METRICS.values())
    counts = engine_counts(store, "agent", metrics, params, use_facts, period)
    return [
        {
            **r,
            **{k: int(counts.get(r["agent"], {}).get(m) or 0) for k, m in ROSTER_METRICS.items()},
        }
        for r in rows(store.con, ROSTER_SQL)
    ]


def collect(
    store: Store,
    kpi_rows: list[dict[str, Any]] | None = None,
    kpi_note: str = "",
    imports: list[dict[str, Any]] | None = None,
    params: Mapping[str, Any] | None = None,
    period: str | None = None,
) -> dict[str, Any]:
    """Everything the reports show, as plain Python values; `params`: the resolved metric
    parameters the engine's figures use; `period`: only that period's chats, orders, refunds
    and findings (every sheet says so), all the data when None. `kpi_rows` are the caller's
    (computed for the same period)."""
    from kaohe.engine.periods import parse_period
    from kaohe.qa.adfilter import filtered_sessions

    con = store.con
    counts = table_counts(con)
    shops, daily = daily_pivot(con, period)
    where = period_filters(period)
    from kaohe.store import scalar

    quarantine_total = int(scalar(con, "SELECT count(*) FROM quarantine"))
    return {
        "generated_at": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "period": period,
        "counts": counts,
        "counts_by_table": {c["table"]: c["rows"] for c in counts},
        "imports": rows(con, IMPORTS_SQL),
        "quarantine": rows(con, QUARANTINE_SQL),
        "quarantine_total": quarantine_total,
        "roster": roster(store, params, period=period),
        "by_shop": by_shop(store, params, period=period),
        "daily_shops": shops,
        "daily": daily,
        "hourly": rows(con, HOURLY_SQL.format(**where)),
        "kpi": kpi_block(kpi_rows),
        "kpi_note": kpi_note,
        "qa_rules": rows(con, QA_RULES_SQL.format(**where)),
        "ad_filter": filtered_sessions(store, parse_period(period) if period else None),
    }


# the unit of report columns that are not metrics
REPORT_UNITS: dict[str, Unit] = {"paid_amount": "yuan", "base_salary": "yuan"}


def column_unit(column: str) -> Unit | None:
    """The unit of a report column: a metric's, or one of REPORT_UNITS; None for text."""
    return REPORT_UNITS.get(column) or _metric_units().get(column)


@functools.cache
def _metric_units() -> dict[str, Unit]:
    from kaohe.engine.registry import all_metrics

    return {m.id: m.unit for m in all_metrics()}


def fmt_value(column: str, value: Any, with_unit: bool = True) -> str:
    """A value as the reports show it (kaohe.units): in its column's unit; a table whose
    header names the unit passes `with_unit=False` and gets aligned decimals."""
    if value is None:
        return MISSING
    unit = column_unit(column)
    if unit is not None or number(value) is not None:
        return format_value(value, unit, with_unit=with_unit, trim=with_unit)
    if isinstance(value, float):  # NaN
        return MISSING
    return str(value)


def column_label(table_name: str, column: str) -> str:
    """A store column as its import header says it (店铺 for shop); the name otherwise."""
    from kaohe.schema import TABLES

    table = TABLES.get(table_name)
    if table is None or column not in table.column_names:
        return column
    aliases = table.column(column).aliases
    return next((a for a in aliases if any(ord(ch) > 0x2E80 for ch in a)), column)


def readable(data: dict[str, Any]) -> dict[str, Any]:
    """The rows as people read them: file names without folders, tables, columns, platforms,
    roles, levels, QA rules, categories and severities in Chinese — no internal code."""
    from kaohe.assignments import label
    from kaohe.ingest.presets import list_presets
    from kaohe.qa.rules import CATEGORY_LABELS, SEVERITY_LABELS, rule_names
    from kaohe.schema import TABLES

    tables = {name: t.label for name, t in TABLES.items()}
    presets = {p.id: p.name_zh for p in list_presets()}
    rules = rule_names()
    out = dict(data)
    out["imports"] = [
        {
            **r,
            "file": Path(str(r["file"])).name,
            "table_name": tables.get(r["table_name"], ""),
            "preset": presets.get(r["preset"], r["preset"]),
        }
        for r in data["imports"]
    ]
    out["quarantine"] = [
        {
            **r,
            "file": Path(str(r["file"])).name,
            "column": column_label(r["table_name"], str(r["column"])),
            "table_name": tables.get(r["table_name"], r["table_name"]),
        }
        for r in data["quarantine"]
    ]
    out["roster"] = [
        {**r, "role": label("role", r["role"]), "level": label("level", r["level"])}
        if r.get("role") or r.get("level")
        else r
        for r in data["roster"]
    ]
    out["by_shop"] = [{**r, "platform": platform_label(r["platform"])} for r in data["by_shop"]]
    out["qa_rules"] = [
        {
            **r,
            "rule": rules.get(r["rule"], r["rule"]),
            "category": CATEGORY_LABELS.get(r["category"], r["category"]),
            "severity": SEVERITY_LABELS.get(r["severity"], r["severity"]),
        }
        for r in data.get("qa_rules") or []
    ]
    out["ad_filter"] = [
        {**r, "platform": platform_label(r["platform"])} for r in data.get("ad_filter") or []
    ]
    return out
