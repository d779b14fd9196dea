"""Results the pages compute on demand (a team's totals, the platform checks, an agent's page,
a conversation), kept per data version: any import, QA run or review changes the version and
empties the cache. Values of a period that is still running are also kept per hour
(projections move with the clock).

Requests run on many threads at once: the cache is locked, and a value being computed is
computed once — other requests for the same key wait for it instead of computing it again
(after an import, fifty visitors of the overview cost one computation, not fifty)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from datetime import date, datetime
from typing import Any, TypeVar

from fastapi import Request

T = TypeVar("T")
MAX_ENTRIES = 256


def data_version(st: Any) -> tuple[Any, ...]:
    """Changes whenever an import, a QA run or a review changes what the pages read."""
    return st.con.execute(
        "SELECT (SELECT max(import_id) FROM import_log), (SELECT count(*) FROM qa_findings), "
        "(SELECT max(found_at) FROM qa_findings), (SELECT count(*) FROM qa_reviews), "
        "(SELECT count(*) FROM qa_review_scores)"
    ).fetchone()


class ResultCache:
    """Values per (key, version), at most MAX_ENTRIES (least recently used go first); a new
    version drops every value of the older ones."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._values: OrderedDict[tuple[Any, ...], Future[Any]] = OrderedDict()
        self._version: Any = None
        self._max = max_entries

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Any:
        with self._lock:
            return iter(list(self._values))

    def get(self, key: tuple[Any, ...], version: Any, compute: Callable[[], T]) -> T:
        with self._lock:
            if version != self._version:
                self._values.clear()
                self._version = version
            future = self._values.get(key)
            mine = future is None
            if mine:
                future = Future()
                self._values[key] = future
                while len(self._values) > self._max:
                    self._values.popitem(last=False)
            else:
                self._values.move_to_end(key)
        assert future is not None
        if not mine:
            return future.result()
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                if self._values.get(key) is future:
                    del self._values[key]  # an error is not kept: the next request tries again
            future.set_exception(exc)
            raise
        future.set_result(value)
        return value


def results_cache(app: Any) -> ResultCache:
    state = app.state
    cache = getattr(state, "results_cache", None)
    if not isinstance(cache, ResultCache):
        cache = state.results_cache = ResultCache()
    return cache


def cached(
    request: Request, st: Any, key: tuple[Any, ...], period_end: date, compute: Callable[[], T]
) -> T:
    """compute() once per key and data version (and hour, while the period runs)."""
    hour = datetime.now().strftime("%Y-%m-%d %H") if period_end >= date.today() else None
    return results_cache(request.app).get((key, hour), data_version(st), compute)
