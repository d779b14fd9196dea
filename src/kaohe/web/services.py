"""The server's own work besides answering requests, wired to its one writer and its read
pool: what follows every import (the facts refreshed on the writer, the pages warmed, the
alerts evaluated), the scheduler's jobs (kaohe.service.jobs), the inbox folder
(kaohe.service.dropfolder), and the local key and server file the CLI finds it by
(kaohe.service.client).

Other parts hook in here: `add_warmer(app, fn)` registers `fn(app, st)`, called after every
import on a connection of its own (precompute what a page needs); the page cache serves the
previous values meanwhile (kaohe.web.cache)."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

log = logging.getLogger("kaohe.server")
Warmer = Callable[[Any, Any], None]


# ---------------------------------------------------------------- after an import


def add_warmer(app: Any, warmer: Warmer) -> None:
    """Run `warmer(app, st)` after every import (on the writer, after the facts refresh)."""
    app.state.warmers.append(warmer)


def warm_default(app: Any, st: Any) -> None:
    """The default period's pages (the last complete month, what every page opens on): the
    overview's checks, every agent's page data (KPI catalogue, sessions, payslips, rankings),
    every preset scheme's scores (the scheme comparison), and the viewer's and the credit
    lookup's queries compiled; then the same pages of the newest month after it that the
    imports changed (`note_imported`: a new month's first view). Gives way to a queued
    import between steps (its own warm-up follows it, on newer data)."""
    from kaohe.web.deps import default_period
    from kaohe.web.pages import conversation

    period = default_period(st)
    if _gives_way(app):
        return
    # the last warm-up's values: collectable again once the new ones replace them
    gc.unfreeze()
    try:
        _warm_period(app, st, period)
        conversation.warm(app, st)
        newer = [m for m in getattr(app.state, "months_to_warm", ()) if m > period]
        if newer and not _gives_way(app):
            if _has_messages(st, max(newer)):
                _warm_period(app, st, max(newer))
            app.state.months_to_warm = set()  # (older months compute on their first view)
    finally:
        # the warmed values (~10^5 objects at 1,000 agents) out of the collector's full
        # passes: one ran every other view of a large page and took 0.3 s of it
        gc.freeze()


def _warm_period(app: Any, st: Any, period: str) -> None:
    from types import SimpleNamespace

    from kaohe.web.pages import agent, compliance, schemes
    from kaohe.web.pages.overview import cached_checks

    cached_checks(SimpleNamespace(app=app), st, period)  # type: ignore[arg-type]
    compliance.warm(app, st, period)
    if not _gives_way(app):
        agent.warm(app, st, period)
    if not _gives_way(app):
        schemes.warm(app, st, period)


def _has_messages(st: Any, month: str) -> bool:
    """(a refresh rewrites the days either side of a changed one: a month may hold none)"""
    from kaohe.engine.periods import parse_period

    period = parse_period(month)
    found = st.con.execute(
        "SELECT count(*) FROM messages WHERE CAST(time AS DATE) BETWEEN ? AND ?",
        [period.start, period.end],
    ).fetchone()
    return bool(found and found[0])


def _gives_way(app: Any) -> bool:
    """Whether another import waits behind the one warming up (`importing` counts both)."""
    return getattr(app.state, "importing", 0) > 1


def note_imported(app: Any, days: list[Any]) -> None:
    """Remember the months of the days an import's facts refresh rewrote: the warm-up warms
    the newest of them after the default month (kept until a warm-up gets to them)."""
    months = {d.strftime("%Y-%m") for d in days}
    app.state.months_to_warm = set(getattr(app.state, "months_to_warm", ())) | months


class FactsDeferral:
    """Stale facts a reader found: refreshed once on the writer (later finds while that
    refresh is queued or running add nothing)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = False
        self.writer: Any = None

    def __call__(self) -> None:
        with self._lock:
            if self._pending or self.writer is None:
                return
            self._pending = True
        try:
            self.writer.submit(self._refresh)
        except RuntimeError:  # the server is stopping
            with self._lock:
                self._pending = False

    def _refresh(self, st: Any) -> None:
        from kaohe.service.jobs import refresh_stale_facts

        try:
            refresh_stale_facts(st)
        finally:
            with self._lock:
                self._pending = False


def import_runner(app: Any) -> Callable[[Callable[[Any], Any]], Any]:
    """`run(job)` for kaohe.web.pages.imports.import_staged: the import job on the one writer,
    followed in the same job by the facts refresh (pages never refresh facts themselves),
    then what follows an import (after_import)."""

    def run(job: Callable[[Any], Any]) -> Any:
        with importing(app):
            result = app.state.writer.call(lambda st: _import_then_refresh(app, st, job))
        after_import(app)
        return result

    return run


_importing_lock = threading.Lock()


@contextmanager
def importing(app: Any) -> Iterator[None]:
    """`app.state.importing` counts the imports queued or running on the writer (with their
    facts refresh and warm-up): the page cache serves the values it has meanwhile
    (kaohe.web.cache.cached) instead of recomputing them from the raw rows beside the import."""
    with _importing_lock:
        app.state.importing = getattr(app.state, "importing", 0) + 1
    try:
        yield
    finally:
        with _importing_lock:
            app.state.importing -= 1


def _import_then_refresh(app: Any, st: Any, job: Callable[[Any], Any]) -> Any:
    """The import, its facts refresh and the pages' warm-up as one writer job: the writer is
    idle again when the import answers. (Run beside a later request instead, a writer
    refreshing facts while a reader wrote — a login attempt, a materialised block — spun
    DuckDB for minutes in the test suite.)"""
    from kaohe.service.jobs import refresh_stale_facts

    result = job(st)
    refreshed: list[Any] = []
    try:
        refreshed = refresh_stale_facts(st)
    except Exception as exc:  # noqa: BLE001 - the import stands; pages compute on demand
        log.warning("facts refresh after import failed", extra={"error": str(exc)})
    note_imported(app, refreshed or [])
    _warm_all(app, st)
    return result


def after_import(app: Any) -> None:
    """Evaluate the alerts on the new data (when the scheduler runs: `kaohe serve`)."""
    scheduler = getattr(app.state, "scheduler", None)
    if scheduler is not None and "alerts" in _kinds(scheduler):
        for name, task in scheduler.tasks.items():
            if task.kind == "alerts":
                scheduler.run_now(name)


def _kinds(scheduler: Any) -> set[str]:
    return {task.kind for task in scheduler.tasks.values()}


def _warm_all(app: Any, st: Any) -> None:
    """The warmers (the default period's pages), then every page value the cache keeps
    recomputed on the writer (kaohe.web.cache.rewarm): readers, held meanwhile, serve the
    older values marked updating and find the new ones computed once the import answers."""
    from kaohe.web.cache import rewarm

    for step in [*app.state.warmers, rewarm]:
        try:
            step(app, st)
        except Exception as exc:  # noqa: BLE001 - pages compute on demand all the same
            if app.state.readers.closed:
                return
            log.warning("warm-up after import failed", extra={"error": str(exc)})


# ---------------------------------------------------------------- checkpoints

# No automatic checkpoint on a commit while the server runs: DuckDB 1.4's checkpoint waits —
# spinning a core — until no connection holds a result open, and readers always hold some
# (a `fetchone` keeps its transaction until the next statement): an import's commit spun for
# as long as pages were read, or for good beside an idle connection's open result.
NO_AUTO_CHECKPOINT = "1000GB"
CHECKPOINT_WAIT_S = 5.0  # the longest requests wait while the writer waits for the readers


def no_auto_checkpoint(store: Any) -> None:
    store.con.execute(f"SET checkpoint_threshold = '{NO_AUTO_CHECKPOINT}'")


def checkpoint(app: Any, st: Any) -> bool:
    """Write the WAL into the store file (on the writer, `st`), with the read pool paused
    and every connection's open results closed; False when the readers did not all come back
    within CHECKPOINT_WAIT_S (requests wait meanwhile; the WAL waits for the next try). Run
    daily after the housekeeping; stopping the server checkpoints as the store closes."""
    with app.state.readers.paused(CHECKPOINT_WAIT_S) as quiet:
        if not quiet:
            log.warning("checkpoint skipped: readers still busy")
            return False
        app.state.store.end_reads()  # the opening connection: idle, but a count it read
        st.con.execute("CHECKPOINT")
    return True


# ---------------------------------------------------------------- scheduler and inbox


def _job_context(app: Any) -> Any:
    from kaohe.service.jobs import JobContext

    def read(job: Callable[[Any], Any]) -> Any:
        with app.state.readers.extra() as st:
            return job(st)

    return JobContext(app.state.config, app.state.writer.call, read)


def build_tasks(app: Any) -> list[Any]:
    """The configured jobs ([scheduler]) and the inbox folder's poll ([inbox])."""
    from kaohe.service.dropfolder import inbox_settings
    from kaohe.service.jobs import RUNNERS, scheduler_settings
    from kaohe.service.scheduler import Task

    config = app.state.config
    settings = scheduler_settings(config)
    ctx = _job_context(app)
    tasks = []
    if settings.enabled:
        for name, job in settings.jobs.items():
            if job.enabled:
                runner = RUNNERS[job.kind]
                tasks.append(Task(name, job.kind, partial(runner, ctx, job), job.cron, job.every_s))
    inbox = inbox_settings(config)
    if inbox is not None:
        folder = make_drop_folder(app, inbox)
        folder.ensure()
        tasks.append(Task("inbox", "inbox", folder.poll, every_s=inbox.poll_s, quiet=True))
    return tasks


def make_drop_folder(app: Any, settings: Any) -> Any:
    from kaohe.service.dropfolder import DropFolder, Hooks
    from kaohe.web.pages.imports import import_settings, quarantine_rows

    options = {
        "table": settings.table,
        "preset": settings.preset,
        "platform": settings.platform,
        "shop": settings.shop,
    }

    def imported(sha: str) -> int | None:
        with app.state.readers.extra() as st:
            row = st.con.execute(
                "SELECT min(import_id) FROM import_log WHERE sha256 = ?", [sha]
            ).fetchone()
        return None if row[0] is None else int(row[0])

    def import_one(path: Path) -> Any:
        from kaohe.imports import import_file

        setup = import_settings_of(app)

        def job(st: Any) -> Any:
            result = import_file(st, path, **setup, **options)
            st.con.execute(
                "UPDATE import_log SET file = ? WHERE import_id = ?", [path.name, result.import_id]
            )
            st.con.execute(
                "UPDATE quarantine SET file = ? WHERE sha256 = ?", [path.name, result.sha256]
            )
            return result

        return import_runner(app)(job)

    def rejects(sha: str) -> list[dict[str, Any]]:
        with app.state.readers.extra() as st:
            return quarantine_rows(st, sha)

    del import_settings  # (the request-bound helper; the app's own settings below)
    return DropFolder(settings, Hooks(imported, import_one, rejects))


def import_settings_of(app: Any) -> dict[str, Any]:
    """zone, limits and the mappings folder of the app's configuration (as the upload page's)."""
    from types import SimpleNamespace

    from kaohe.web.pages.imports import import_settings

    return import_settings(SimpleNamespace(app=app))  # type: ignore[arg-type]


def start_services(app: Any) -> None:
    """Start the scheduler (its jobs and the inbox folder's poll); `kaohe serve` does this,
    tests of the app without it do not."""
    from kaohe.service.scheduler import Recorder, Scheduler

    # runs are recorded on the one writer: a second writing connection beside the writer's
    # facts refresh aborted DuckDB 1.4.4 in the test suite (UPDATE job_runs)
    scheduler = Scheduler(build_tasks(app), Recorder(app.state.writer), app.state.config.zone)
    app.state.scheduler = scheduler
    scheduler.start()
    log.info("scheduler started", extra={"jobs": ",".join(scheduler.tasks)})


def stop_services(app: Any) -> None:
    scheduler = getattr(app.state, "scheduler", None)
    if scheduler is not None:
        scheduler.shutdown()


def report_files(app: Any) -> list[dict[str, Any]]:
    """The workbooks the scheduler's `reports` jobs wrote, newest first."""
    from datetime import datetime

    from kaohe.service.jobs import reports_folder, scheduler_settings

    config = app.state.config
    folders = {
        reports_folder(config, job.folder)
        for job in scheduler_settings(config).jobs.values()
        if job.kind == "reports"
    }
    found = []
    for folder in folders:
        for path in folder.glob("*.xlsx") if folder.is_dir() else []:
            info = path.stat()
            modified = datetime.fromtimestamp(info.st_mtime)
            found.append(
                {"name": path.name, "bytes": info.st_size, "modified": modified, "path": str(path)}
            )
    return sorted(found, key=lambda f: f["modified"], reverse=True)
