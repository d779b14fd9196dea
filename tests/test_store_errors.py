"""Store problems are one clear line and a documented exit code: busy (4), read-only (5),
damaged (6) — on opening, and through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kaohe.errors import EXIT_STORE_BUSY, EXIT_STORE_DAMAGED, EXIT_STORE_READ_ONLY, StoreError
from kaohe.store import Store, store_error

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-m", "kaohe", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_a_store_held_by_another_process_is_busy(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    with Store(db):  # this process holds the lock, as a running import or server would
        result = _cli("--db", str(db), "users", "list")
    assert result.returncode == EXIT_STORE_BUSY
    assert "in use by another process" in result.stderr and f"PID {os.getpid()}" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("damage", ["truncated", "junk"])
def test_a_damaged_store_file(tmp_path: Path, damage: str) -> None:
    db = tmp_path / "k.duckdb"
    if damage == "junk":
        db.write_bytes(b"not a database " * 100)
    else:
        Store(db).close()
        with db.open("r+b") as f:
            f.truncate(5000)
    with pytest.raises(StoreError) as caught:
        Store(db)
    assert caught.value.exit_code == EXIT_STORE_DAMAGED
    result = _cli("--db", str(db), "users", "list")
    assert result.returncode == EXIT_STORE_DAMAGED and "damaged" in result.stderr


def test_a_corrupt_wal_names_the_wal(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    Store(db).close()
    writer = (
        "import duckdb, os, sys\n"
        "c = duckdb.connect(sys.argv[1]); c.execute(\"SET checkpoint_threshold='1GB'\")\n"
        "c.execute('CREATE TABLE t AS SELECT range AS a FROM range(50000)')\n"
        "os._exit(0)\n"  # no checkpoint: the rows stay in the WAL
    )
    subprocess.run([sys.executable, "-c", writer, str(db)], check=True, timeout=60)
    wal = Path(f"{db}.wal")
    with wal.open("r+b") as f:
        f.seek(200)
        f.write(b"\xff" * 200)
    with pytest.raises(StoreError, match=r"\.wal") as caught:
        Store(db)
    assert caught.value.exit_code == EXIT_STORE_DAMAGED


@pytest.mark.parametrize(
    "message",
    [
        'IO Error: Cannot open file "/mnt/ro/k.duckdb": Read-only file system',
        'IO Error: Cannot open file "/srv/k.duckdb": Permission denied',
        'Invalid Input Error: Cannot execute statement of type INSERT on database "k" which is '
        "attached in read-only mode!",
    ],
)
def test_read_only_stores(message: str) -> None:
    error = store_error(RuntimeError(message), "k.duckdb")
    assert error is not None and error.exit_code == EXIT_STORE_READ_ONLY


def test_other_errors_are_not_store_errors() -> None:
    assert store_error(RuntimeError("Binder Error: column x not found"), "k.duckdb") is None
