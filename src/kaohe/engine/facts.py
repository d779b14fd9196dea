"""Per-day facts: the additive parts of every metric per agent-day and per shop-day.

`refresh_facts(store, days)` recomputes only the given days (each widened by one day either
side, since a round can be answered after midnight); `answer()` serves a request from the
facts when every needed part is additive and computed with default parameters, refreshing
stale days first (a day is stale when its message count changed since it was computed), and
computes the rest on demand (team grouping, overridden parameters, parts over orders…).

Medians and P90s over a message block (response times of rounds) are kept as stored rows:
the refresh writes, per day, the block's rows (agent, shop, platform, day and the columns the
parts read) to a row table, and a request computes the exact median or P90 of its period from
those rows with the part's own aggregate — the same values, without rebuilding the blocks.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import ibis.expr.operations as ops

from kaohe.engine.compute import (
    BlockPool,
    Evaluator,
    GroupKey,
    Request,
    finish,
    run,
    source_key,
)
from kaohe.engine.params import BlockParams
from kaohe.engine.periods import Period
from kaohe.engine.registry import MESSAGE_SOURCES, SOURCES, Metric, Part, all_metrics

if TYPE_CHECKING:
    from kaohe.store import Store

FACTS_VERSION = "4"  # raise when a definition changes: stored facts are recomputed
GRAINS: dict[str, tuple[str, ...]] = {
    "agent": ("agent", "day"),
    "shop": ("shop", "platform", "day"),
}
# the request groupings each grain can answer (buyer-days stay distinct per group per day)
SERVES: dict[frozenset[str], str] = {
    frozenset({"agent"}): "agent",
    frozenset({"agent", "day"}): "agent",
    frozenset({"shop"}): "shop",
    frozenset({"shop", "day"}): "shop",
    frozenset({"platform"}): "shop",
    frozenset({"platform", "day"}): "shop",
    frozenset({"shop", "platform"}): "shop",
    frozenset({"shop", "platform", "day"}): "shop",
    frozenset({"day"}): "shop",
    frozenset(): "shop",
}
# months and weeks are sums of days: whatever a grain serves by day it serves by month or week
SERVES.update(
    {
        (keys - {"day"}) | {calendar}: grain
        for keys, grain in list(SERVES.items())
        if "day" in keys
        for calendar in ("month", "week")
    }
)
SERVES.update({frozenset({c}): "shop" for c in ("month", "week")})
# the calendar keys as the facts' day is bucketed (kaohe.engine.compute labels the buckets)
CALENDAR_SQL = {"month": "date_trunc('month', day)", "week": "date_trunc('week', day)"}


def fingerprint() -> str:
    spec = {m.id: {k: repr(v) for k, v in m.params.items()} for m in all_metrics()}
    text = json.dumps([FACTS_VERSION, spec], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# the column (SQL) that dates each watched table's rows; None: the table as a whole
TABLE_DAYS: dict[str, str | None] = {
    "messages": "time",
    "orders": "created_at",
    "refunds": "applied_at",
    "ratings": "time",
    "rating_revisions": "revised_at",
    "agent_status": "start",
    "service_orders": "applied_at",
    "tickets": "received_at",
    "calls": "offered_at",
    "qa_reviews": "coalesce(CAST(date AS TIMESTAMP), reviewed_at)",
    "metric_values": None,
    "agents": None,
    "qa_findings": "time",
    "qa_dismissals": "time",
    "qa_review_scores": "day",
    "alerts": "fired_at",
    "credit_overrides": "time",
    "qa_review_voids": "day",
}
CHECKSUM_MOD = 9_223_372_036_854_775_783  # the largest prime below 2^63
Signature = dict[tuple[str, date | None], tuple[int, int | None]]


Reach = dict[str, tuple[int, int]]  # table -> (days before, days after) a changed day


def _kept_sources() -> set[str]:
    """The sources behind the facts' parts: additive parts and parts over stored rows. A live
    source (alerts, changed after their day by an acknowledgement) is read on every request
    and not watched."""
    out = set()
    for metric in _fact_metrics():
        params = default_params(metric)
        rows = row_parts(metric, params)
        out |= {p.source for p in metric.parts_for(params) if p.combine or p in rows}
    return out


def source_reach() -> dict[str, Reach]:
    """Per source behind the facts: each table it reads, with how many days before and after
    a day whose rows changed its values can move (kaohe.engine.registry.SourceDef: a reply is
    credited to orders paid days later, a refund nets a sale days before). Every source reads
    the message blocks' day and the day either side (a round answered after midnight)."""
    out: dict[str, Reach] = {}
    for name in sorted(_kept_sources()):
        reach = {"messages": (1, 1), "qa_findings": (1, 1)}
        source = SOURCES.get(name)
        if source is not None:
            own, back = dict(source.table_margins), dict(source.table_back)
            for table in source.tables:
                after = own.get(table, source.margin_days) or 1
                before = max(1, min(after, back.get(table, after)))
                b0, a0 = reach.get(table, (1, 1))
                reach[table] = (max(b0, before), max(a0, after))
            # ad/spam findings take sessions out of the blocks the source reads
            reach["qa_findings"] = reach["messages"]
        out[name] = reach
    return out


