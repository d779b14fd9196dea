"""Results the pages compute on demand (a team's totals, the platform checks, an agent's page,
a conversation), kept per data version: any import, QA run or review changes the version.
Values of a period that is still running are also kept per hour (projections move with the
clock).

Requests run on many threads at once: the cache is locked, and a value being computed is
computed once — other requests for the same key wait for it instead of computing it again
(after an import, fifty visitors of the overview cost one computation, not fifty).

While an import, the facts refresh and the warm-up after it run on the writer
(`app.state.importing`), a reader recomputes nothing that has a value: the values are served
as they are, marked updating. The writer computes (`fresh`): its warm-up brings the default
pages up to date, then `rewarm` recomputes every value kept with `cached_on` (a computation
that takes the store, so the writer can run it on its own connection), most recently used
first — a page is computed once per data version, by the writer, and readers never wait for
it.

Stale while revalidating: when the version moves on (an import committed), the first request
for a key computes the new value, and every other request meanwhile gets the previous
version's value at once, marked as updating (`request.state.stale`; the page says so) instead
of waiting behind it. At most RECOMPUTING requests recompute at once: the rest are served the
previous value, so an import never leaves every reader busy recomputing."""

from __future__ import annotations

import logging
import threading
import time
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
REWARM_S = 180.0  # the longest the writer recomputes kept values after an import
_NOTHING = object()
COMPUTE: Any = _NOTHING  # `absent` default: a key without a value is computed, held or not
log = logging.getLogger("kaohe.server")


# one row per watched quantity, as text (only equality matters): a UNION ALL of plain
# aggregates costs DuckDB a seventh of the same values as scalar subqueries (2.5 vs 18.7 ms
# wall, 1.0 vs 7.3 ms CPU on the demo store) — read on every page request
_VERSION_SQL = (
    " UNION ALL ".join(
        f"SELECT {i} AS i, {aggregate}::VARCHAR AS v FROM {table}"
        for i, (aggregate, table) in enumerate(
            (
                ("max(import_id)", "import_log"),
                ("count(*)", "qa_findings"),
                ("max(found_at)", "qa_findings"),
                ("count(*)", "qa_reviews"),
                ("count(*)", "qa_review_scores"),
                ("count(*)", "qa_dismissal_log"),
                ("max(appeal_id)", "credit_overrides"),
                ("count(*)", "qa_review_voids"),
            )
        )
    )
    + " ORDER BY i"
)


def data_version(st: Store) -> tuple[Any, ...]:
    """Changes whenever an import, a QA run, a review or an accepted appeal changes what the
    pages read."""
    return tuple(row[1] for row in st.con.execute(_VERSION_SQL).fetchall())


@dataclass(frozen=True)
class Recipe:
    """How a kept value is computed again on any connection: `compute(store)`, and the end
    of its period (a period still running is also kept per hour)."""

    compute: Callable[[Any], Any]
    period_end: date


