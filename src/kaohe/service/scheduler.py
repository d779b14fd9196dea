"""The scheduler inside the server: APScheduler 3 (pinned >=3.11,<4 in pyproject: the
maintained stable line; 4.x is a rewrite still in pre-release) runs each configured job on its
cron or interval trigger in its own thread pool, never two runs of one job at once, a missed
run once (coalesced) rather than a burst after a pause. We keep only what is ours: each run is
recorded (kaohe.service.runs) with its start, end, outcome and error, and logged.

A job's failure is its run's outcome: the exception is recorded and logged, the server and
the other jobs go on."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kaohe.errors import KaoheError, NotFoundError
from kaohe.service import runs

log = logging.getLogger("kaohe.scheduler")
WORKERS = 2  # jobs running at once (they mostly wait for the one writer anyway)
MISFIRE_GRACE_S = 300  # a run late by less than this still runs (the writer was busy)


@dataclass
class Task:
    """A job the scheduler runs: `run()` returns a line of what it did, or None when there was
    nothing to do and the run need not be recorded (`quiet`: the inbox's polls)."""

    name: str
    kind: str
    run: Callable[[], str | None]
    cron: str | None = None
    every_s: float | None = None
    quiet: bool = False


class Recorder:
    """Writes the runs on the one writer (`writer.call(job)`); a run's times are taken when
    it starts and ends, so a record queued behind a long write job keeps them."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def call(self, job: Callable[[Any], Any]) -> Any:
        return self._writer.call(job)


class Scheduler:
    def __init__(self, tasks: list[Task], recorder: Recorder, zone: str) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.tasks = {t.name: t for t in tasks}
        self.recorder = recorder
        self.zone = ZoneInfo(zone)
        self._aps = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(WORKERS)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_S,
            },
            timezone=self.zone,
        )
        for task in tasks:
            self._aps.add_job(
                self.execute, self._trigger(task), args=[task.name], id=task.name, name=task.name
            )

    def _trigger(self, task: Task) -> Any:
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        if task.cron is not None:
            return CronTrigger.from_crontab(task.cron, timezone=self.zone)
        return IntervalTrigger(seconds=float(task.every_s or 60), timezone=self.zone)

    def start(self) -> None:
        self.recorder.call(runs.abandon_running)
        self._aps.start()

    def shutdown(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=False)

    @property
    def running(self) -> bool:
        return bool(self._aps.running)

    def run_now(self, name: str) -> None:
        """Run a job at once (in the scheduler's pool, recorded like any run)."""
        if name not in self.tasks:
            from kaohe.suggest import unknown

            raise NotFoundError(unknown("任务", "job", name, self.tasks))
        self._aps.get_job(name).modify(next_run_time=datetime.now(self.zone))

    def listing(self) -> list[dict[str, Any]]:
        """Each job: name, kind, when it runs and its next run."""
        out = []
        for name, task in self.tasks.items():
            job = self._aps.get_job(name)
            next_run = getattr(job, "next_run_time", None) if job else None
            out.append(
                {
                    "name": name,
                    "kind": task.kind,
                    "when": task.cron if task.cron else f"every {task.every_s:g} s",
                    # in the server's local time, as the runs are recorded
                    "next_run": next_run.astimezone().replace(tzinfo=None) if next_run else None,
                }
            )
        return out

    def execute(self, name: str) -> None:
        """One run of a job, recorded: start, end, outcome (ok / failed) and error."""
        task = self.tasks[name]
        started = datetime.now()
        run_id = (
            None
            if task.quiet
            else self.recorder.call(lambda st: runs.start_run(st, name, task.kind, started))
        )
        began = time.perf_counter()
        try:
            detail = task.run()
        except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the server goes on
            error = str(exc) if isinstance(exc, KaoheError) else f"{type(exc).__name__}: {exc}"
            self._finish(task, run_id, started, runs.FAILED, None, error)
            log.warning(
                "job failed",
                extra={
                    "job": name,
                    "kind": task.kind,
                    "error": error,
                    "seconds": round(time.perf_counter() - began, 3),
                },
            )
            return
        if detail is None and task.quiet:
            return
        self._finish(task, run_id, started, runs.OK, detail, None)
        log.info(
            "job done",
            extra={
                "job": name,
                "kind": task.kind,
                "detail": detail,
                "seconds": round(time.perf_counter() - began, 3),
            },
        )

    def _finish(
        self,
        task: Task,
        run_id: int | None,
        started: datetime,
        outcome: str,
        detail: str | None,
        error: str | None,
    ) -> None:
        def record(st: Any) -> None:
            found = (
                run_id if run_id is not None else runs.start_run(st, task.name, task.kind, started)
            )
            runs.end_run(st, found, outcome, detail, error)

        self.recorder.call(record)
