"""Results the pages compute on demand (a team's totals, the platform checks), kept per data
version: any import, QA run or review changes the version and empties the cache. Values of a
period that is still running are also kept per hour (projections move with the clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from fastapi import Request

T = TypeVar("T")
MAX_ENTRIES = 64


def data_version(st: Any) -> tuple[Any, ...]:
    """Changes whenever an import, a QA run or a review changes what the pages read."""
    return st.con.execute(
        "SELECT (SELECT max(import_id) FROM import_log), (SELECT count(*) FROM qa_findings), "
        "(SELECT max(found_at) FROM qa_findings), (SELECT count(*) FROM qa_reviews), "
        "(SELECT count(*) FROM qa_review_scores)"
    ).fetchone()


def cached(
    request: Request, st: Any, key: tuple[Any, ...], period_end: date, compute: Callable[[], T]
) -> T:
    """compute() once per key and data version (and hour, while the period runs)."""
    state = request.app.state
    if not hasattr(state, "results_cache"):
        state.results_cache = {}
    cache: dict[tuple[Any, ...], Any] = state.results_cache
    version = data_version(st)
    hour = datetime.now().strftime("%Y-%m-%d %H") if period_end >= date.today() else None
    full = (key, version, hour)
    if full not in cache:
        for stale in [k for k in cache if k[1:] != (version, hour)]:
            del cache[stale]
        while len(cache) >= MAX_ENTRIES:
            del cache[next(iter(cache))]
        cache[full] = compute()
    return cache[full]


def warm(app: Any) -> None:
    """Compute the default period's platform checks before the first visitor asks (seconds
    on a large store); requests meanwhile wait on the store lock as usual."""
    from types import SimpleNamespace

    from kaohe.web.deps import default_period
    from kaohe.web.pages.overview import cached_checks

    with app.state.store_lock:
        st = app.state.store
        cached_checks(SimpleNamespace(app=app), st, default_period(st))  # type: ignore[arg-type]
