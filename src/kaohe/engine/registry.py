"""The metric registry: every metric declared once, as data (spec: metrics.md).

A metric names its parts — Ibis aggregates over one building block — and a formula that
combines the parts. Additive parts (sums, counts, buyer-days, maxima) are what the facts
table stores per agent-day and shop-day; a part with `combine=None` (median, P90) is always
computed from the block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from kaohe.errors import UsageError
from kaohe.units import Unit, check_unit

# the message blocks built by compute.Blocks; other sources are registered with
# register_source by the metric family that needs them
MESSAGE_SOURCES = (
    "buyer_messages",
    "replies",
    "rounds",
    "sessions",
    "first_rounds",
    "transfers_out",
    "transfers_in",
    "concurrency",
)
Source = str
Direction = Literal["higher", "lower", "neutral"]  # which way a metric is better
Formula = Callable[[Mapping[str, Any], Mapping[str, Any]], Any]
Agg = Callable[[Any, Mapping[str, Any]], Any]  # (block table, params) -> ibis scalar


@dataclass(frozen=True)
class Part:
    """One aggregate of a metric over a block, per group.

    level="row": `agg` is an aggregate over the block's rows.
    level="buyer_day": `agg` is a boolean row flag; the part counts the group's distinct
    (shop, buyer, day) with the flag true on at least one row.
    """

    name: str
    source: Source
    agg: Agg
    level: Literal["row", "buyer_day"] = "row"
    combine: Literal["sum", "max"] | None = "sum"
    row: Agg | None = None  # the per-row value the aggregate sums or counts (for explain)

    def row_value(self) -> Agg | None:
        """What one source row contributes: a buyer-day part's flag, else `row`."""
        return self.agg if self.level == "buyer_day" else self.row


def counting(name: str, source: Source, cond: Agg, **kw: Any) -> Part:
    """A part counting the rows where `cond` holds."""
    return Part(
        name,
        source,
        lambda t, p: cond(t, p).fill_null(False).cast("int64").sum(),
        row=lambda t, p: cond(t, p).fill_null(False),
        **kw,
    )


def counting_rows(name: str, source: Source, **kw: Any) -> Part:
    """A part counting every row of its source (each row counts once)."""
    import ibis

    return Part(name, source, lambda t, p: t.count(), row=lambda t, p: ibis.literal(True), **kw)


def summing(name: str, source: Source, value: Agg, **kw: Any) -> Part:
    """A part summing `value` over the rows."""
    return Part(name, source, lambda t, p: value(t, p).sum(), row=value, **kw)


@dataclass(frozen=True)
class Metric:
    id: str
    zh: str
    en: str
    unit: Unit  # one of kaohe.units.UNITS (checked on registration)
    direction: Direction
    grain: str
    parts: tuple[Part, ...] | Callable[[Mapping[str, Any]], tuple[Part, ...]]
    value: Callable[[Mapping[str, Any], Mapping[str, Any]], Any]  # (parts, params) -> value
    formula: str
    params: Mapping[str, Any] = field(default_factory=dict)
    fixed: frozenset[str] = frozenset()  # parameters a named instance fixes
    source: str = "kaohe"
    section: str = "Reception and workload"
    base: str | None = None  # for named platform instances
    # a figure shops used to type in or the platform reports (JD 抽检, 改评数 …): where a
    # metric_values row gives it for the subject and period, that row wins over kaohe's own
    imported_first: bool = False
    # the formula in words (issue 19.5), put on by `register` from kaohe.engine.words
    words: str = ""
    words_en: str = ""

    def __post_init__(self) -> None:
        check_unit(self.unit, f"metric {self.id}")

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def in_words(self, lang: str = "zh") -> str:
        """The formula in words, after the metric's name: 回复率 = 接待人数 ÷ 咨询人数."""
        words = self.words_en if lang == "en" else self.words
        return f"{self.label(lang)} = {words}" if words else ""

    def parts_for(self, params: Mapping[str, Any]) -> tuple[Part, ...]:
        return self.parts(params) if callable(self.parts) else self.parts

    def additive(self, params: Mapping[str, Any]) -> bool:
        return all(p.combine is not None for p in self.parts_for(params))


REGISTRY: dict[str, Metric] = {}


