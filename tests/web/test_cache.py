"""The web results cache: one computation per key until the data changes."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from kaohe.store import Store
from kaohe.web.cache import cached


def _request():
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace()))


def test_computed_once_until_an_import_changes_the_version():
    request, calls = _request(), []

    def compute():
        calls.append(1)
        return len(calls)

    with Store(":memory:") as st:
        past = date(2020, 1, 31)
        assert cached(request, st, ("k",), past, compute) == 1
        assert cached(request, st, ("k",), past, compute) == 1  # served from the cache
        assert cached(request, st, ("other",), past, compute) == 2
        st.con.execute("INSERT INTO import_log (import_id, file, sha256) VALUES (1, 'f', 'x')")
        assert cached(request, st, ("k",), past, compute) == 3  # new data: computed again
        # the other key keeps its old version's value, served stale while it recomputes
        assert len(request.app.state.results_cache) == 2


def test_warm_computes_the_default_periods_checks(app, monkeypatch):
    from kaohe.compliance import check
    from kaohe.web.cache import ResultCache
    from kaohe.web.pages.overview import warm

    calls = []
    monkeypatch.setattr(check, "run_checks", lambda st, period, **kw: calls.append(period) or [])
    # a cache of its own, put back after: the empty checks must not reach later tests' pages
    monkeypatch.setattr(app.state, "results_cache", ResultCache())
    warm(app)
    assert calls == ["2026-10"]  # the demo's default period
    assert ("compliance", "2026-10") in list(app.state.results_cache)


def test_the_previous_value_is_served_while_the_new_version_computes():
    import threading

    from kaohe.web.cache import ResultCache

    cache, started, release = ResultCache(), threading.Event(), threading.Event()
    assert cache.lookup(("k",), 1, lambda: "old") == ("old", False)

    def slow() -> str:
        started.set()
        release.wait(10)
        return "new"

    worker = threading.Thread(target=lambda: cache.lookup(("k",), 2, slow))
    worker.start()
    assert started.wait(10)
    # another request meanwhile: the old value at once, marked stale (no wait, no recompute)
    assert cache.lookup(("k",), 2, lambda: "again") == ("old", True)
    release.set()
    worker.join(10)
    assert cache.lookup(("k",), 2, lambda: "again") == ("new", False)


def test_a_failed_recomputation_serves_nothing_stale_afterwards():
    from kaohe.web.cache import ResultCache

    cache = ResultCache()
    cache.lookup(("k",), 1, lambda: "old")

    def boom() -> str:
        raise ValueError("x")

    try:
        cache.lookup(("k",), 2, boom)
    except ValueError:
        pass
    assert cache.lookup(("k",), 2, lambda: "new") == ("new", False)


def test_a_reader_leaves_stale_facts_to_the_writer(monkeypatch):
    """A connection of the read pool never takes the write lock for facts: it hands them to
    the writer (once while a refresh is queued) and answers from the raw rows meanwhile."""
    from kaohe.engine import facts
    from kaohe.web.services import FactsDeferral

    submitted = []
    deferral = FactsDeferral()
    deferral.writer = SimpleNamespace(submit=submitted.append)
    reader = SimpleNamespace(defer_facts=deferral)
    monkeypatch.setattr(facts, "stale_days", lambda st, period=None: [date(2026, 10, 1)])
    assert facts._writable_fresh(reader, None) is False
    assert facts._writable_fresh(reader, None) is False
    assert len(submitted) == 1  # the second find adds nothing while the refresh is queued
    monkeypatch.setattr(facts, "stale_days", lambda st, period=None: [])
    assert facts._writable_fresh(reader, None) is True


def test_stale_pages_say_they_are_updating():
    from kaohe.web.i18n import translate

    assert "更新" in translate("page.updating", "zh")
    assert "updating" in translate("page.updating", "en")


def test_only_a_few_requests_recompute_at_once_the_rest_get_the_older_value():
    import threading

    from kaohe.web.cache import ResultCache

    cache, started, release = ResultCache(recomputing=1), threading.Event(), threading.Event()
    for key in ("a", "b"):
        cache.lookup((key,), 1, lambda k=key: f"{k}1")

    def slow() -> str:
        started.set()
        release.wait(10)
        return "a2"

    worker = threading.Thread(target=lambda: cache.lookup(("a",), 2, slow))
    worker.start()
    assert started.wait(10)
    # another key's new version: no slot free, so its older value at once, nothing computed
    assert cache.lookup(("b",), 2, lambda: "computed") == ("b1", True)
    release.set()
    worker.join(10)
    assert cache.lookup(("b",), 2, lambda: "b2") == ("b2", False)  # a slot is free again


def test_while_an_import_is_refreshed_values_are_served_not_recomputed():
    from kaohe.web.cache import ResultCache

    cache = ResultCache()
    assert cache.lookup(("a",), 1, lambda: "a1") == ("a1", False)
    # the import committed (version 2) but the writer still refreshes its facts: held
    assert cache.lookup(("a",), 2, lambda: "computed", hold=True) == ("a1", True)
    # a key never computed has nothing to serve: it computes
    assert cache.lookup(("b",), 2, lambda: "b2", hold=True) == ("b2", False)
    assert cache.lookup(("a",), 2, lambda: "a2") == ("a2", False)  # refreshed: recomputed


def test_the_import_runner_holds_the_cache_while_the_writer_works(monkeypatch):
    import kaohe.service.jobs as jobs
    from kaohe.web.services import import_runner

    seen, refreshed = [], []
    state = SimpleNamespace(warmers=[], readers=SimpleNamespace(closed=False))
    state.writer = SimpleNamespace(call=lambda job: job("writer"))
    monkeypatch.setattr(jobs, "refresh_stale_facts", refreshed.append)
    import_runner(SimpleNamespace(state=state))(lambda st: seen.append(state.importing))
    assert seen == [1] and refreshed == ["writer"]  # held during the import and its refresh
    assert state.importing == 0  # and no longer after
