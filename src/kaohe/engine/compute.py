"""Compile registered metrics into grouped Ibis queries and evaluate them on any backend."""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import ibis.expr.operations as ops
import ibis.expr.types as ir

from kaohe.engine import blocks as B
from kaohe.engine.params import BlockParams, resolve
from kaohe.engine.periods import Period
from kaohe.engine.registry import SOURCES, Metric, Part, select
from kaohe.errors import UsageError

GROUP_KEYS = (
    "agent",
    "team",
    "shop",
    "platform",
    "day",
    "week",
    "month",
    "rule",
    "lead",
    "handler",
)
# keys only some sources carry (the alert handling source: its rule, its team's lead and who
# acknowledged it); a metric whose source lacks one cannot be grouped by it
SOURCE_KEYS = ("rule", "lead", "handler")
# calendar keys derived from a row's day: (truncation unit, label of the bucket's first day),
# labelled as kaohe.engine.periods writes periods (2026-10, 2026-W44)
CALENDAR_KEYS = {
    "month": ("M", lambda d: f"{d:%Y-%m}"),
    "week": ("W", lambda d: "{}-W{:02d}".format(*d.isocalendar()[:2])),
}
BUYER_DAY = ("shop", "buyer", "day")
THREAD_NAMES = ("shop", "buyer", "platform")  # what `dress` joins back from a thread number
Row = dict[str, Any]
GroupKey = tuple[Any, ...]