@dataclass
class _Entry:
    version: Any
    future: Future[Any]
    previous: Any = _NOTHING  # the last version's value, served while this one computes
    recipe: Recipe | None = None


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
        self,
        key: tuple[Any, ...],
        version: Any,
        compute: Callable[[], T],
        hold: bool = False,
        fresh: bool = False,
        recipe: Recipe | None = None,
        absent: Any = COMPUTE,
    ) -> tuple[T, bool]:
        """(value, stale): the value of `version`, computed once; or, while another request
        computes it, the previous version's value with stale = True. With `hold` (an import
        is still being refreshed on the writer), a key that has a value is not recomputed:
        its value is served, stale when of another version; a key without one answers
        `absent` (stale) when given — what the page showed before the import (a month that
        had no data) — instead of computing it from the raw rows beside the import. With
        `fresh` (the writer's warm-up) the value of `version` is always returned: computed,
        or waited for."""
        slot = False
        with self._lock:
            entry = self._values.get(key)
            mine = entry is None or entry.version != version
            held = _settled_value(entry) if mine and hold and entry is not None else _NOTHING
            if held is _NOTHING and mine and hold and absent is not COMPUTE:
                held = absent
            if held is not _NOTHING:
                if entry is not None:
                    self._values.move_to_end(key)
                return held, True
            if mine:
                previous = _settled_value(entry) if entry is not None else _NOTHING
                if previous is not _NOTHING and not fresh:
                    # after an import every key changes at once: a few requests recompute,
                    # the others get the older value at once instead of each taking a reader
                    # for seconds (the pool would run dry: 503s)
                    if not self._slots.acquire(blocking=False):
                        self._values.move_to_end(key)
                        return previous, True
                    slot = True
                entry = _Entry(version, Future(), previous, recipe)
                self._values[key] = entry
                while len(self._values) > self._max:
                    self._values.popitem(last=False)
            else:
                self._values.move_to_end(key)
        assert entry is not None
        if not mine:
            if not fresh and not entry.future.done() and entry.previous is not _NOTHING:
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

    def rewarm(self, st: Any, version_of: Callable[[date], Any], budget_s: float = REWARM_S) -> int:
        """Recompute on `st` (the writer, after an import) every kept value that has a recipe
        and an older version, most recently used first, for at most `budget_s` seconds (what
        is left is recomputed when asked); readers are served the older values meanwhile.
        Returns how many were recomputed."""
        began, done = time.monotonic(), 0
        with self._lock:
            keys = list(reversed(self._values))
        for key in keys:
            if time.monotonic() - began > budget_s:
                log.warning("rewarm stopped at its budget", extra={"left": len(keys) - done})
                break
            with self._lock:
                entry = self._values.get(key)
            recipe = entry.recipe if entry is not None else None
            if recipe is None or entry is None:
                continue
            version = version_of(recipe.period_end)
            if entry.version == version:
                continue
            try:
                self.lookup(key, version, lambda r=recipe: r.compute(st), fresh=True, recipe=recipe)
            except Exception as exc:  # noqa: BLE001 - that page computes when asked, as before
                log.warning("rewarm failed", extra={"key": repr(key)[:200], "error": str(exc)})
                continue
            done += 1
        return done


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


def version_of(st: Store, period_end: date, request: Any = None) -> tuple[Any, Any]:
    """The cache version of a value of a period ending `period_end`: the data version, and
    the hour while the period runs (projections move with the clock). Given the `request`
    of a reader, the data version is read once per request: a page reads one version
    throughout (an agent page looks up some fifteen values; the version query was a third
    of the server's time under load)."""
    hour = datetime.now().strftime("%Y-%m-%d %H") if period_end >= date.today() else None
    state = getattr(request, "state", None)
    if state is None:
        return data_version(st), hour
    seen = getattr(state, "data_version", None)
    if seen is None or seen[0] is not st:
        seen = state.data_version = (st, data_version(st))
    return seen[1], hour


def cached(
    request: Request,
    st: Store,
    key: tuple[Any, ...],
    period_end: date,
    compute: Callable[[], T],
    recipe: Recipe | None = None,
    absent: Any = COMPUTE,
) -> T:
    """compute() once per key and data version (and hour, while the period runs); while a
    new version computes, the previous value (the request is marked stale: the page says it
    is updating). While an import holds the readers, a key never computed answers `absent`
    when given (see ResultCache.lookup)."""
    # a reader of the server (its writes go to the writer) serves what it has while the
    # writer imports, refreshes the facts and warms the pages: recomputing beside it would
    # read raw rows, slowly, for a value the writer is about to compute. The writer (and a
    # store of its own: the CLI, tests) computes the value of the version it reads.
    reader = getattr(st, "write_via", None) is not None
    hold = reader and bool(getattr(request.app.state, "importing", 0))
    value, stale = results_cache(request.app).lookup(
        key,
        version_of(st, period_end, request if reader else None),
        compute,
        hold,
        fresh=not reader,
        recipe=recipe,
        absent=absent,
    )
    if stale:
        state = getattr(request, "state", None)
        if state is not None:
            state.stale = True
    return value


def cached_on(
    request: Request,
    st: Store,
    key: tuple[Any, ...],
    period_end: date,
    compute: Callable[[Store], T],
    absent: Any = COMPUTE,
) -> T:
    """`cached`, for a value computed from the store it is given (`compute(st)`, using no
    other connection): after an import the writer recomputes it on its own connection
    (`ResultCache.rewarm`) while readers serve the older value."""
    recipe = Recipe(compute, period_end)
    return cached(request, st, key, period_end, lambda: compute(st), recipe, absent)


def rewarm(app: Any, st: Store, budget_s: float = REWARM_S) -> int:
    """Recompute the kept values of the pages (`cached_on`) on the writer's `st`."""
    return results_cache(app).rewarm(st, lambda end: version_of(st, end), budget_s)
