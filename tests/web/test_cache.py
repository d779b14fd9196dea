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
    app.state.results_cache = ResultCache()
    warm(app)
    assert calls == ["2026-10"]  # the demo's default period
    assert ("compliance", "2026-10") in list(app.state.results_cache)