def margins() -> dict[str, int]:
    """Each watched table with the most days, before or after, a change on one of its days
    can move metric values."""
    out: dict[str, int] = {}
    for reach in source_reach().values():
        for table, (before, after) in reach.items():
            out[table] = max(out.get(table, 1), before, after)
    return out


def signatures(store: Store) -> Signature:
    """Per watched table and day: the row count, and for tables other than messages (which
    are only ever added) a checksum of the rows, so that an update shows."""
    out: Signature = {}
    for table in margins():
        column = TABLE_DAYS.get(table)
        day = f"CAST({column} AS DATE)" if column else "NULL::DATE"
        # kept within BIGINT: larger Python ints reach DuckDB as doubles and lose digits
        checksum = (
            "NULL::BIGINT"
            if table == "messages"
            else f'CAST(sum(hash("{table}")) % {CHECKSUM_MOD} AS BIGINT)'
        )
        sql = f'SELECT {day} AS d, count(*), {checksum} FROM "{table}" GROUP BY d'
        for d, n, check in store.con.execute(sql).fetchall():
            out[(table, d)] = (int(n), None if check is None else int(check))
    return out


def _stored_signatures(store: Store) -> Signature:
    rows = store.con.execute("SELECT tbl, day, rows, checksum FROM metric_facts_sources")
    return {(t, d): (int(n), None if c is None else int(c)) for t, d, n, c in rows.fetchall()}


def _data_days(current: Signature) -> set[date]:
    return {d for (_, d) in current if d is not None}


def _message_days(store: Store, period: Period | None = None) -> dict[date, int]:
    sql = "SELECT CAST(time AS DATE) AS d, count(*) FROM messages"
    args: list[Any] = []
    if period is not None:
        sql += " WHERE CAST(time AS DATE) BETWEEN ? AND ?"
        args = [period.start, period.end]
    return dict(store.con.execute(sql + " GROUP BY d", args).fetchall())


@dataclass
class Plan:
    """What a refresh recomputes: per source, the days whose values are computed again from
    the blocks (`full`), and the days whose stored per-order attribution only needs its
    refunds and overrides netted again (`net`: no touch of theirs changed)."""

    full: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))
    net: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))

    def days(self) -> list[date]:
        return sorted(set().union(*self.full.values(), *self.net.values()))


