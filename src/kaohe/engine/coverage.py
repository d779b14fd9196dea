"""What a store holds for a period: the days its data spans, and which of the tables a metric
reads are empty there. A metric whose sources are empty is null, and says why; a period with
calls or reviews but no chats is still reported (call-centre-only and review-only stores)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from kaohe.engine.facts import TABLE_DAYS
from kaohe.engine.periods import Period, parse_period
from kaohe.engine.registry import MESSAGE_SOURCES, SOURCES, Metric
from kaohe.errors import KaoheError

if TYPE_CHECKING:
    from kaohe.store import Store

DERIVED = ("qa_findings", "qa_review_scores")  # computed by kaohe, not imported data


def data_span(store: Store) -> tuple[date, date] | None:
    """The first and last day of the store's dated data (every imported table, and the
    periods of metric_values rows), or None when it holds none."""
    days: list[date] = []
    for table, column in TABLE_DAYS.items():
        if column is None or table in DERIVED:
            continue
        lo, hi = store.con.execute(
            f'SELECT min(CAST({column} AS DATE)), max(CAST({column} AS DATE)) FROM "{table}"'
        ).fetchone()
        days += [d for d in (lo, hi) if d is not None]
    for (text,) in store.con.execute("SELECT DISTINCT period FROM metric_values").fetchall():
        try:
            found = parse_period(str(text))
        except KaoheError:  # a period kaohe cannot read dates nothing
            continue
        days += [found.start, found.end]
    return (min(days), max(days)) if days else None


def source_tables(metric: Metric, params: Mapping[str, Any]) -> tuple[str, ...]:
    """The imported tables whose rows a metric counts (not those it only looks names up in)."""
    tables: list[str] = []
    for part in metric.parts_for(params):
        if part.source in MESSAGE_SOURCES:
            tables.append("messages")
        elif part.source in SOURCES and SOURCES[part.source].tables:
            tables.append(SOURCES[part.source].tables[0])
    return tuple(dict.fromkeys(tables))


def rows_in(store: Store, table: str, period: Period | None) -> int:
    """Rows of a table in a period (all of them when the table or the period is undated)."""
    column = TABLE_DAYS.get(table)
    if table == "metric_values" and period is not None:
        return sum(
            1
            for (text,) in store.con.execute("SELECT period FROM metric_values").fetchall()
            if _meets(str(text), period)
        )
    if column is None or period is None:
        return int(store.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
    sql = f'SELECT count(*) FROM "{table}" WHERE CAST({column} AS DATE) BETWEEN ? AND ?'
    return int(store.con.execute(sql, [period.start, period.end]).fetchone()[0])


def _meets(text: str, period: Period) -> bool:
    try:
        found = parse_period(text)
    except KaoheError:
        return False
    return found.start <= period.end and found.end >= period.start


def empty_sources(
    store: Store, period: Period | None, metrics: Iterable[Metric], params_of: Any
) -> dict[str, list[str]]:
    """Empty table → the requested metrics that read only empty tables (they are null)."""
    counts: dict[str, int] = {}
    out: dict[str, list[str]] = {}
    for metric in metrics:
        tables = source_tables(metric, params_of(metric))
        for table in tables:
            if table not in counts:
                counts[table] = rows_in(store, table, period)
        if tables and all(counts[t] == 0 for t in tables):
            out.setdefault(tables[0], []).append(metric.id)
    return out


def empty_notes(
    store: Store, period: Period | None, metrics: Iterable[Metric], params_of: Any
) -> list[str]:
    """One bilingual note per empty table, naming the metrics left null by it."""
    from kaohe.schema import TABLES

    metrics = list(metrics)
    where_zh = f"期间 {period.label} " if period else ""
    where_en = f" in {period.label}" if period else ""
    empty = empty_sources(store, period, metrics, params_of)
    if sum(len(ids) for ids in empty.values()) == len(metrics) and len(empty) > 1:
        return [
            f"{where_zh}数据库 {store.path} 中没有任何数据，所有指标为空 / nothing in store "
            f"{store.path} falls{where_en or ' in it'}: every metric is null"
        ]
    notes = []
    for table, ids in empty.items():
        label = TABLES[table].label if table in TABLES else table
        shown = ", ".join(ids[:8]) + (f" … (+{len(ids) - 8})" if len(ids) > 8 else "")
        notes.append(
            f"{where_zh}没有{label}（{table}），这些指标为空: {shown} / no {table} rows"
            f"{where_en}: {shown} are null"
        )
    return notes
