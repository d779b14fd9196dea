"""Per-day facts: the additive parts of every metric per agent-day and per shop-day.

`refresh_facts(store, days)` recomputes only the given days (each widened by one day either
side, since a round can be answered after midnight); `answer()` serves a request from the
facts when every needed part is additive and computed with default parameters, refreshing
stale days first (a day is stale when its message count changed since it was computed), and
computes the rest on demand (medians, P90, team grouping, overridden parameters).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from contextlib import nullcontext
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from kaohe.engine.compute import Evaluator, GroupKey, Request, finish, run
from kaohe.engine.periods import Period
from kaohe.engine.registry import SOURCES, Metric, all_metrics

if TYPE_CHECKING:
    from kaohe.store import Store

FACTS_VERSION = "2"  # raise when a definition changes: stored facts are recomputed
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


def margins() -> dict[str, int]:
    """Each watched table with the days a change on one of its days can move metric values
    (a reply is credited to orders paid days later, a refund nets a sale days before)."""
    # only the sources behind additive parts feed the facts: a live source (alerts, changed
    # after their day by an acknowledgement) is read on every request and not watched
    kept = {p.source for m in all_metrics() for p in m.parts_for(m.params) if p.combine}
    out = {"messages": 1}
    for source in SOURCES.values():
        if source.name not in kept:
            continue
        for table in source.tables:
            out[table] = max(out.get(table, 1), source.margin_days or 1)
    out["qa_findings"] = out["messages"]  # ad/spam findings take sessions out of every metric
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


def stale_days(store: Store, period: Period | None = None) -> list[date]:
    """Days whose facts must be (re)computed: every day within a table's margin of a day
    whose rows changed since the last refresh; and, within the period, days never computed
    or computed by other metric definitions."""
    current, stored = signatures(store), _stored_signatures(store)
    reach = margins()
    data_days = _data_days(current)
    stale: set[date] = set()
    for key in set(current) | set(stored):
        if current.get(key) == stored.get(key):
            continue
        table, day = key
        if day is None or table not in reach:
            # (a row naming no watched table was seen once under concurrent refresh and
            # reads — a mangled string; recomputing everything is the safe answer)
            stale |= data_days
        else:
            stale |= {day + timedelta(days=k) for k in range(-reach[table], reach[table] + 1)}
    done = dict(store.con.execute("SELECT day, fingerprint FROM metric_facts_days").fetchall())
    fp = fingerprint()
    stale |= {d for d in data_days if done.get(d) != fp}
    if period is not None:
        wide = max(reach.values())
        lo, hi = period.start - timedelta(days=wide), period.end + timedelta(days=wide)
        changed = {d for d in stale if d in done}  # rows changed under computed facts
        stale = {d for d in stale if lo <= d <= hi} | changed
    return sorted(d for d in stale if d in data_days or d in done)


def refresh_facts(store: Store, days: Iterable[date] | None = None) -> list[date]:
    """Recompute the facts of `days` (None: every day with data); returns the days
    rewritten."""
    current = signatures(store)
    wanted = set(days) if days is not None else _data_days(current)
    if not wanted:
        return []
    widened = sorted({d + timedelta(days=k) for d in wanted for k in (-1, 0, 1)})
    period = Period(widened[0], widened[-1], "facts")
    counts = _message_days(store, period)
    rows = [row for grain in GRAINS for row in _grain_rows(store, grain, period, widened)]
    with store.transaction() as con:
        con.execute("DELETE FROM metric_facts WHERE day IN (SELECT unnest(?))", [widened])
        con.execute("DELETE FROM metric_facts_days WHERE day IN (SELECT unnest(?))", [widened])
        if rows:
            con.register("_kaohe_new_facts", _as_arrow(rows))
            try:
                con.execute("INSERT INTO metric_facts SELECT * FROM _kaohe_new_facts")
            finally:
                con.unregister("_kaohe_new_facts")
        fp = fingerprint()
        con.executemany(
            "INSERT INTO metric_facts_days VALUES (?, ?, ?)",
            [[d, counts.get(d, 0), fp] for d in widened],
        )
        con.execute("DELETE FROM metric_facts_sources")
        con.executemany(
            "INSERT INTO metric_facts_sources VALUES (?, ?, ?, ?)",
            [[t, d, n, c] for (t, d), (n, c) in current.items()],
        )
    return widened


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


def _grain_rows(store: Store, grain: str, period: Period, days: list[date]) -> list[list[Any]]:
    metrics = [m for m in all_metrics() if any(p.combine for p in m.parts_for(m.params))]
    request = Request(metrics, GRAINS[grain], period, {})
    evaluator = Evaluator(store.ibis(), request)
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


def answer(store: Store, request: Request, use_facts: bool = True) -> list[dict[str, Any]]:
    """The request's rows, from the facts where possible, the rest on demand."""
    grain = SERVES.get(frozenset(request.by))
    if request.agents and grain != "agent":
        grain = None
    cached = [m for m in request.metrics if _from_facts(m, request)] if use_facts else []
    if grain is None or not cached or not _writable_fresh(store, request.period):
        return run(store.ibis(), request)
    other = [m for m in request.metrics if m not in cached]
    parts = _read(store, grain, request, [m.id for m in cached])
    if other:
        evaluator = Evaluator(store.ibis(), request)
        try:
            for key, values in evaluator.evaluate(other).items():
                parts.setdefault(key, {}).update(values)
        finally:
            evaluator.close()
    return finish(request, parts)


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
                stale = stale_days(store, period)
                if stale:
                    refresh_facts(store, stale)
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