def stale_plan(store: Store, period: Period | None = None) -> Plan:
    """Per source, the days whose facts must be (re)computed: every day within the source's
    reach (before and after, per table) of a day whose rows changed since the last refresh;
    and, within the period, days never computed or computed by other metric definitions
    (every source)."""
    current, stored = signatures(store), _stored_signatures(store)
    reach = source_reach()
    watched = {table for r in reach.values() for table in r}
    data_days = _data_days(current)
    plan, everywhere = Plan(), set()
    for key in set(current) | set(stored):
        if current.get(key) == stored.get(key):
            continue
        table, day = key
        if day is None or table not in watched:
            # (a row naming no watched table was seen once under concurrent refresh and
            # reads — a mangled string; recomputing everything is the safe answer)
            everywhere |= data_days
            continue
        for name, r in reach.items():
            if table in r:
                before, after = r[table]
                span = {day + timedelta(days=k) for k in range(-before, after + 1)}
                nets = SOURCES[name].net_tables if name in SOURCES else ()
                (plan.net if table in nets else plan.full)[name] |= span
    done = dict(store.con.execute("SELECT day, fingerprint FROM metric_facts_days").fetchall())
    fp = fingerprint()
    everywhere |= {d for d in data_days if done.get(d) != fp}
    lo = hi = None
    if period is not None:
        wide = max(margins().values())
        lo, hi = period.start - timedelta(days=wide), period.end + timedelta(days=wide)

    def kept(days: set[date]) -> set[date]:
        # rows changed under computed facts are recomputed wherever they are
        near = {d for d in days if lo is None or hi is None or lo <= d <= hi or d in done}
        return {d for d in near if d in data_days or d in done}

    for name in reach:
        plan.full[name] = kept(plan.full[name] | everywhere)
        plan.net[name] = kept(plan.net[name]) - plan.full[name]
    return plan


def stale_days(store: Store, period: Period | None = None) -> list[date]:
    """Days whose facts must be (re)computed, for some source at least (`stale_plan`)."""
    return stale_plan(store, period).days()


def refresh_stale(store: Store, period: Period | None = None) -> list[date]:
    """Recompute what `stale_plan` finds stale — each source on its own days, refunds on
    days whose touches did not change netted on the stored attribution; the days rewritten."""
    plan = stale_plan(store, period)
    for name, days in plan.full.items():  # a round can be answered after midnight
        plan.full[name] = {d + timedelta(days=k) for d in days for k in (-1, 0, 1)}
    return _refresh(store, plan) if plan.days() else []


def refresh_facts(store: Store, days: Iterable[date] | None = None) -> list[date]:
    """Recompute the facts of `days` (None: every day with data), with their stored rows;
    returns the days rewritten."""
    current = signatures(store)
    wanted = set(days) if days is not None else _data_days(current)
    if not wanted:
        return []
    widened = {d + timedelta(days=k) for d in wanted for k in (-1, 0, 1)}
    _refresh(store, Plan(full={name: set(widened) for name in source_reach()}), current)
    return sorted(widened)


def _refresh(store: Store, plan: Plan, current: Signature | None = None) -> list[date]:
    """Run a plan: the sources with full days over those days' span, from the blocks (with
    their stored rows); then the sources with netting days over theirs, from the stored
    attribution. Written in one transaction with the tables' signatures."""
    current = current if current is not None else signatures(store)
    every = set(source_reach())
    full_sources = {name for name, days in plan.full.items() if days}
    hull: list[date] = []
    if full_sources:
        days = set().union(*plan.full.values())
        hull = [min(days) + timedelta(days=k) for k in range((max(days) - min(days)).days + 1)]
    net = {
        name: days - (set(hull) if name in full_sources else set())
        for name, days in plan.net.items()
    }
    net = {name: days for name, days in net.items() if days}
    pool = BlockPool()  # the grains and the row sets read the same blocks: built once
    try:
        writes: list[tuple[dict[str, set[date]], list[list[Any]]]] = []
        row_sql: dict[str, tuple[str, str]] = {}
        if full_sources:
            period = Period(hull[0], hull[-1], "facts")
            metrics = _restricted(full_sources)
            rows = [
                row
                for grain in GRAINS
                for row in _grain_rows(store, grain, period, hull, pool, metrics)
            ]
            writes.append(({name: set(hull) for name in full_sources}, rows))
            row_sql = _row_set_queries(store, period, hull, pool, full_sources)
        if net:
            writes.append((net, _net_rows(store, net)))
        with store.transaction() as con:
            for by_source, rows in writes:
                _replace_facts(con, by_source, rows, whole=set(by_source) == every)
            if hull:
                _write_row_sets(con, row_sql, hull)
            if full_sources == every:
                counts = _message_days(store, Period(hull[0], hull[-1], "facts"))
                fp = fingerprint()
                # updated in place, not deleted and inserted again: DuckDB 1.4 refuses to
                # commit a second delete-and-insert of a key while any connection still reads
                # a snapshot from before the first ("write-write conflict on key"), and the
                # server's readers always hold some — the refresh after an import failed and
                # the facts stayed stale
                con.executemany(
                    "INSERT INTO metric_facts_days VALUES (?, ?, ?) ON CONFLICT (day) DO UPDATE "
                    "SET messages = excluded.messages, fingerprint = excluded.fingerprint",
                    [[d, counts.get(d, 0), fp] for d in hull],
                )
            con.execute("DELETE FROM metric_facts_sources")
            con.executemany(
                "INSERT INTO metric_facts_sources VALUES (?, ?, ?, ?)",
                [[t, d, n, c] for (t, d), (n, c) in current.items()],
            )
    finally:
        pool.close()
    return plan.days()


