"""After an import the writer computes the pages once, for the data version the pages read;
a page asked for meanwhile answers from the previous version, marked 正在更新, computing
nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaohe.store import Store
from kaohe.web.cache import Recipe, ResultCache, cached
from kaohe.web.users import add_user
from tests.engine import fixtures as F
from tests.engine.conftest import fill
from tests.web.conftest import log_in
from tests.web.reader_guard import guard_readers

PASSWORD = "correct-horse-1"
UPDATING = "本页正在更新"
PAST = date(2020, 1, 31)


@pytest.fixture()
def tiny_app(tmp_path: Path) -> Any:
    from kaohe.web.app import close_app, create_app

    db = tmp_path / "k.duckdb"
    with Store(db) as st:
        fill(st, F.MULTI, roster=F.ROSTER)
        add_user(st, "boss", "admin", PASSWORD)
    app = create_app(db, secret_key="test-secret-key")
    app.state.reader_writes = guard_readers(app.state.readers)
    app.state.warmers = []  # the test's own below: the default pages are not what it checks
    yield app
    close_app(app)


def _import(st: Store, import_id: int = 99) -> None:
    st.con.execute(
        "INSERT INTO import_log (import_id, file, sha256) VALUES (?, 'f', ?)",
        [import_id, f"sha{import_id}"],
    )


def test_the_writer_computes_the_pages_and_readers_meanwhile_compute_nothing(tiny_app, monkeypatch):
    from kaohe.web.pages import overview

    client = TestClient(tiny_app)
    assert log_in(client, "boss", PASSWORD).status_code == 303
    first = client.get("/")
    assert first.status_code == 200 and UPDATING not in first.text
    real, seen = overview.kpi_rows, {}

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the overview was computed again")

    def asked_during_the_warm_up(app: Any, st: Store) -> None:
        # on the writer, the import committed: a visitor now gets the older page, computing
        # nothing (computing fails here), and is told the page is updating
        monkeypatch.setattr(overview, "kpi_rows", refuse)
        page = client.get("/")
        seen["during"] = (page.status_code, UPDATING in page.text)
        monkeypatch.setattr(overview, "kpi_rows", real)

    tiny_app.state.warmers = [asked_during_the_warm_up]
    tiny_app.state.run_import(_import)
    assert seen["during"] == (200, True)
    # the writer recomputed the page for the new version (`rewarm`): the visitor's page is
    # that one, current (not updating), and nothing is computed for it again
    monkeypatch.setattr(overview, "kpi_rows", refuse)
    after = client.get("/")
    assert after.status_code == 200 and UPDATING not in after.text
    assert tiny_app.state.reader_writes == []


def test_rewarm_recomputes_what_has_a_recipe_most_recent_first_on_the_store_given():
    cache, ran = ResultCache(), []

    def recipe(name: str) -> Recipe:
        return Recipe(lambda st: ran.append((name, st)) or f"{name}@{st}", PAST)

    for name in ("a", "b"):
        made = recipe(name)
        cache.lookup((name,), 1, lambda m=made: m.compute("reader"), recipe=made)
    cache.lookup(("plain",), 1, lambda: "no recipe")
    cache.lookup(("a",), 1, lambda: "hit")  # a, used last, goes first
    ran.clear()
    assert cache.rewarm("writer", lambda end: 2) == 2
    assert ran == [("a", "writer"), ("b", "writer")]
    assert cache.lookup(("a",), 2, lambda: "computed") == ("a@writer", False)
    assert cache.lookup(("plain",), 2, lambda: "plain2") == ("plain2", False)  # on demand
    assert cache.rewarm("writer", lambda end: 2) == 0  # all current: nothing again


def test_a_failed_rewarm_leaves_that_value_to_be_computed_when_asked():
    cache = ResultCache()

    def boom(st: Any) -> str:
        raise ValueError("gone")

    failing = Recipe(boom, PAST)
    cache.lookup(("k",), 1, lambda: "old", recipe=failing)
    assert cache.rewarm("writer", lambda end: 2) == 0
    assert cache.lookup(("k",), 2, lambda: "new") == ("new", False)


def test_the_writer_computes_while_an_import_holds_the_readers():
    """The warm-up runs on the writer while `importing` holds the readers: its lookups
    compute the new version (held, they computed nothing and the pages were computed again
    by the readers after the import)."""
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(importing=1)))
    with Store(":memory:") as writer:
        assert cached(request, writer, ("k",), PAST, lambda: "old") == "old"
        _import(writer)
        assert cached(request, writer, ("k",), PAST, lambda: "new") == "new"
        reader = writer.reader(lambda job: job(writer))
        try:
            _import(writer, 100)
            # a reader of the server is held: the value it has, marked stale
            assert cached(request, reader, ("k",), PAST, lambda: "computed") == "new"
        finally:
            reader.close()


def test_a_key_never_computed_answers_absent_while_readers_are_held():
    cache = ResultCache()

    def boom() -> str:
        raise AssertionError("computed from the raw rows beside the import")

    # a month the running import brings: the page goes without it for now, marked stale
    assert cache.lookup(("new month",), 2, boom, hold=True, absent=None) == (None, True)
    assert len(cache) == 0  # nothing kept: computed once the import is done
    assert cache.lookup(("new month",), 2, lambda: "ranked", absent=None) == ("ranked", False)


def test_a_request_reads_the_data_version_once():
    """A page looks up many values: the version is read at its first lookup and kept for
    the request (one version throughout the page, one query instead of one per value)."""
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace()), state=SimpleNamespace())
    with Store(":memory:") as writer:
        reader = writer.reader(lambda job: job(writer))
        try:
            assert cached(request, reader, ("k",), PAST, lambda: "before") == "before"
            _import(writer)  # committed while the page is still being built
            assert cached(request, reader, ("k",), PAST, lambda: "after") == "before"
            later = SimpleNamespace(app=request.app, state=SimpleNamespace())  # the next page
            assert cached(later, reader, ("k",), PAST, lambda: "after") == "after"
        finally:
            reader.close()
