"""The read pool and the one writer beside DuckDB 1.4's checkpoints: a checkpoint waits —
spinning — while any connection holds a result open (a `fetchone` keeps its transaction), so
a reader hands its writes to the writer with nothing open, and the writer checkpoints with
the pool paused."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

from kaohe.store import Store
from kaohe.web import audit
from kaohe.web.services import checkpoint
from kaohe.web.workers import ReadPool, Writer

GIVE_UP_S = 60  # only a deadlock takes this long


def _pool(tmp_path: Path, auto_checkpoint: bool) -> tuple[Store, Writer, ReadPool]:
    store = Store(tmp_path / "k.duckdb")
    threshold = "1KB" if auto_checkpoint else "1000GB"  # 1KB: every commit checkpoints
    store.con.execute(f"SET checkpoint_threshold = '{threshold}'")
    writer = Writer(store)
    return store, writer, ReadPool(store, 2, writer.call)


def test_a_reader_waiting_for_the_writer_leaves_no_result_open(tmp_path: Path) -> None:
    store, writer, pool = _pool(tmp_path, auto_checkpoint=True)
    try:
        with pool.extra() as reader, ThreadPoolExecutor(1) as run:
            # a result read with fetchone stays open: the writer's commit checkpoints and
            # would wait for it for ever while this reader waits for the writer
            reader.con.execute("SELECT count(*) FROM audit_log").fetchone()
            job = lambda st: audit.record(st, None, "probe", "written")  # noqa: E731
            run.submit(reader.write, job).result(timeout=GIVE_UP_S)
            assert audit.entries(reader, "probe")[0]["detail"] == "written"
    finally:
        writer.close(5)
        pool.close(5)
        store.close()


def test_the_writer_checkpoints_once_the_lent_readers_are_back(tmp_path: Path) -> None:
    store, writer, pool = _pool(tmp_path, auto_checkpoint=False)
    app = SimpleNamespace(state=SimpleNamespace(readers=pool, store=store))
    lent, back = threading.Event(), threading.Event()

    def busy_request() -> None:
        with pool.extra() as reader:
            reader.con.execute("SELECT count(*) FROM audit_log").fetchone()  # left open
            lent.set()
            back.wait(GIVE_UP_S)

    try:
        audit.record(store, None, "probe", "in the WAL")
        wal = Path(f"{store.path}.wal")
        assert wal.exists() and wal.stat().st_size > 0
        request = threading.Thread(target=busy_request)
        request.start()
        lent.wait(GIVE_UP_S)
        done = writer.submit(lambda st: checkpoint(app, st))
        back.set()  # the request ends: its reader is settled on the way back
        assert done.result(timeout=GIVE_UP_S) is True
        request.join(GIVE_UP_S)
        assert not wal.exists() or wal.stat().st_size == 0
        with pool.extra() as reader:  # lending again
            assert audit.entries(reader, "probe")[0]["detail"] == "in the WAL"
    finally:
        writer.close(5)
        pool.close(5)
        store.close()