@dataclass(frozen=True)
class SourceDef:
    """A source other than the message blocks: a table with the columns `agent` (null for
    shop-level rows), `shop`, `platform`, `day` (and `buyer` for buyer-day parts).

    `build(blocks, params)` returns the Ibis table; `blocks` is a compute.Blocks, giving
    `blocks.table(name)` (a store table), `blocks.get(block)` (a message block),
    `blocks.window` (the period's first and last day, or None). `params` are the metric's
    resolved parameters; only those named in `params` shape the source (its cache key).
    `tables` are the store tables it reads (exported to Spark, watched by the facts)."""

    name: str
    build: Callable[[Any, Mapping[str, Any]], Any]
    params: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    margin_days: int = 0  # facts: a change on day d can move values up to this many days
    # the days of messages it needs beyond the period (either side), for its parameters
    scope_days: Callable[[Mapping[str, Any]], int] | None = None
    # (table, days) for a table whose change moves values less far than margin_days (messages
    # read only for a shop's platform, replies that credit orders a few days on)
    table_margins: tuple[tuple[str, int], ...] = ()
    # (table, days) for a table whose change on day d moves values at most this many days
    # *before* d (fewer than its margin): an order or a reply moves nothing dated before it
    # but the day before (a round or reception across midnight), a refund nets a payment
    # days before it. The facts refresh of a new last day reaches back only this far.
    table_back: tuple[tuple[str, int], ...] = ()
    # tables whose changes the facts apply to the stored per-order attribution (a refund nets
    # an order, a credit override re-credits it) without recomputing its touches
    net_tables: tuple[str, ...] = ()


SOURCES: dict[str, SourceDef] = {}


def register_source(source: SourceDef) -> None:
    if source.name in SOURCES or source.name in MESSAGE_SOURCES:
        raise ValueError(f"source {source.name} registered twice")
    SOURCES[source.name] = source


def register(*metrics: Metric) -> None:
    from kaohe.engine.words import WORDS

    for metric in metrics:
        if metric.id in REGISTRY:
            raise ValueError(f"metric {metric.id} registered twice")
        if metric.id in WORDS:
            zh, en = WORDS[metric.id]
            metric = replace(metric, words=zh, words_en=en)
        REGISTRY[metric.id] = metric


def instance(base: str, id: str, zh: str, en: str, source: str, **params: Any) -> Metric:
    """A named platform instance of a parametric metric, with its parameters fixed."""
    metric = REGISTRY[base]
    unknown = set(params) - set(metric.params) - {"session_gap"}
    if unknown:
        raise ValueError(f"{id}: {base} has no parameters {sorted(unknown)}")
    return replace(
        metric,
        id=id,
        zh=zh,
        en=en,
        source=source,
        base=base,
        params={**metric.params, **params},
        fixed=frozenset(params),
        section="Named platform instances",
    )


def find(metric_id: str) -> Metric | None:
    """The metric, or None for a name that is not one (a plan parameter, a roster column…):
    for callers that label any name a formula or rule reads; `get` for a metric required."""
    _load()
    return REGISTRY.get(metric_id)


def get(metric_id: str) -> Metric:
    _load()
    try:
        return REGISTRY[metric_id]
    except KeyError:
        from kaohe.suggest import unknown

        raise UsageError(
            unknown("指标", "metric", metric_id, REGISTRY) + " (docs/metrics.md lists them)"
        ) from None


SECTIONS = (
    "Reception and workload",
    "Response",
    "Named platform instances",
    "Sales, conversion and attribution",
    "Satisfaction",
    "Online time",
    "After-sales",
    "Quality",
    "Operations, complaints, call centre",
    "Alert handling",
)


def all_metrics() -> list[Metric]:
    """Every metric, in catalogue order (whichever family module was imported first)."""
    _load()
    rank = {s: i for i, s in enumerate(SECTIONS)}
    return sorted(REGISTRY.values(), key=lambda m: rank.get(m.section, len(SECTIONS)))


def select(ids: list[str] | tuple[str, ...] | None) -> list[Metric]:
    return all_metrics() if not ids else [get(i) for i in ids]


def _load() -> None:
    """Import every metric family (each registers its metrics on import; importing one
    family directly must not hide the others)."""
    import importlib

    for family in FAMILIES:
        importlib.import_module(f"kaohe.engine.{family}")


# metric families, one module each, registered in this order (docs/metrics.md follows it)
FAMILIES = (
    "workload",
    "response",
    "attribution",
    "sales",
    "satisfaction",
    "online",
    "aftersales",
    "quality",
    "operations",
    "fulfilment",
    "alerting",
)


# formulas --------------------------------------------------------------------------------


def ratio(num: str, den: str) -> Formula:
    def value(p: Mapping[str, Any], _: Mapping[str, Any]) -> Any:
        n, d = p.get(num), p.get(den)
        if d is None or d == 0 or n is None:
            return None
        return float(n) / float(d)

    return value


def count(name: str) -> Formula:
    def value(p: Mapping[str, Any], _: Mapping[str, Any]) -> Any:
        v = p.get(name)
        return 0 if v is None else int(v)

    return value


def difference(a: str, b: str) -> Formula:
    def value(p: Mapping[str, Any], _: Mapping[str, Any]) -> Any:
        return int(p.get(a) or 0) - int(p.get(b) or 0)

    return value


def direct(name: str) -> Formula:
    def value(p: Mapping[str, Any], _: Mapping[str, Any]) -> Any:
        v = p.get(name)
        return None if v is None else float(v)

    return value