def _restricted(sources: set[str]) -> list[Metric]:
    """The facts' metrics with only their parts over `sources` (at default parameters)."""
    out = []
    for metric in _fact_metrics():
        parts = tuple(p for p in metric.parts_for(default_params(metric)) if p.source in sources)
        if parts:
            out.append(replace(metric, parts=parts))
    return out


def _replace_facts(
    con: Any, by_source: dict[str, set[date]], rows: list[list[Any]], whole: bool
) -> None:
    """Replace the facts of each source's parts on its days with `rows` (whole: every fact of
    those days, a metric no longer defined included)."""
    days = sorted(set().union(*by_source.values()))
    if whole:
        con.execute("DELETE FROM metric_facts WHERE day IN (SELECT unnest(?))", [days])
    else:
        for source, its_days in by_source.items():
            keys = [f"{m.id}\x1f{p.name}" for m in _restricted({source}) for p in m.parts_for({})]
            con.execute(
                "DELETE FROM metric_facts WHERE day IN (SELECT unnest(?)) "
                "AND metric || chr(31) || part IN (SELECT unnest(?))",
                [sorted(its_days), keys],
            )
    source_of = {
        (m.id, p.name): p.source for m in _restricted(set(by_source)) for p in m.parts_for({})
    }
    kept = [r for r in rows if r[4] in by_source[source_of[(r[5], r[6])]]]
    if kept:
        con.register("_kaohe_new_facts", _as_arrow(kept))
        try:
            con.execute("INSERT INTO metric_facts SELECT * FROM _kaohe_new_facts")
        finally:
            con.unregister("_kaohe_new_facts")


def _net_rows(store: Store, net: dict[str, set[date]]) -> list[list[Any]]:
    """The facts of sources served by the stored attribution on days whose touches did not
    change: their refunds and overrides netted again on the rows the facts stored."""
    days = set().union(*net.values())
    period = Period(min(days), max(days), "facts")
    stored: dict[BlockParams, dict[tuple[Any, ...], str]] = defaultdict(dict)
    for (bp, key), table in attribution_sets().items():
        stored[bp][key] = table
    metrics = _restricted(set(net))
    return [
        row
        for grain in GRAINS
        for row in _grain_rows(store, grain, period, sorted(days), None, metrics, stored)
    ]


# stored rows: the non-additive parts over a message block ---------------------------------

ROW_TABLE_PREFIX = "metric_fact_rows_"
ROW_KEYS = ("agent", "shop", "platform", "day")  # what a request filters and groups the rows by
RowSetKey = tuple[BlockParams, str]  # (block parameters, message block)
RowPart = tuple[str, Part, dict[str, Any]]  # (metric id, part, its default parameters)


def default_params(metric: Metric) -> dict[str, Any]:
    return Request([metric], (), None, {}).params(metric)


def row_parts(metric: Metric, params: dict[str, Any]) -> list[Part]:
    """The metric's parts served from stored rows: not additive (a median, a P90), one value
    per row of a message block."""
    return [
        part
        for part in metric.parts_for(params)
        if part.combine is None and part.level == "row" and part.source in MESSAGE_SOURCES
    ]


def row_sets() -> dict[RowSetKey, list[RowPart]]:
    """Every stored row set, with the parts (at default parameters) it serves."""
    out: dict[RowSetKey, list[RowPart]] = defaultdict(list)
    for metric in all_metrics():
        params = default_params(metric)
        for part in row_parts(metric, params):
            out[(BlockParams.from_params(params), part.source)].append((metric.id, part, params))
    return dict(out)


