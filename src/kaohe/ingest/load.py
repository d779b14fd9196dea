"""Import files into the store: read, map with a preset, validate, then write atomically.

Each file is one transaction: new rows, upserts, quarantine entries, agents first seen and
the import-log row all commit together or not at all.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from kaohe import schema
from kaohe.errors import UsageError
from kaohe.ingest.readers import RawFile, read_raw
from kaohe.ingest.validate import validate
from kaohe.schema import Table
from kaohe.store import Store

ROW = "_row"
STAGE = "_kaohe_stage"
UPSERT = "_kaohe_upsert"
SEP = "chr(31)"
OCC = "_occ"
TEST_SLEEP_ENV = "KAOHE_TEST_SLEEP_IN_TX"  # tests: pause inside the transaction
TEST_MARK = "KAOHE_IN_TRANSACTION"

Progress = Callable[[str], None]


@dataclass
class ImportResult:
    file: str
    table: str
    preset: str
    sha256: str
    read: int
    inserted: int
    updated: int
    rejected: int
    new_agents: list[str] = field(default_factory=list)
    import_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# ---------------------------------------------------------------- mapping


def _chat_frame(
    raw: RawFile,
    platform: str | None,
    shop: str | None,
) -> tuple[str, pl.DataFrame]:
    from kaohe.ingest.chat_window import parse_chat_window
    from kaohe.ingest.presets import apply_preset, list_presets

    frame = parse_chat_window(raw.text or "", shop=shop, platform=platform)
    text_presets = [p for p in list_presets() if p.kind == "text" and p.table == "messages"]
    if text_presets:
        preset = text_presets[0]
        return preset.id, apply_preset(preset, frame, platform=platform, shop=shop)
    return "chat_window", frame


def map_frame(
    raw: RawFile,
    table: str | None,
    preset: str | None,
    platform: str | None,
    shop: str | None,
    period: str | None = None,
) -> tuple[Table, str, pl.DataFrame]:
    """The target table, the preset id and the canonical all-text frame."""
    from kaohe.ingest.presets import apply_preset, detect_preset, load_preset

    if table is not None and table not in schema.TABLES:
        raise UsageError(f"unknown table {table!r} (known: {', '.join(schema.TABLES)})")
    if raw.format == "chat":
        if table not in (None, "messages"):
            raise UsageError(f"{raw.path}: a chat-window text file imports into messages")
        preset_id, frame = _chat_frame(raw, platform, shop)
        return schema.TABLES["messages"], preset_id, frame
    headers = [c for c in raw.frame.columns if c != ROW]
    headers += [
        name
        for name, given in (("shop", shop), ("platform", platform))
        if given and name not in headers
    ]  # --shop/--platform stand in for a column
    chosen = load_preset(preset, table) if preset else detect_preset(headers, table)
    if table is not None and chosen.table != table:
        raise UsageError(f"preset {chosen.id!r} is for table {chosen.table}, not {table}")
    frame = apply_preset(chosen, raw.frame, platform=platform, shop=shop, period=period)
    return schema.TABLES[chosen.table], chosen.id, frame


def check_columns(table: Table, frame: pl.DataFrame, path: str) -> None:
    """A required column the file does not have at all is a usage error, not N rejects."""
    missing = [
        c.name
        for c in table.columns
        if c.required
        and c.name not in frame.columns
        and (table.name, c.name) != ("messages", "text")
    ]
    if missing:
        hint = " (pass --shop)" if "shop" in missing else ""
        raise UsageError(
            f"{path}: no column for required {', '.join(missing)} of table {table.name}{hint}"
        )


# ---------------------------------------------------------------- SQL helpers


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _full_stage_sql(table: Table, frame: pl.DataFrame) -> str:
    """Every column of the table from the staged frame; absent ones as typed NULL."""
    parts = [q(ROW)] + ([OCC] if OCC in frame.columns else [])
    for col in table.columns:
        if col.name in frame.columns:
            parts.append(q(col.name))
        else:
            parts.append(f"CAST(NULL AS {col.sql_type}) AS {q(col.name)}")
    if table.name == "ratings":
        label = q("level_label") if "level_label" in frame.columns else "CAST(NULL AS VARCHAR)"
        parts.append(f"{label} AS level_label")
    return f"SELECT {', '.join(parts)} FROM {STAGE}"


def _text(expr: str, kind: str) -> str:
    if kind == "time":
        return f"coalesce(strftime({expr}, '%Y-%m-%d %H:%M:%S.%f'), '')"
    return f"coalesce(CAST({expr} AS VARCHAR), '')"


def _hash_sql(table: Table, names: Iterable[str], extra: str | None = None) -> str:
    parts = [_text(q(n), table.column(n).kind) for n in names]
    if extra:
        parts.append(extra)
    return f"md5(concat_ws({SEP}, {', '.join(parts)}))"


MSG_IDENTITY = ("shop", "buyer", "agent", "sender", "time", "text")


def _msg_key_sql(table: Table) -> str:
    """md5(shop|msg_id), else md5 of the identity columns; a repeat of identical content in
    the file (its occurrence index n > 0, see `prepare_messages`) gets md5(that hash#n)."""
    content = _hash_sql(table, MSG_IDENTITY)
    by_id = "md5(shop || '|' || msg_id)"
    repeat = f"md5({content} || '#' || CAST({OCC} AS VARCHAR))"
    return (
        f"CASE WHEN msg_id IS NOT NULL THEN {by_id} WHEN {OCC} = 0 THEN {content} ELSE {repeat} END"
    )


def occurrences(frame: pl.DataFrame, columns: list[str]) -> pl.Series:
    """0 for the first row of each distinct content, 1, 2, ... for its repeats; the window
    runs only over the (usually few) repeated rows."""
    occ = pl.zeros(frame.height, pl.Int64, eager=True).alias(OCC)
    repeated = frame.select(pl.struct(columns).is_duplicated()).to_series().arg_true()
    if repeated.len() == 0:
        return occ
    sub = frame[repeated].select(pl.int_range(pl.len(), dtype=pl.Int64).over(columns))
    return occ.scatter(repeated, sub.to_series())


def prepare_messages(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `_occ`, the occurrence index of identical content rows in the file, and drop a
    repeated (shop, msg_id) after its first row: first write wins within a file too."""
    frame = frame.with_columns(occurrences(frame, [c for c in MSG_IDENTITY if c in frame.columns]))
    if "msg_id" in frame.columns:
        first = pl.struct("shop", "msg_id").is_first_distinct() | pl.col("msg_id").is_null()
        frame = frame.filter(first)
    return frame


def _reserve_seq(con: duckdb.DuckDBPyConnection, n: int) -> int:
    """Take n values of message_seq; returns the first."""
    if n == 0:
        return 0
    top = con.execute("SELECT max(nextval('message_seq')) FROM range(?)", [n]).fetchone()[0]
    return int(top) - n + 1


# ---------------------------------------------------------------- writers


def _messages_empty(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) FROM (SELECT 1 FROM messages LIMIT 1)").fetchone()[0] == 0


def insert_messages(
    con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame, import_id: int
) -> int:
    """New messages only: identity already stored (or earlier in the file) wins.
    seq follows file order: a reserved block of message_seq offset by the row number."""
    first_row = int(frame[ROW].min())  # type: ignore[arg-type]
    base = _reserve_seq(con, int(frame[ROW].max()) - first_row + 1)  # type: ignore[arg-type]
    cols = ", ".join(q(c) for c in table.column_names)
    unique = f"SELECT *, {_msg_key_sql(table)} AS msg_key FROM ({_full_stage_sql(table, frame)})"
    new = (
        unique
        if _messages_empty(con)
        else f"SELECT d.* FROM ({unique}) AS d ANTI JOIN messages AS m ON m.msg_key = d.msg_key"
    )
    sql = f"""INSERT INTO messages ({cols}, msg_key, seq, import_id, source_row)
        SELECT {cols}, msg_key, {q(ROW)} + ?, ?, {q(ROW)} FROM ({new})"""
    return int(con.execute(sql, [base - first_row, import_id]).fetchone()[0])


def _key_exprs(table: Table) -> dict[str, str]:
    """SQL for each key column of the staged rows (nullable text keys become '')."""
    out: dict[str, str] = {}
    for name in table.key:
        if name == "rating_key":
            content = _hash_sql(table, ("shop", "buyer", "agent", "time", "level"))
            out[name] = f"coalesce(rating_id, {content})"
        elif table.column(name).required:
            out[name] = q(name)
        else:
            out[name] = f"coalesce({q(name)}, '')"
    return out


def _stage_upserts(con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame) -> None:
    keys = _key_exprs(table)
    plain = [c for c in table.column_names if c not in keys]
    extra = ["level_label"] if table.name == "ratings" else []
    select = [f"{expr} AS {q(k)}" for k, expr in keys.items()] + [q(c) for c in plain + extra]
    part = ", ".join(q(k) for k in keys)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {UPSERT} AS
        SELECT {q(ROW)}, {", ".join(select)} FROM ({_full_stage_sql(table, frame)})
        QUALIFY row_number() OVER (PARTITION BY {part} ORDER BY {q(ROW)} DESC) = 1""")


def _update_columns(table: Table, frame: pl.DataFrame) -> list[str]:
    """Columns a re-import may change: those the file has, minus the key."""
    present = [c for c in table.column_names if c in frame.columns and c not in table.key]
    if table.name == "ratings" and "level" in frame.columns:
        present.append("level_label")
    return present


def upsert_rows(
    con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame, import_id: int
) -> tuple[int, int]:
    """(inserted, updated): an existing row counts as updated only when a value changed."""
    _stage_upserts(con, table, frame)
    on = " AND ".join(f"t.{q(k)} = u.{q(k)}" for k in table.key)
    changed = _update_columns(table, frame)
    updated = 0
    if changed:
        sets = ", ".join(f"{q(c)} = u.{q(c)}" for c in changed)
        differ = " OR ".join(f"t.{q(c)} IS DISTINCT FROM u.{q(c)}" for c in changed)
        updated = con.execute(
            f"UPDATE {q(table.name)} AS t SET {sets}, import_id = ?, source_row = u.{q(ROW)} "
            f"FROM {UPSERT} AS u WHERE {on} AND ({differ})",
            [import_id],
        ).fetchone()[0]
    names = list(table.key) + [c for c in table.column_names if c not in table.key]
    names += ["level_label"] if table.name == "ratings" else []
    cols = ", ".join(q(c) for c in names)
    inserted = con.execute(
        f"INSERT INTO {q(table.name)} ({cols}, import_id, source_row) "
        f"SELECT {', '.join('u.' + q(c) for c in names)}, ?, u.{q(ROW)} FROM {UPSERT} AS u "
        f"WHERE NOT EXISTS (SELECT 1 FROM {q(table.name)} AS t WHERE {on})",
        [import_id],
    ).fetchone()[0]
    con.execute(f"DROP TABLE IF EXISTS {UPSERT}")
    return int(inserted), int(updated)


def add_missing_agents(
    con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame, import_id: int
) -> list[str]:
    """Agents seen in the data but not on the roster join it with role 'unknown'."""
    if table.name == "agents" or "agent" not in frame.columns:
        return []
    shops = "string_agg(DISTINCT shop, ',' ORDER BY shop)" if "shop" in frame.columns else "NULL"
    rows = con.execute(
        f"""
        INSERT INTO agents (agent, shops, role, import_id)
        SELECT agent, {shops}, 'unknown', ? FROM {STAGE}
        WHERE agent IS NOT NULL AND agent NOT IN (SELECT agent FROM agents)
        GROUP BY agent ORDER BY agent
        RETURNING agent""",
        [import_id],
    ).fetchall()
    return sorted(r[0] for r in rows)


def write_quarantine(
    con: duckdb.DuckDBPyConnection,
    raw: RawFile,
    table: Table,
    rejects: pl.DataFrame,
    import_id: int,
) -> None:
    if rejects.is_empty():
        return
    con.register("_kaohe_rejects", rejects)
    try:
        con.execute(
            """
            INSERT INTO quarantine (file, sha256, "row", "column", value, reason, table_name,
                                    import_id)
            SELECT ?, ?, "row", "column", value, reason, ?, ? FROM _kaohe_rejects
            ON CONFLICT DO NOTHING""",
            [raw.path, raw.sha256, table.name, import_id],
        )
    finally:
        con.unregister("_kaohe_rejects")


def write_log(con: duckdb.DuckDBPyConnection, result: ImportResult) -> None:
    con.execute(
        "INSERT INTO import_log (import_id, file, sha256, table_name, preset, rows_read, "
        "rows_inserted, rows_updated, rows_rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.import_id,
            result.file,
            result.sha256,
            result.table,
            result.preset,
            result.read,
            result.inserted,
            result.updated,
            result.rejected,
        ],
    )


