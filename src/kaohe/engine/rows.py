"""The rows a metric's part flags: the rounds a response metric counts as late, the ratings
`bad_ratings` counts as bad. Read from the part's own source with the part's own row flag, so
whoever lists "the rows behind" a metric (alerts, drill-downs) uses the metric's definition
rather than a copy of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kaohe.engine.compute import BlockPool, Evaluator, make_request
from kaohe.engine.params import BlockParams
from kaohe.engine.periods import Period
from kaohe.engine.registry import get

if TYPE_CHECKING:
    from kaohe.store import Store


def part_params(metric_id: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The metric's parameters as the engine resolves them (defaults, globals, overrides)."""
    metric = get(metric_id)
    return make_request((), None, [metric_id], overrides).params(metric)


def flagged_rows(
    store: Store,
    metric_id: str,
    part: str,
    period: Period,
    columns: Sequence[str],
    minus: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    pool: BlockPool | None = None,
) -> list[dict[str, Any]]:
    """The rows of `part`'s source in the period flagged by the part (and not by `minus`),
    with the given columns (those the source has). With a `pool`, callers reading several
    metrics over the same days share the engine's materialised blocks (the pool's owner
    closes it)."""
    metric = get(metric_id)
    request = make_request(("shop",), period, [metric_id], overrides)
    params = request.params(metric)
    parts = {p.name: p for p in metric.parts_for(params)}
    flag_of = parts[part].row_value()
    if flag_of is None:
        raise ValueError(f"{metric_id}.{part} has no per-row flag")
    evaluator = Evaluator(store.ibis(), request, cache=pool is not None, pool=pool)
    try:
        t = evaluator.source(BlockParams.from_params(params), parts[part].source, params)
        flag = flag_of(t, params).fill_null(False)
        if minus:
            other = parts[minus].row_value()
            assert other is not None
            flag = flag & ~other(t, params).fill_null(False)
        keep = [c for c in columns if c in t.columns]
        return t.filter(flag).select(*keep).to_pyarrow().to_pylist()
    finally:
        evaluator.close()