def row_table(key: RowSetKey) -> str:
    """The store table of one row set (named by the facts' version and the set's key)."""
    text = repr((FACTS_VERSION, key))
    return ROW_TABLE_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:12]


NET_SOURCE = "attribution_by_rule"  # what sources with `net_tables` read, stored per order


def attribution_sets() -> dict[tuple[BlockParams, tuple[Any, ...]], str]:
    """Per (block parameters, source key of NET_SOURCE) the facts' sales parts read at their
    default parameters: the store table of its per-order rows (dated by payment)."""
    out: dict[tuple[BlockParams, tuple[Any, ...]], str] = {}
    for metric in _fact_metrics():
        params = default_params(metric)
        for part in metric.parts_for(params):
            source = SOURCES.get(part.source)
            if source is None or not source.net_tables:
                continue
            key = (BlockParams.from_params(params), source_key(NET_SOURCE, params))
            text = repr((FACTS_VERSION, NET_SOURCE, key))
            out[key] = ROW_TABLE_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:12]
    return out


def _row_set_queries(
    store: Store, period: Period, days: list[date], pool: BlockPool, sources: set[str]
) -> dict[str, tuple[str, str]]:
    """Per row table of `sources`: its columns (comma-separated) and the SQL selecting the
    rows of `days` — the block's names and day and the columns its parts read, nothing else;
    and, when a source nets on stored attribution, the paid orders' `by_rule` rows."""
    import ibis

    from kaohe.engine.attribution import BY_RULE

    request = Request(_restricted(sources), (), period, {})  # the grains' message scope
    evaluator = Evaluator(store.ibis(), request, pool=pool)
    out: dict[str, tuple[str, str]] = {}
    for key, parts in row_sets().items():
        bp, source = key
        if source not in sources:
            continue
        rel = evaluator.source(bp, source, parts[0][2])
        read: set[str] = set()
        for _, part, params in parts:
            fields = part.agg(rel, params).op().find(ops.Field)
            read |= {f.name for f in fields if f.rel == rel.op()}
        columns = [*ROW_KEYS, *sorted(read - set(ROW_KEYS))]
        rows = rel.filter(rel.day.isin(days)).select(*columns)
        out[row_table(key)] = (",".join(columns), str(ibis.to_sql(rows, dialect="duckdb")))
    if any(SOURCES[s].net_tables for s in sources if s in SOURCES):
        defaults = {source_key(NET_SOURCE, p): p for p in map(default_params, _fact_metrics())}
        for (bp, skey), table in attribution_sets().items():
            a = evaluator.blocks(bp).get(NET_SOURCE, defaults[skey])
            a = a.filter(a.paid_time.notnull()).mutate(day=a.paid_time.date())
            by_day = a.filter(a.day.isin(days)).select(*BY_RULE, "day")
            out[table] = (",".join([*BY_RULE, "day"]), str(ibis.to_sql(by_day, dialect="duckdb")))
    return out


def _write_row_sets(con: Any, queries: dict[str, tuple[str, str]], days: list[date]) -> None:
    """Replace the rows of `days` in each row table. A table new to the store (or whose
    columns changed) holds only these days: every other day's facts are then recomputed."""
    registered = dict(con.execute("SELECT tbl, columns FROM metric_fact_row_sets").fetchall())
    known = {row_table(key) for key in row_sets()} | set(attribution_sets().values())
    for table in set(registered) - known:  # row sets no metric reads any more
        con.execute(f'DROP TABLE IF EXISTS "{table}"')
        con.execute("DELETE FROM metric_fact_row_sets WHERE tbl = ?", [table])
    for table, (columns, sql) in queries.items():
        if registered.get(table) != columns:
            con.execute(f'DROP TABLE IF EXISTS "{table}"')
            con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM ({sql}) LIMIT 0')
            con.execute("DELETE FROM metric_fact_row_sets WHERE tbl = ?", [table])
            con.execute("INSERT INTO metric_fact_row_sets VALUES (?, ?)", [table, columns])
            con.execute("DELETE FROM metric_facts_days")
        con.execute(f'DELETE FROM "{table}" WHERE day IN (SELECT unnest(?))', [days])
        con.execute(f'INSERT INTO "{table}" SELECT * FROM ({sql})')