def _test_pause() -> None:
    """Lets the atomicity test kill the process while the transaction is open."""
    seconds = os.environ.get(TEST_SLEEP_ENV)
    if seconds:
        print(TEST_MARK, file=sys.stderr, flush=True)
        time.sleep(float(seconds))


# ---------------------------------------------------------------- entry points


def _step(progress: Progress | None, stage: str) -> None:
    if progress is not None:
        progress(stage)


def write_rows(
    con: duckdb.DuckDBPyConnection, table: Table, typed: pl.DataFrame, import_id: int
) -> tuple[int, int]:
    if typed.is_empty():
        return 0, 0
    if table.upsert:
        return upsert_rows(con, table, typed, import_id)
    return insert_messages(con, table, typed, import_id), 0


def import_file(
    store: Store,
    path: str | Path,
    *,
    table: str | None = None,
    preset: str | None = None,
    platform: str | None = None,
    shop: str | None = None,
    zone: str = "Asia/Shanghai",
    progress: Progress | None = None,
    period: str | None = None,
) -> ImportResult:
    """Import one file in one transaction; see the module docstring. `period` dates a
    platform report export that has no 日期 column."""
    _step(progress, "read")
    raw = read_raw(path)
    tbl, preset_id, frame = map_frame(raw, table, preset, platform, shop, period)
    check_columns(tbl, frame, raw.path)
    _step(progress, "validate")
    typed, rejects = validate(tbl, frame, zone)
    result = ImportResult(
        raw.path, tbl.name, preset_id, raw.sha256, frame.height, 0, 0, rejects["row"].n_unique()
    )
    _step(progress, "write")
    # Row order is carried by seq/source_row; letting DuckDB write out of order makes the
    # commit of a million-row file ~0.6 s faster on 2 cores (benchmarks/import_bench.py).
    store.con.execute("SET preserve_insertion_order = false")
    try:
        with store.transaction() as con:
            _write_all(con, tbl, raw, typed, rejects, result)
            _test_pause()
    finally:
        store.con.execute("RESET preserve_insertion_order")
    _step(progress, "done")
    return result


