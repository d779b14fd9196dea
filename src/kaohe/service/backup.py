"""Consistent copies of a store while it is in use, and putting one back.

A backup is DuckDB's `COPY FROM DATABASE` inside one read transaction on a connection of its
own: the copy is the store as of one moment (every import committed before it, none after),
and writers go on meanwhile (DuckDB's MVCC; measured: 75 commits of another thread during a
0.6 s copy). Beside the copy, a manifest (JSON) names the schema version, the last import
and the row count of every table, which `check_integrity` compares on restore.

The session key file (<store>.key) is not copied: it is a secret kept apart from the data on
purpose (kaohe.web.sessions). A restored store keeps the key file already beside it, or a new
one is made (everyone logs in again).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kaohe.errors import NotFoundError, UsageError

SUFFIX = ".duckdb"
MANIFEST = ".manifest.json"
_copying = threading.Lock()  # one copy at a time per process (ATTACH names, disk)


@dataclass
class Manifest:
    """What a backup holds, written beside it."""

    file: str
    taken_at: str
    schema_version: int
    last_import: int | None
    imports: int
    rows: dict[str, int] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), "utf-8")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text("utf-8")))


def manifest_path(copy: Path) -> Path:
    return copy.with_name(copy.name + MANIFEST)


def _tables(con: Any, catalog: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY table_name",
        [catalog],
    ).fetchall()
    return [str(r[0]) for r in rows]


def _counts(con: Any, catalog: str) -> dict[str, int]:
    return {
        t: int(con.execute(f'SELECT count(*) FROM "{catalog}"."{t}"').fetchone()[0])
        for t in _tables(con, catalog)
    }


def _current_catalog(con: Any) -> str:
    return str(con.execute("SELECT current_database()").fetchone()[0])


def copy_store(con: Any, target: Path) -> Manifest:
    """Copy the database `con` is connected to into a new file `target`, as of one moment,
    with its manifest; `con` must be a connection of its own (a cursor), not in use."""
    from kaohe.store import schema_version

    if target.exists():
        raise UsageError(f"备份文件已存在 / the backup file exists: {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    alias = f"kaohe_backup_{secrets.token_hex(4)}"
    source = _current_catalog(con)
    with _copying:
        con.execute(f"ATTACH '{_sql_path(partial)}' AS {alias}")
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(f"COPY FROM DATABASE {source} TO {alias}")
                rows = _counts(con, alias)
                last, imports = con.execute(
                    f"SELECT max(import_id), count(*) FROM {alias}.import_log"
                ).fetchone()
                version = schema_version_of(con, alias) or schema_version(con)
            finally:
                con.execute("COMMIT")
        finally:
            con.execute(f"DETACH {alias}")
    os.replace(partial, target)
    manifest = Manifest(
        target.name,
        datetime.now().isoformat(timespec="seconds"),
        version,
        None if last is None else int(last),
        int(imports),
        rows,
    )
    manifest.save(manifest_path(target))
    return manifest


def schema_version_of(con: Any, catalog: str) -> int:
    row = con.execute(f"SELECT max(version) FROM {catalog}.schema_version").fetchone()
    return int(row[0] or 0)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def backup_name(now: datetime | None = None) -> str:
    return f"kaohe-{(now or datetime.now()):%Y%m%d-%H%M%S}{SUFFIX}"


def backup_into(con: Any, folder: str | Path, now: datetime | None = None) -> tuple[Path, Manifest]:
    """A new backup in `folder` (created when missing) named by its time."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"不是文件夹 / not a folder: {folder}")
    target = folder / backup_name(now)
    n = 1
    while target.exists():  # two backups within a second
        target = folder / f"{target.stem.split('.')[0]}-{n}{SUFFIX}"
        n += 1
    return target, copy_store(con, target)


def check_integrity(path: str | Path, manifest: Manifest | None = None) -> dict[str, int]:
    """Open a store file read-only, read every table whole and compare its row counts with
    the manifest's; returns the counts. KaoheError (exit 6) when it does not hold."""
    import duckdb

    from kaohe.errors import EXIT_STORE_DAMAGED, StoreError

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise StoreError(
            f"备份无法打开 / the backup cannot be opened: {path}: {exc}", EXIT_STORE_DAMAGED
        ) from None
    try:
        catalog = _current_catalog(con)
        counts = _counts(con, catalog)
        for table in counts:  # every column of every row is read: a damaged block shows
            con.execute(f'SELECT * FROM "{table}"').fetch_arrow_table()
    except duckdb.Error as exc:
        raise StoreError(
            f"备份已损坏 / the backup is damaged: {path}: {exc}", EXIT_STORE_DAMAGED
        ) from None
    finally:
        con.close()
    if manifest is not None:
        differ = {t: (n, counts.get(t)) for t, n in manifest.rows.items() if counts.get(t) != n}
        if differ:
            first = next(iter(differ.items()))
            raise StoreError(
                f"备份与清单不符 / the backup differs from its manifest: {path}: table "
                f"{first[0]} holds {first[1][1]} rows, the manifest says {first[1][0]}",
                EXIT_STORE_DAMAGED,
            )
    return counts


def restore(backup: str | Path, db: str | Path) -> dict[str, int]:
    """Check a backup, then put it in place of the store `db` (the store must not be in
    use: restoring under a running server is refused by the store's lock). The store being
    replaced is kept beside it as <db>.before-restore-<time>. Returns the row counts."""
    backup, db = Path(backup), Path(db)
    if not backup.is_file():
        raise NotFoundError(f"找不到备份 / backup not found: {backup}")
    manifest_file = manifest_path(backup)
    manifest = Manifest.load(manifest_file) if manifest_file.exists() else None
    counts = check_integrity(backup, manifest)
    if db.exists():
        _require_free(db)
    staged = db.with_name(f".{db.name}.restoring")
    shutil.copyfile(backup, staged)
    if db.exists():
        kept = db.with_name(f"{db.name}.before-restore-{datetime.now():%Y%m%d-%H%M%S}")
        os.replace(db, kept)
        wal = Path(f"{db}.wal")
        if wal.exists():
            os.replace(wal, Path(f"{kept}.wal"))
    os.replace(staged, db)
    from kaohe.store import Store

    Store(db).close()  # migrated to this version's schema, if the backup is older
    return counts


def _require_free(db: Path) -> None:
    """No other process has the store open (a running server): busy is one line, exit 4. A
    store too damaged to open is what a restore is for: that is no reason to stop."""
    from kaohe.errors import EXIT_STORE_BUSY, StoreError
    from kaohe.store import Store

    try:
        Store(db).close()
    except StoreError as exc:
        if exc.exit_code == EXIT_STORE_BUSY:
            raise
