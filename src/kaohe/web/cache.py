"""Results the pages compute on demand (a team's totals, the platform checks, an agent's page,
a conversation), kept per data version: any import, QA run or review changes the version.
Values of a period that is still running are also kept per hour (projections move with the
clock).

Requests run on many threads at once: the cache is locked, and a value being computed is
computed once — other requests for the same key wait for it instead of computing it again
(after an import, fifty visitors of the overview cost one computation, not fifty).

While an import and the facts refresh after it run on the writer (`app.state.importing`),
nothing that has a value is recomputed: the values are served as they are, marked updating.

Stale while revalidating: when the version moves on (an import committed), the first request
for a key computes the new value, and every other request meanwhile gets the previous
version's value at once, marked as updating (`request.state.stale`; the page says so) instead
of waiting behind it. At most RECOMPUTING requests recompute at once: the rest are served the
previous value, so an import never leaves every reader busy recomputing."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Request

if TYPE_CHECKING:
    from kaohe.store import Store

T = TypeVar("T")
MAX_ENTRIES = 256
RECOMPUTING = 2  # requests recomputing newer versions at once (the read pool holds 4)
_NOTHING = object()


def data_version(st: Store) -> tuple[Any, ...]:
    """Changes whenever an import, a QA run, a review or an accepted appeal changes what the
    pages read."""
    return st.con.execute(
        "SELECT (SELECT max(import_id) FROM import_log), (SELECT count(*) FROM qa_findings), "
        "(SELECT max(found_at) FROM qa_findings), (SELECT count(*) FROM qa_reviews), "
        "(SELECT count(*) FROM qa_review_scores), (SELECT count(*) FROM qa_dismissal_log), "
        "(SELECT max(appeal_id) FROM credit_overrides), (SELECT count(*) FROM qa_review_voids)"
    ).fetchone()


@dataclass
class _Entry:
    version: Any
    future: Future[Any]
    previous: Any = _NOTHING  # the last version's value, served while this one computes


class ResultCache:
    """Values per key at their latest version, at most MAX_ENTRIES (least recently used go
    first); while a key's new version computes, its previous value is served."""

    def __init__(self, max_entries: int = MAX_ENTRIES, recomputing: int = RECOMPUTING) -> None:
        self._lock = threading.Lock()
        self._values: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
        self._max = max_entries
        # at most this many requests recompute values that have an older version to serve
        self._slots = threading.Semaphore(recomputing)

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Any:
        with self._lock:
            return iter(list(self._values))

    def get(self, key: tuple[Any, ...], version: Any, compute: Callable[[], T]) -> T:
        return self.lookup(key, version, compute)[0]

    def lookup(
        self, key: tuple[Any, ...], version: Any, compute: Callable[[], T], hold: bool = False
    ) -> tuple[T, bool]:
        """(value, stale): the value of `version`, computed once; or, while another request
        computes it, the previous version's value with stale = True. With `hold` (an import
        is still being refreshed on the writer), a key that has a value is not recomputed:
        its value is served, stale when of another version."""
        slot = False
        with self._lock:
            entry = self._values.get(key)
            mine = entry is None or entry.version != version
            held = _settled_value(entry) if mine and hold and entry is not None else _NOTHING
            if held is not _NOTHING:
                self._values.move_to_end(key)
                return held, True
            if mine:
                previous = _settled_value(entry) if entry is not None else _NOTHING
                if previous is not _NOTHING:
                    # after an import every key changes at once: a few requests recompute,
                    # the others get the older value at once instead of each taking a reader
                    # for seconds (the pool would run dry: 503s)
                    if not self._slots.acquire(blocking=False):
                        self._values.move_to_end(key)
                        return previous, True
                    slot = True
                entry = _Entry(version, Future(), previous)
                self._values[key] = entry
                while len(self._values) > self._max:
                    self._values.popitem(last=False)
            else:
                self._values.move_to_end(key)
        assert entry is not None
        if not mine:
            if not entry.future.done() and entry.previous is not _NOTHING:
                return entry.previous, True
            return entry.future.result(), False
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                if self._values.get(key) is entry:
                    del self._values[key]  # an error is not kept: the next request tries again
            entry.future.set_exception(exc)
            raise
        finally:
            if slot:
                self._slots.release()
        entry.future.set_result(value)
        entry.previous = _NOTHING
        return value, False


def _settled_value(entry: _Entry) -> Any:
    """The entry's value if it was computed without error, else what it served before."""
    future = entry.future
    if future.done() and not future.cancelled() and future.exception() is None:
        return future.result()
    return entry.previous


def results_cache(app: Any) -> ResultCache:
    state = app.state
    cache = getattr(state, "results_cache", None)
    if not isinstance(cache, ResultCache):
        cache = state.results_cache = ResultCache()
    return cache


def cached(
    request: Request, st: Store, key: tuple[Any, ...], period_end: date, compute: Callable[[], T]
) -> T:
    """compute() once per key and data version (and hour, while the period runs); while a
    new version computes, the previous value (the request is marked stale: the page says it
    is updating)."""
    hour = datetime.now().strftime("%Y-%m-%d %H") if period_end >= date.today() else None
    # while the writer imports and refreshes the facts, pages would recompute from the raw
    # rows (slowly, beside the import): they serve what they have until it is done
    hold = bool(getattr(request.app.state, "importing", 0))
    version = (_request_version(request, st), hour)
    value, stale = results_cache(request.app).lookup(key, version, compute, hold)
    if stale:
        state = getattr(request, "state", None)
        if state is not None:
            state.stale = True
    return value


def _request_version(request: Request, st: Store) -> Any:
    """data_version once per page view (a GET, which writes nothing): an agent's page looks up
    ~10 cached values, and the version's query was ~40 % of a warmed first view."""
    state = getattr(request, "state", None)
    if getattr(request, "method", None) != "GET" or state is None:
        return data_version(st)
    memo = getattr(state, "data_version", None)
    if memo is None or memo[0] is not st:
        memo = state.data_version = (st, data_version(st))
    return memo[1]
