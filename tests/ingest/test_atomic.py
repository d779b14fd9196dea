"""A kill mid-transaction leaves the store exactly as before the file."""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kaohe.ingest.load import TEST_MARK, TEST_SLEEP_ENV, import_file
from kaohe.store import Store

TABLES = ["messages", "orders", "agents", "quarantine", "import_log"]
CHILD = textwrap.dedent("""
    import sys
    from kaohe.ingest.load import import_file
    from kaohe.store import Store
    with Store(sys.argv[1]) as store:
        import_file(store, sys.argv[2])
""")


def state(db: Path) -> dict[str, tuple[int, str]]:
    with Store(db) as store:
        out = {}
        for table in TABLES:
            rows = store.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            out[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        return out


def big_messages(path: Path, rows: int) -> None:
    lines = ["shop,buyer,agent,sender,time,text"]
    lines += [
        f"s,b{i % 500},s:a{i % 7},agent,2026-10-01 10:{i // 60 % 60:02d}:{i % 60:02d},m{i}"
        for i in range(rows)
    ]
    lines.append("s,b,s:a,agent,never,bad time")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_mid_import_leaves_store_as_before(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    first = tmp_path / "first.csv"
    first.write_text(
        "shop,buyer,agent,sender,time,text\ns,b,s:a,buyer,2026-10-01 09:00:00,hi\n",
        encoding="utf-8",
    )
    with Store(db) as store:
        import_file(store, first)
    before = state(db)
    big = tmp_path / "big.csv"
    big_messages(big, 200_000)
    env = {**os.environ, TEST_SLEEP_ENV: "60"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(big)], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        for line in child.stderr:  # type: ignore[union-attr]
            if TEST_MARK in line or time.monotonic() > deadline:
                break
        assert child.poll() is None, "the import ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert state(db) == before
    with Store(db) as store:  # and the store still works: the same file imports fully
        result = import_file(store, big)
    assert (result.inserted, result.rejected) == (200_000, 1)