def _fact_metrics() -> list[Metric]:
    """The metrics the facts keep: those with an additive part or a part on stored rows."""
    return [
        m
        for m in all_metrics()
        if any(p.combine for p in m.parts_for(m.params)) or row_parts(m, default_params(m))
    ]


FACT_COLUMNS = ("grain", "agent", "shop", "platform", "day", "metric", "part", "combine", "value")


def _as_arrow(rows: list[list[Any]]) -> Any:
    """The fact rows as an Arrow table: one bulk insert instead of a statement per row."""
    import pyarrow as pa

    columns = list(zip(*rows, strict=True))
    types = [pa.string()] * 4 + [pa.date32()] + [pa.string()] * 3 + [pa.float64()]
    return pa.table(
        {
            name: pa.array(col, type=kind)
            for name, col, kind in zip(FACT_COLUMNS, columns, types, strict=True)
        }
    )


def _grain_rows(
    store: Store,
    grain: str,
    period: Period,
    days: list[date],
    pool: BlockPool | None,
    metrics: list[Metric],
    stored: dict[BlockParams, dict[tuple[Any, ...], str]] | None = None,
) -> list[list[Any]]:
    request = Request(metrics, GRAINS[grain], period, {})
    evaluator = Evaluator(store.ibis(), request, pool=pool, stored=stored)
    try:
        parts = evaluator.evaluate(only="additive")
    finally:
        evaluator.close()
    keep = set(days)
    combine = {(m.id, p.name): p.combine for m in metrics for p in m.parts_for(m.params)}
    out = []
    for key, by_metric in parts.items():
        named = dict(zip(GRAINS[grain], key, strict=True))
        if named["day"] not in keep:
            continue
        for metric_id, values in by_metric.items():
            for part, value in values.items():
                out.append(
                    [
                        grain,
                        named.get("agent"),
                        named.get("shop"),
                        named.get("platform"),
                        named["day"],
                        metric_id,
                        part,
                        combine[(metric_id, part)],
                        None if value is None else float(value),
                    ]
                )
    return out


def _from_facts(metric: Metric, request: Request) -> bool:
    params = request.params(metric)
    defaults = request.__class__([metric], (), None, {}).params(metric)
    return metric.additive(params) and params == defaults


def _from_rows(metric: Metric, request: Request) -> bool:
    """Whether the metric is served by the facts and stored rows: default parameters, every
    part additive or over a stored row set, one at least."""
    params = request.params(metric)
    if params != default_params(metric):
        return False
    rows = row_parts(metric, params)
    return bool(rows) and all(p.combine is not None or p in rows for p in metric.parts_for(params))


def _row_keys(metric: Metric, params: dict[str, Any]) -> list[RowSetKey]:
    bp = BlockParams.from_params(params)
    return [(bp, part.source) for part in row_parts(metric, params)]


def answer(store: Store, request: Request, use_facts: bool = True) -> list[dict[str, Any]]:
    """The request's rows, from the facts (and stored rows) where possible, the rest on
    demand."""
    grain = SERVES.get(frozenset(request.by))
    if request.agents and grain != "agent":
        grain = None
    cached = [m for m in request.metrics if _from_facts(m, request)] if use_facts else []
    stored = [m for m in request.metrics if use_facts and _from_rows(m, request)]
    if grain is None or not (cached or stored) or not _writable_fresh(store, request.period):
        return run(store.ibis(), request)
    tables = _row_tables(store)
    stored = [
        m for m in stored if all(row_table(k) in tables for k in _row_keys(m, request.params(m)))
    ]
    other = [m for m in request.metrics if m not in cached and m not in stored]
    parts = _read(store, grain, request, [m.id for m in cached + stored])
    if not other and not stored:
        return finish(request, parts)
    evaluator = Evaluator(store.ibis(), request)
    try:
        found = _stored_row_parts(evaluator, stored)
        if other:
            found.append(evaluator.evaluate(other))
        for computed in found:
            for key, values in computed.items():
                for metric_id, metric_parts in values.items():
                    parts.setdefault(key, {}).setdefault(metric_id, {}).update(metric_parts)
    finally:
        evaluator.close()
    return finish(request, parts)