def source_key(name: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
    """The cache key of a registered source: its name and the parameters that shape it."""
    if name not in SOURCES:
        return (name,)
    return (name, *(_hashable(params.get(k)) for k in SOURCES[name].params))


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def parse_by(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if by is None:
        return ("agent",)
    items = [b.strip() for b in (by.split(",") if isinstance(by, str) else by) if b.strip()]
    if items in ([], ["all"]):
        return ()
    unknown = [b for b in items if b not in GROUP_KEYS]
    if unknown:
        raise UsageError(f"unknown --by {unknown} (use {', '.join(GROUP_KEYS)}, all)")
    return tuple(dict.fromkeys(items))


def shared_key(bp: BlockParams) -> tuple[Any, ...]:
    """Blocks whose parameters differ only in the session gap share the assigned messages."""
    return (
        bp.exclude_buyers,
        bp.auto_reply_counts,
        bool(bp.ad_patterns),
        bp.reply_horizon_ms,
        bp.exclude_ad_sessions,
    )


@dataclass
class Blocks:
    """The building blocks for one set of block parameters, built lazily and cached."""

    con: Any
    bp: BlockParams
    window: tuple[date, date] | None
    cache: bool = True
    _built: dict[str, ir.Table] = field(default_factory=dict)
    temps: list[str] = field(default_factory=list)
    cached: list[ir.Table] = field(default_factory=list)
    shared: dict[Any, ir.Table] = field(default_factory=dict)  # assigned messages
    scope_days: int = 0  # messages loaded this many days beyond the window, either side
    carry: tuple[tuple[str, str], ...] = ()  # message columns the assigned rows keep (name, column)
    # registered sources served from rows the facts stored (source_key -> store table with a
    # `day` column): a facts refresh netting refunds reads the stored per-order attribution
    stored: Mapping[tuple[Any, ...], str] = field(default_factory=dict)

    def _keep(self, t: ir.Table) -> ir.Table:
        """Materialise a block that several queries read. On DuckDB a plain (not TEMP) table,
        dropped afterwards: it lives in the store's buffer pool and can be evicted to disk
        under a memory limit, where a TEMP table cannot. On a server's reader
        (`kaohe_temp_blocks`, kaohe.store.Store.reader) a TEMP table: a reader never writes the
        database file (a CREATE TABLE there beside the writer's facts refresh spun DuckDB)."""
        if not self.cache:
            return t
        if getattr(self.con, "name", "") != "duckdb":
            cached = t.cache()
            self.cached.append(cached)
            return cached
        name = f"_kaohe_tmp_{uuid.uuid4().hex[:12]}"
        temp = bool(getattr(self.con, "kaohe_temp_blocks", False))
        kept = self.con.create_table(name, t, temp=temp)
        self.temps.append(name)
        return kept if temp else self.con.table(name)

    def close(self) -> None:
        for cached in self.cached:
            cached.release()
        self.cached.clear()
        for name in self.temps:
            self.con.con.execute(f'DROP TABLE IF EXISTS "{name}"')
        self.temps.clear()

    def get(
        self, name: str, params: Mapping[str, Any] | None = None, thread_names: bool = True
    ) -> ir.Table:
        """A message block by name, with its names (shop, buyer, platform, agent) joined
        back — only the agent's without `thread_names` — or a registered source built for
        `params`."""
        if name in SOURCES:
            source = SOURCES[name]
            key = source_key(name, params or {})
            if key not in self._built:
                self._built[key] = source.build(self, params or {})
            return self._built[key]
        dressed = ("dressed", name, thread_names)
        if dressed not in self._built:
            threads, agents = self.dims()
            self._built[dressed] = B.dress(
                self.block(name), threads if thread_names else None, agents
            )
        return self._built[dressed]

    def block(self, name: str) -> ir.Table:
        """A message block as the engine builds it: numbers and flags, no names."""
        if name not in self._built:
            self._built[name] = getattr(self, f"_{name}")()
        return self._built[name]

    def table(self, name: str) -> ir.Table:
        """A store table, as the backend sees it."""
        return self.con.table(name)

    def stored_rows(self, name: str, params: Mapping[str, Any]) -> ir.Table | None:
        """The stored rows standing for source `name` over the window's days, if any."""
        table = self.stored.get(source_key(name, params))
        if table is None:
            return None
        t = self.con.table(table)
        return t.filter(t.day.between(*self.window)) if self.window is not None else t

    def keep(self, t: ir.Table) -> ir.Table:
        """Materialise a table several parts read (a registered source may call this)."""
        return self._keep(t)

    def _key(self) -> tuple[Any, ...]:
        return (*shared_key(self.bp), self.carry)

    def _scoped(self) -> _Scoped:
        return _Scoped(self.con, self.window, self.bp.reply_horizon_ms, self.scope_days)

    def dims(self) -> tuple[ir.Table, ir.Table]:
        """The numbered threads and agents (small; shared by blocks of the same filter)."""
        key = (
            "dims",
            self.bp.exclude_buyers,
            self.bp.exclude_ad_sessions,
            self.bp.reply_horizon_ms,
            self.scope_days,
        )
        if key not in self.shared:
            threads, agents = B.dimensions(
                self._scoped(), self.bp.exclude_buyers, self.bp.exclude_ad_sessions
            )
            self.shared[key] = (self._keep(threads), self._keep(agents))  # type: ignore
        return self.shared[key]  # type: ignore[return-value]

    def _assigned(self) -> ir.Table:
        key = self._key()
        if key not in self.shared:
            threads, agents = self.dims()
            base = B.assigned_base(
                self._scoped(),
                threads,
                agents,
                self.bp.exclude_buyers,
                key[2],
                self.bp.reply_horizon_ms,
                self.bp.auto_reply_counts,
                self.bp.exclude_ad_sessions,
                self.carry,
            )
            self.shared[key] = self._keep(B.assigned(base))
        return self.shared[key]

    def _thread(self) -> ir.Table:
        t = B.thread(self.block("assigned"), self.bp)
        return self._keep(t) if self.bp.ad_patterns else t

    def _round_base(self) -> tuple[Any, ...]:
        """Rounds do not depend on the session gap: shared unless the ad filter (which works
        on sessions) removed messages."""
        key = (
            "rounds",
            *self._key(),
            self.bp.ad_patterns,
            self.bp.session_gap_ms if self.bp.ad_patterns else None,
        )
        if key not in self.shared:
            source = self.block("thread") if self.bp.ad_patterns else self.block("assigned")
            started, replies, handoffs = B.round_messages(source, self.bp.reply_horizon_ms)
            started = B.split_long_runs(
                self._keep(started), self.bp.reply_horizon_ms, self._keep if self.cache else None
            )
            r = self._keep(B.rounds(started, replies, handoffs, self.bp.reply_horizon_ms))
            self.shared[key] = (started, r)  # type: ignore[assignment]
        return self.shared[key]  # type: ignore[return-value]

    def _buyer_messages(self) -> ir.Table:
        m = self.block("thread")
        return m.filter(m.is_buyer)

    def _replies(self) -> ir.Table:
        m = self.block("thread")
        return m.filter(m.is_reply)

    def _started(self) -> ir.Table:
        return self._round_base()[0]

    def _rounds(self) -> ir.Table:
        return self._round_base()[1]

    def _sessions(self) -> ir.Table:
        return self._keep(B.sessions(self.block("thread"), self.bp.session_gap_ms))

    def _first_rounds(self) -> ir.Table:
        return B.first_rounds(self.block("sessions"), self.block("started"), self.block("rounds"))

    def _transfers_in(self) -> ir.Table:
        return self._keep(B.transfers(self.block("thread"), self.bp.session_gap_ms))

    def _transfers_out(self) -> ir.Table:
        t = self.block("transfers_in")
        return t.mutate(aid=t.from_aid, from_aid=t.aid)

    def _concurrency(self) -> ir.Table:
        return B.concurrency(self.block("sessions"))


class _Scoped:
    """A connection whose `messages` only holds the days a period needs (plus margins)."""

    def __init__(
        self, con: Any, window: tuple[date, date] | None, horizon_ms: int, extra_days: int = 0
    ) -> None:
        self.con, self.window, self.horizon_ms = con, window, horizon_ms
        self.extra_days = extra_days

    def table(self, name: str) -> ir.Table:
        t = self.con.table(name)
        if name != "messages" or self.window is None:
            return t
        margin = timedelta(milliseconds=self.horizon_ms) + timedelta(days=1 + self.extra_days)
        lo = datetime.combine(self.window[0], datetime.min.time()) - margin
        hi = datetime.combine(self.window[1], datetime.min.time()) + margin + timedelta(days=1)
        return t.filter((t.time >= lo) & (t.time < hi))


def scope_days(request: Request) -> int:
    """The most days of messages beyond the period any requested source needs."""
    days = [0]
    for metric in request.metrics:
        params = request.params(metric)
        for part in metric.parts_for(params):
            source = SOURCES.get(part.source)
            if source is not None and source.scope_days is not None:
                days.append(source.scope_days(params))
    return max(days)


@dataclass
class Request:
    metrics: list[Metric]
    by: tuple[str, ...]
    period: Period | None
    overrides: Mapping[str, Any]
    agents: tuple[str, ...] | None = None

    def params(self, metric: Metric) -> dict[str, Any]:
        return resolve(metric.id, metric.params, metric.fixed, self.overrides)


class BlockPool:
    """Blocks shared by several evaluators (e.g. every check of a compliance run): evaluators
    over the same window and message scope reuse each other's materialised blocks. The pool's
    owner closes it; the evaluators leave the blocks alone."""

    def __init__(self) -> None:
        self._by_scope: dict[Any, tuple[dict[BlockParams, Blocks], dict[Any, ir.Table]]] = {}

    def for_scope(self, key: Any) -> tuple[dict[BlockParams, Blocks], dict[Any, ir.Table]]:
        return self._by_scope.setdefault(key, ({}, {}))

    def close(self) -> None:
        for blocks, _ in self._by_scope.values():
            for block in blocks.values():
                block.close()
        self._by_scope.clear()


class Evaluator:
    """Evaluates parts for a request on one Ibis backend connection."""

    def __init__(
        self,
        con: Any,
        request: Request,
        cache: bool = True,
        pool: BlockPool | None = None,
        stored: Mapping[BlockParams, Mapping[tuple[Any, ...], str]] | None = None,
    ) -> None:
        self.con, self.req, self.cache = con, request, cache
        self._stored = stored or {}
        window = (request.period.start, request.period.end) if request.period else None
        self._window = window
        self._scope_days = scope_days(request)
        self._pooled = pool is not None
        self._blocks: dict[BlockParams, Blocks]
        self._shared: dict[Any, ir.Table]
        if pool is not None:
            self._blocks, self._shared = pool.for_scope((window, self._scope_days, cache))
        else:
            self._blocks, self._shared = {}, {}

    def close(self) -> None:
        if self._pooled:
            return
        for blocks in self._blocks.values():
            blocks.close()

    def blocks(self, bp: BlockParams) -> Blocks:
        if bp not in self._blocks:
            self._blocks[bp] = Blocks(
                self.con,
                bp,
                self._window,
                self.cache,
                shared=self._shared,
                scope_days=self._scope_days,
                stored=self._stored.get(bp, {}),
            )
        return self._blocks[bp]

    def source(
        self,
        bp: BlockParams,
        name: str,
        params: Mapping[str, Any] | None = None,
        thread_names: bool = True,
    ) -> ir.Table:
        return self.scope(self.blocks(bp).get(name, params, thread_names))

    def scope(self, t: ir.Table) -> ir.Table:
        """A source table (with `day` and `agent`) as the request reads it: the period's days,
        the agents asked for (or only assigned rows when grouping by agent or team), the team
        and calendar keys added."""
        if self.req.period is not None:
            t = t.filter(t.day.between(self.req.period.start, self.req.period.end))
        if self.req.agents:
            t = t.filter(t.agent.isin(list(self.req.agents)))
        elif "agent" in self.req.by or ("team" in self.req.by and "team" not in t.columns):
            t = t.filter(t.agent.notnull())  # unassigned rows count for the shop only
        if "team" in self.req.by and "team" not in t.columns:  # a source may carry its own
            roster = self.con.table("agents").select("agent", "team")
            t = t.left_join(roster, "agent").select(*t.columns, "team")
        calendar = {
            k: t.day.truncate(CALENDAR_KEYS[k][0]) for k in self.req.by if k in CALENDAR_KEYS
        }
        return t.mutate(**calendar) if calendar else t

    def evaluate(
        self, metrics: Iterable[Metric] | None = None, only: str | None = None
    ) -> dict[GroupKey, dict[str, dict[str, Any]]]:
        """{group key: {metric id: {part name: value}}}; `only`: "additive" or "other"."""
        buckets: dict[tuple[BlockParams, tuple[Any, ...], str], list[tuple[str, Part, dict]]] = (
            defaultdict(list)
        )
        for metric in metrics if metrics is not None else self.req.metrics:
            params = self.req.params(metric)
            bp = BlockParams.from_params(params)
            for part in metric.parts_for(params):
                if only == "additive" and part.combine is None:
                    continue
                if only == "other" and part.combine is not None:
                    continue
                key = (bp, source_key(part.source, params), part.level)
                buckets[key].append((metric.id, part, params))
        out: dict[GroupKey, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
        for (bp, (source, *_), level), parts in buckets.items():
            rel = self.source(bp, source, parts[0][2])
            _check_source_keys(self.req.by, rel, parts)
            if source not in SOURCES and not self._reads_thread_names(rel, level, parts):
                rel = self.source(bp, source, parts[0][2], thread_names=False)
            for key, values in self.aggregate(rel, level, parts):
                for (metric_id, part, _), value in zip(parts, values, strict=True):
                    out[key][metric_id][part.name] = value
        return out

    def _reads_thread_names(
        self, rel: ir.Table, level: str, parts: list[tuple[str, Part, dict]]
    ) -> bool:
        """Whether grouping or any part reads shop, buyer or platform: if not, the message
        block skips the join that puts them back (the thread number stands for them)."""
        names = set(THREAD_NAMES)
        if names & set(self.req.by) or (level == "buyer_day" and "tid" not in rel.columns):
            return True
        for _, part, params in parts:
            fields = part.agg(rel, params).op().find(ops.Field)
            if names & {field.name for field in fields}:
                return True
        return False

    def aggregate(
        self, rel: ir.Table, level: str, parts: list[tuple[str, Part, dict]]
    ) -> list[tuple[GroupKey, list[Any]]]:
        """(group key, the parts' values) per group of the request, over `rel`."""
        keys = list(self.req.by)
        names = [f"p{i}" for i in range(len(parts))]
        if level == "buyer_day":
            # a thread number stands for its (shop, buyer): fewer, narrower keys
            buyer_day = ("tid", "day") if "tid" in rel.columns else BUYER_DAY
            inner = list(dict.fromkeys(keys + list(buyer_day)))
            flags = {
                n: part.agg(rel, params).fill_null(False).cast("int64").max()
                for n, (_, part, params) in zip(names, parts, strict=True)
            }
            rel = rel.group_by(inner).agg(**flags)
            aggs = {n: rel[n].sum() for n in names}
        else:
            aggs = {
                n: part.agg(rel, params) for n, (_, part, params) in zip(names, parts, strict=True)
            }
        expr = rel.group_by(keys).agg(**aggs) if keys else rel.agg(**aggs)
        rows = expr.to_pyarrow().to_pylist()
        return [(tuple(r[k] for k in keys), [_clean(r[n]) for n in names]) for r in rows]


def _check_source_keys(
    by: tuple[str, ...], rel: ir.Table, parts: list[tuple[str, Part, dict]]
) -> None:
    missing = [k for k in by if k in SOURCE_KEYS and k not in rel.columns]
    if missing:
        ids = ", ".join(dict.fromkeys(metric_id for metric_id, _, _ in parts))
        keys = ", ".join(missing)
        raise UsageError(
            f"指标 {ids} 不能按 {keys} 分组（只有预警处理指标可以） / metrics {ids} cannot be "
            f"grouped by {keys} (only the alert handling metrics can)"
        )


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def finish(
    request: Request,
    parts: Mapping[GroupKey, Mapping[str, Mapping[str, Any]]],
) -> list[Row]:
    """Apply each metric's formula to its parts; one output row per group."""
    keys = set(parts)
    if request.agents and request.by == ("agent",):
        keys |= {(a,) for a in request.agents}
    if not request.by:
        keys |= {()}
    rows: list[Row] = []
    for key in sorted(keys, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        row: Row = {k: _key_value(k, v) for k, v in zip(request.by, key, strict=True)}
        for metric in request.metrics:
            got = parts.get(key, {}).get(metric.id, {})
            row[metric.id] = metric.value(got, request.params(metric))
        rows.append(row)
    return rows


def _key_value(key: str, value: Any) -> Any:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return CALENDAR_KEYS[key][1](value) if key in CALENDAR_KEYS else value.isoformat()
    return value


def run(con: Any, request: Request, cache: bool = True) -> list[Row]:
    """Evaluate a request on an Ibis connection (DuckDB or PySpark)."""
    evaluator = Evaluator(con, request, cache)
    try:
        return finish(request, evaluator.evaluate())
    finally:
        evaluator.close()


def make_request(
    by: str | Sequence[str] | None = ("agent",),
    period: Period | None = None,
    metrics: Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
    agents: Sequence[str] | None = None,
) -> Request:
    return Request(
        select(list(metrics) if metrics else None),
        parse_by(by),
        period,
        dict(params or {}),
        tuple(agents) if agents else None,
    )