def _write_all(
    con: duckdb.DuckDBPyConnection,
    tbl: Table,
    raw: RawFile,
    typed: pl.DataFrame,
    rejects: pl.DataFrame,
    result: ImportResult,
) -> None:
    result.import_id = int(con.execute("SELECT nextval('import_id_seq')").fetchone()[0])
    if tbl.name == "qa_reviews":  # a second review of a session must say 复核 or 校准
        from kaohe.qa.reviews import hold_unmarked_rereviews

        typed, rejects = hold_unmarked_rereviews(con, typed, rejects)
        result.rejected = rejects["row"].n_unique()
    if tbl.name == "messages" and not typed.is_empty():
        typed = prepare_messages(typed)
    con.register(STAGE, typed)
    try:
        result.inserted, result.updated = write_rows(con, tbl, typed, result.import_id)
        result.new_agents = add_missing_agents(con, tbl, typed, result.import_id)
    finally:
        con.unregister(STAGE)
    write_quarantine(con, raw, tbl, rejects, result.import_id)
    write_log(con, result)
    if tbl.name == "qa_reviews":  # scores against the preset scorecards, for the metrics
        from kaohe.qa.reviews import refresh_review_scores

        refresh_review_scores(con)


def import_files(
    store: Store,
    paths: Iterable[str | Path],
    *,
    table: str | None = None,
    preset: str | None = None,
    platform: str | None = None,
    shop: str | None = None,
    zone: str = "Asia/Shanghai",
    progress: Progress | None = None,
) -> list[ImportResult]:
    """Import several files, each in its own transaction (one failing file raises; the
    files before it stay imported)."""
    return [
        import_file(
            store,
            p,
            table=table,
            preset=preset,
            platform=platform,
            shop=shop,
            zone=zone,
            progress=progress,
        )
        for p in paths
    ]
