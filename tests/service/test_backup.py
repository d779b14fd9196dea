"""A backup taken while imports run restores to a store that passes the integrity check and
holds every import committed before it, whole (none half), and `kaohe restore` refuses a
store a server holds."""

from __future__ import annotations

import threading
from pathlib import Path

from kaohe.service.backup import Manifest, check_integrity, manifest_path, restore
from kaohe.store import Store
from kaohe.web.app import close_app, create_app
from kaohe.web.pages.imports import import_settings
from tests.service.conftest import tiny_store

HEADER = "order_id,shop,buyer,created_at,paid_at,amount,status\n"
FILES, ROWS = 12, 200


def _orders(folder: Path, n: int) -> Path:
    path = folder / f"orders-{n:02}.csv"
    lines = [
        f"f{n}-{i},s1,b{i},2026-10-05 10:00:00,2026-10-05 10:05:00,{i},paid\n" for i in range(ROWS)
    ]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def test_a_backup_during_imports_holds_every_committed_import(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from kaohe.imports import import_file
    from kaohe.service.backup import backup_into

    db = tiny_store(tmp_path)
    app = create_app(db, secret_key="k")
    settings = import_settings(SimpleNamespace(app=app))  # type: ignore[arg-type]
    files = [_orders(tmp_path, n) for n in range(FILES)]
    backups: list[Path] = []
    try:

        def importing() -> None:
            for path in files:
                app.state.writer.call(lambda st, p=path: import_file(st, p, **settings))

        worker = threading.Thread(target=importing)
        worker.start()
        while worker.is_alive() and len(backups) < 6:
            with app.state.readers.extra() as st:
                backups.append(backup_into(st.con, tmp_path / "backups")[0])
        worker.join(120)
    finally:
        close_app(app)
    assert backups
    for number, copy in enumerate(backups):
        manifest = Manifest.load(manifest_path(copy))
        target = tmp_path / f"restored-{number}.duckdb"
        counts = restore(copy, target)  # checks the copy against its manifest first
        assert counts == check_integrity(target)
        with Store(target, read_only=True) as st:
            imports = st.con.execute("SELECT import_id FROM import_log ORDER BY 1").fetchall()
            per_import = dict(
                st.con.execute(
                    "SELECT import_id, count(*) FROM orders WHERE order_id LIKE 'f%' GROUP BY 1"
                ).fetchall()
            )
        assert len(imports) == manifest.imports
        # every committed import is there whole; nothing of an import after the copy
        assert set(per_import) == {r[0] for r in imports}
        assert all(count == ROWS for count in per_import.values())


def test_restore_is_refused_while_a_server_holds_the_store(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    from kaohe.service.client import server_file

    db = tiny_store(tmp_path)
    with Store(db) as st:
        from kaohe.service.backup import backup_into

        copy, _ = backup_into(st.con, tmp_path / "b")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # a live process named in the server file: what `kaohe serve` writes
        info = {"pid": sleeper.pid, "url": "http://127.0.0.1:9", "key": "x"}
        server_file(db).write_text(json.dumps(info), encoding="utf-8")
        from click.testing import CliRunner

        from kaohe.cli import cli

        result = CliRunner().invoke(cli, ["--db", str(db), "restore", str(copy), "--yes"])
        assert result.exit_code == 4
        assert "kaohe serve" in result.stderr and str(sleeper.pid) in result.stderr
    finally:
        sleeper.kill()
        sleeper.wait()
    os.unlink(server_file(db))
    result = CliRunner().invoke(cli, ["--db", str(db), "restore", str(copy), "--yes"])
    assert result.exit_code == 0, result.stderr
