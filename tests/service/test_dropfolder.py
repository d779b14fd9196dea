"""The inbox folder: a file written slowly is imported once, after it is complete; a bad file
lands in rejected/ with its report; the same file twice changes nothing. The clock of the
folder's polls is given (`now`), so the test does not wait."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaohe.config import load_config
from kaohe.service.dropfolder import inbox_settings
from kaohe.web.app import close_app, create_app
from kaohe.web.services import build_tasks, make_drop_folder
from tests.service.conftest import tiny_store

HEADER = "order_id,shop,buyer,created_at,paid_at,amount,status\n"
ROWS = [f"in{i},s1,b{i},2026-10-05 10:00:00,2026-10-05 10:05:00,{i},paid\n" for i in range(1, 7)]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    db = tiny_store(tmp_path)
    config = tmp_path / "kaohe.toml"
    config.write_text('[inbox]\npath = "inbox"\nstable_s = 2\npoll_s = 1\n', encoding="utf-8")
    app = create_app(db, config=load_config(str(config), db=str(db)), secret_key="k")
    folder = make_drop_folder(app, inbox_settings(app.state.config))
    folder.ensure()
    try:
        yield app, folder
    finally:
        close_app(app)


def _count(app: Any, sql: str) -> int:
    return int(app.state.writer.call(lambda st: st.con.execute(sql).fetchone()[0]))


def test_the_inbox_is_a_task_of_the_server(served):
    app, folder = served
    assert folder.folder == Path(app.state.config.db).parent / "inbox"
    tasks = {t.name: t for t in build_tasks(app)}
    assert tasks["inbox"].every_s == 1 and tasks["inbox"].quiet


def test_a_file_written_in_chunks_is_imported_once_when_complete(served):
    app, folder = served
    path = folder.folder / "orders.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "".join(ROWS[:2]))
        out.flush()
        assert folder.poll(now=0) is None  # first seen: not yet stable
        out.write("".join(ROWS[2:4]))
        out.flush()
        assert folder.poll(now=1.5) is None  # grew: seen again
        assert folder.poll(now=3.0) is None  # unchanged for 1.5 s < stable_s
        out.write("".join(ROWS[4:]))
    assert folder.poll(now=4.0) is None  # the last chunk restarts the wait
    done = folder.poll(now=6.5)
    assert done is not None and "inserted 6" in done
    assert not path.exists()
    report = json.loads((folder.folder / "done" / "orders.csv.report.json").read_text("utf-8"))
    assert (report["status"], report["inserted"], report["table"]) == ("imported", 6, "orders")
    assert _count(app, "SELECT count(*) FROM orders WHERE order_id LIKE 'in%'") == 6
    assert _count(app, "SELECT count(*) FROM import_log WHERE file = 'orders.csv'") == 1
    assert folder.poll(now=20) is None  # nothing left


def test_the_same_file_twice_changes_nothing(served):
    app, folder = served
    text = HEADER + "".join(ROWS)
    (folder.folder / "a.csv").write_text(text, encoding="utf-8")
    folder.poll(now=0)
    folder.poll(now=3)
    imports = _count(app, "SELECT count(*) FROM import_log")
    (folder.folder / "a-again.csv").write_text(text, encoding="utf-8")
    (folder.folder / "a.csv").write_text(text, encoding="utf-8")  # the same name again
    folder.poll(now=10)
    line = folder.poll(now=13)
    assert line is not None and line.count("duplicate") == 2
    assert _count(app, "SELECT count(*) FROM import_log") == imports
    assert _count(app, "SELECT count(*) FROM orders WHERE order_id LIKE 'in%'") == 6
    done = sorted(p.name for p in (folder.folder / "done").iterdir())
    assert len([n for n in done if n.endswith(".report.json")]) == 3  # a, a-again, a (renamed)
    again = json.loads((folder.folder / "done" / "a-again.csv.report.json").read_text("utf-8"))
    assert again["status"] == "duplicate" and again["import_id"] >= 1


def test_a_bad_file_lands_in_rejected_with_its_report(served):
    app, folder = served
    (folder.folder / "junk.csv").write_text("what,is,this\n1,2,3\n", encoding="utf-8")
    (folder.folder / "half.csv.part").write_text(HEADER, encoding="utf-8")  # in transit
    folder.poll(now=0)
    line = folder.poll(now=3)
    assert line is not None and "junk.csv" in line and "rejected" in line
    report = json.loads((folder.folder / "rejected" / "junk.csv.report.json").read_text("utf-8"))
    assert report["status"] == "rejected" and report["error"]
    assert (folder.folder / "rejected" / "junk.csv").exists()
    assert (folder.folder / "half.csv.part").exists()  # never touched
    assert _count(app, "SELECT count(*) FROM import_log WHERE file = 'junk.csv'") == 0
