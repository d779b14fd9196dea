"""The scheduler's recorded runs (job_runs, store migration 15): start, end, outcome and error
of every run, shown on the admin page; and the jobs' watermarks (job_state)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

RUNNING, OK, FAILED, SKIPPED = "running", "ok", "failed", "skipped"
OUTCOMES = (RUNNING, OK, FAILED, SKIPPED)
MAX_TEXT = 2000  # characters of detail and error kept
KEEP_DAYS = 30  # runs older than this are pruned (the minute's alert job writes 1,440 a day)
RUN_COLUMNS = ("id", "job", "kind", "started_at", "ended_at", "outcome", "detail", "error")


def start_run(st: Any, job: str, kind: str, now: datetime | None = None) -> int:
    run_id = int(st.con.execute("SELECT nextval('job_run_seq')").fetchone()[0])
    st.con.execute(
        "INSERT INTO job_runs (id, job, kind, started_at, outcome) VALUES (?, ?, ?, ?, ?)",
        [run_id, job, kind, now or datetime.now(), RUNNING],
    )
    return run_id


def end_run(
    st: Any,
    run_id: int,
    outcome: str,
    detail: str | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    st.con.execute(
        "UPDATE job_runs SET ended_at = ?, outcome = ?, detail = ?, error = ? WHERE id = ?",
        [
            now or datetime.now(),
            outcome,
            (detail or "")[:MAX_TEXT] or None,
            (error or "")[:MAX_TEXT] or None,
            run_id,
        ],
    )


def runs(
    st: Any, job: str | None = None, outcome: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Latest runs first (of one job, of one outcome)."""
    where, args = ["1 = 1"], []
    for column, value in (("job", job), ("outcome", outcome)):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    cols = ", ".join(RUN_COLUMNS)
    rows = st.con.execute(
        f"SELECT {cols} FROM job_runs WHERE {' AND '.join(where)} "
        f"ORDER BY id DESC LIMIT {int(limit)}",
        args,
    ).fetchall()
    return [dict(zip(RUN_COLUMNS, r, strict=True)) for r in rows]


def abandon_running(st: Any, now: datetime | None = None) -> int:
    """Runs a stopped server left 'running' are marked failed (at the next start)."""
    rows = st.con.execute(
        "UPDATE job_runs SET outcome = ?, ended_at = ?, error = ? WHERE outcome = ? RETURNING 1",
        [
            FAILED,
            now or datetime.now(),
            "服务器停止时仍在运行 / the server stopped meanwhile",
            RUNNING,
        ],
    ).fetchall()
    return len(rows)


def prune_runs(st: Any, keep_days: int = KEEP_DAYS, now: datetime | None = None) -> None:
    cutoff = (now or datetime.now()) - timedelta(days=keep_days)
    st.con.execute("DELETE FROM job_runs WHERE started_at < ?", [cutoff])


def state_get(st: Any, key: str) -> str | None:
    row = st.con.execute("SELECT value FROM job_state WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def state_set(st: Any, key: str, value: str) -> None:
    st.con.execute(
        "INSERT INTO job_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
        [key, value, value],
    )
