"""The scheduler inside the server: a job on a short interval is run and recorded; a failing
job is recorded as failed with its error while the server keeps answering."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaohe.config import load_config
from kaohe.errors import ConfigError
from kaohe.service.runs import runs
from kaohe.web.app import close_app, create_app
from kaohe.web.services import start_services
from tests.service.conftest import tiny_store

JOBS = """
[scheduler.jobs.facts_often]
kind = "facts"
every_s = 1

[scheduler.jobs.broken_reports]
kind = "reports"
every_s = 1
scheme = "no_such_scheme"

[scheduler.jobs.alerts_minute]
enabled = false
kind = "alerts"
every_s = 60
"""


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    db = tiny_store(tmp_path)
    (tmp_path / "kaohe.toml").write_text(JOBS, encoding="utf-8")
    made = create_app(db, config=load_config(str(tmp_path / "kaohe.toml"), db=str(db)))
    start_services(made)
    try:
        yield made
    finally:
        close_app(made)


def _recorded(app: Any, job: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recorded = app.state.writer.call(lambda st: runs(st, job))  # runs are written there
        done = [r for r in recorded if r["outcome"] != "running"]
        if done:
            return done[-1]
        time.sleep(0.2)
    raise AssertionError(f"no finished run of {job} within {timeout} s")


def test_jobs_run_on_their_interval_and_are_recorded(app: Any) -> None:
    listed = {j["name"]: j for j in app.state.scheduler.listing()}
    assert listed["facts_often"]["when"] == "every 1 s"
    assert "alerts_minute" not in listed  # enabled = false
    ok = _recorded(app, "facts_often")
    assert ok["outcome"] == "ok" and ok["ended_at"] >= ok["started_at"] and ok["error"] is None
    assert "facts" in ok["detail"] or "天" in ok["detail"]


def test_a_failing_job_is_recorded_and_the_server_keeps_serving(app: Any) -> None:
    failed = _recorded(app, "broken_reports")
    assert failed["outcome"] == "failed"
    assert "no_such_scheme" in failed["error"]
    health = TestClient(app).get("/api/v1/health")
    assert health.status_code == 200 and health.json()["scheduler"] is True
    again = _recorded(app, "facts_often")
    assert again["outcome"] == "ok"  # the other jobs go on


def test_a_job_needs_one_trigger_and_a_valid_cron(tmp_path: Path) -> None:
    from kaohe.service.jobs import scheduler_settings

    for text, field in (
        ('[scheduler.jobs.x]\nkind = "facts"\n', "scheduler.jobs.x"),
        ('[scheduler.jobs.x]\nkind = "facts"\ncron = "61 * * * *"\n', "scheduler.jobs.x.cron"),
        ('[scheduler.jobs.x]\nkind = "fax"\nevery_s = 5\n', "scheduler.jobs.x.kind"),
    ):
        path = tmp_path / "kaohe.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            scheduler_settings(load_config(str(path), db=str(tmp_path / "k.duckdb")))
        assert field in str(caught.value)