def _row_tables(store: Store) -> set[str]:
    """The row tables the store holds (none in a store opened read-only before schema 22)."""
    known = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'metric_fact_row_sets'"
    ).fetchone()
    if not known or not known[0]:
        return set()
    return {t for (t,) in store.con.execute("SELECT tbl FROM metric_fact_row_sets").fetchall()}


def _stored_row_parts(
    evaluator: Evaluator, metrics: list[Metric]
) -> list[dict[GroupKey, dict[str, dict[str, Any]]]]:
    """The row parts of `metrics` (medians, P90s) over their stored rows: the request's
    filters and the part's own aggregate, on the rows the block would hold."""
    request = evaluator.req
    sets: dict[RowSetKey, list[RowPart]] = defaultdict(list)
    for metric in metrics:
        params = request.params(metric)
        for part in row_parts(metric, params):
            sets[(BlockParams.from_params(params), part.source)].append((metric.id, part, params))
    out = []
    for key, parts in sets.items():
        rel = evaluator.scope(evaluator.con.table(row_table(key)))
        found: dict[GroupKey, dict[str, dict[str, Any]]] = defaultdict(dict)
        for group, values in evaluator.aggregate(rel, "row", parts):
            for (metric_id, part, _), value in zip(parts, values, strict=True):
                found[group].setdefault(metric_id, {})[part.name] = value
        out.append(dict(found))
    return out


def answer_parts(
    store: Store,
    request: Request,
) -> dict[GroupKey, dict[str, dict[str, Any]]] | None:
    """The parts (not the values) of every metric of the request from the facts — what a
    caller needs to sum days into weeks or project a running cycle — or None when the facts
    cannot serve them all (a grouping they do not keep, overridden parameters, medians)."""
    grain = SERVES.get(frozenset(request.by))
    if grain is None or request.agents:
        return None
    if not all(_from_facts(m, request) for m in request.metrics):
        return None
    if not _writable_fresh(store, request.period):
        return None
    return _read(store, grain, request, [m.id for m in request.metrics])


def _writable_fresh(store: Store, period: Period | None) -> bool:
    """Bring the facts of the period up to date; False when the store cannot be written. A
    connection that must not write (a reader of the web server) has `defer_facts`: stale
    facts are handed to it (the server's writer refreshes them) and answered on demand."""
    defer = getattr(store, "defer_facts", None)
    if defer is not None:
        if stale_days(store, period):
            defer()
            return False
        return True
    try:
        if stale_days(store, period):
            # one writer at a time; another thread may have refreshed them while we waited
            with getattr(store, "writing", nullcontext)():
                refresh_stale(store, period)
    except Exception as exc:  # noqa: BLE001 - a read-only store answers on demand
        if "read-only" in str(exc).lower() or "read only" in str(exc).lower():
            return False
        raise
    return True


def _read(
    store: Store, grain: str, request: Request, metric_ids: list[str]
) -> dict[GroupKey, dict[str, dict[str, Any]]]:
    keys = list(request.by)
    cols = ", ".join(CALENDAR_SQL.get(k, k) for k in keys)
    where = ["grain = ?", f"metric IN ({', '.join('?' * len(metric_ids))})"]
    args: list[Any] = [grain, *metric_ids]
    if request.period is not None:
        where.append("day BETWEEN ? AND ?")
        args += [request.period.start, request.period.end]
    if request.agents:
        where.append(f"agent IN ({', '.join('?' * len(request.agents))})")
        args += list(request.agents)
    sql = (
        f"SELECT {cols + ', ' if cols else ''}metric, part, "
        "CASE WHEN any_value(combine) = 'max' THEN max(value) ELSE sum(value) END "
        f"FROM metric_facts WHERE {' AND '.join(where)} "
        f"GROUP BY {cols + ', ' if cols else ''}metric, part"
    )
    out: dict[GroupKey, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
    for row in store.con.execute(sql, args).fetchall():
        key, (metric, part, value) = tuple(row[: len(keys)]), row[len(keys) :]
        out[key][metric][part] = value
    return out
