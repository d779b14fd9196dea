"""Import files into the store: read, map with a preset, validate, then write atomically.

Each file is one transaction: new rows, upserts, quarantine entries, agents first seen and
the import-log row all commit together or not at all. Every record read is accounted for:
read = inserted + updated + rejected + skipped, and each skip has a reason (a blank or
summary row, a repeat, a row already stored).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from kaohe import schema
from kaohe.errors import UsageError
from kaohe.ingest.detect import choose, header_matcher
from kaohe.ingest.limits import DEFAULT_LIMITS, ImportLimits
from kaohe.ingest.presets import Mapped, list_presets, map_with_preset
from kaohe.ingest.readers import RawFile, read_raw
from kaohe.ingest.validate import REJECT_SCHEMA, validate
from kaohe.schema import Table
from kaohe.store import Store

ROW = "_row"
STAGE = "_kaohe_stage"
UPSERT = "_kaohe_upsert"
SEP = "chr(31)"
OCC = "_occ"
TEST_SLEEP_ENV = "KAOHE_TEST_SLEEP_IN_TX"  # tests: pause inside the transaction
TEST_MARK = "KAOHE_IN_TRANSACTION"
QUARANTINE_VALUE_CHARS = 500  # a rejected value is kept up to this length (then "…")

Progress = Callable[[str], None]


SKIP_LISTED = 20  # row numbers listed per skip reason


@dataclass(frozen=True)
class TableRules:
    """What the part that owns a table adds to its import, inside the import's transaction:
    `check` refuses more rows (they go to quarantine with the others; typed rows and rejects
    in, the same out), `after` refreshes what that part derives from the table."""

    check: Callable[
        [duckdb.DuckDBPyConnection, pl.DataFrame, pl.DataFrame],
        tuple[pl.DataFrame, pl.DataFrame],
    ]
    after: Callable[[duckdb.DuckDBPyConnection], object]


# tables another part derives figures from (qa_reviews → qa_review_scores): imported only
# with that part's rules, which kaohe.imports gives every import
RULED_TABLES = frozenset({"qa_reviews"})


def table_rules(table: Table, rules: Mapping[str, TableRules]) -> TableRules | None:
    """The owner's rules for `table`; a ruled table without them is a programming error."""
    if table.name in RULED_TABLES and table.name not in rules:
        raise ValueError(f"{table.name} is imported with its owner's rules: use kaohe.imports")
    return rules.get(table.name)


@dataclass
class ImportResult:
    """One file's import. `read` counts records: a file row of a table, or one metric value
    of a report (an agent row holds several); a skipped report row counts once."""

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
    skipped: int = 0
    skips: list[dict[str, object]] = field(default_factory=list)  # reason, count, rows
    ignored_columns: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)  # header -> the unit read from it
    period: str | None = None
    period_source: str | None = None  # date column, option, title row, file name
    header_row: int | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def skip(self, reason: str, count: int, rows: list[int] | None = None) -> None:
        """Count `count` skipped records under `reason` (listing the first rows)."""
        if count <= 0:
            return
        self.skipped += count
        for entry in self.skips:
            if entry["reason"] == reason:
                entry["count"] = int(entry["count"]) + count  # type: ignore[call-overload]
                listed = list(entry["rows"]) + list(rows or [])  # type: ignore[call-overload]
                entry["rows"] = listed[:SKIP_LISTED]
                return
        self.skips.append({"reason": reason, "count": count, "rows": (rows or [])[:SKIP_LISTED]})


R_REPEAT_ID = "同一文件中重复的消息ID / repeated message id in the file"
R_STORED = "已导入过 / already in the store"
R_REPEAT_KEY = "同一文件中重复，以最后一行为准 / repeated in the file, the last row wins"
R_UNCHANGED = "与已导入的数据相同 / unchanged"


# ---------------------------------------------------------------- mapping


@dataclass
class MappedFile:
    table: Table
    preset: str
    mapped: Mapped

    @property
    def frame(self) -> pl.DataFrame:
        return self.mapped.frame


def _chat_frame(raw: RawFile, platform: str | None, shop: str | None) -> tuple[str, Mapped]:
    from kaohe.ingest.chat_window import parse_chat_window

    frame = parse_chat_window(raw.text or "", shop=shop, platform=platform)
    text_presets = [p for p in list_presets() if p.kind == "text" and p.table == "messages"]
    if text_presets:
        preset = text_presets[0]
        return preset.id, map_with_preset(preset, frame, platform=platform, shop=shop)
    return "chat_window", Mapped(frame)


def map_file(
    raw: RawFile,
    table: str | None,
    preset: str | None,
    platform: str | None,
    shop: str | None,
    period: str | None = None,
    mappings: Path | None = None,
) -> MappedFile:
    """The target table, the preset and the canonical all-text rows, with what was skipped
    and which headers were not read. A preset that lacks a column raises DetectionError."""
    if table is not None and table not in schema.TABLES:
        raise UsageError(
            f"未知的表 {table!r} / unknown table {table!r} (known: {', '.join(schema.TABLES)})"
        )
    if raw.format == "chat":
        if table not in (None, "messages"):
            raise UsageError(
                f"{raw.name}: 聊天窗口文本只能导入 messages / "
                "a chat-window text file imports into messages"
            )
        preset_id, mapped = _chat_frame(raw, platform, shop)
        return MappedFile(schema.TABLES["messages"], preset_id, mapped)
    headers = [c for c in raw.frame.columns if c != ROW]
    given = frozenset(name for name, value in (("shop", shop), ("platform", platform)) if value)
    chosen = choose(headers, table, preset, given, mappings, raw.name).preset
    mapped = map_with_preset(
        chosen,
        raw.frame,
        platform=platform,
        shop=shop,
        period=period,
        title_lines=raw.title_lines,
        file_name=raw.name,
    )
    return MappedFile(schema.TABLES[chosen.table], chosen.id, mapped)


def map_frame(
    raw: RawFile,
    table: str | None,
    preset: str | None,
    platform: str | None,
    shop: str | None,
    period: str | None = None,
) -> tuple[Table, str, pl.DataFrame]:
    """The target table, the preset id and the canonical all-text frame (see map_file)."""
    done = map_file(raw, table, preset, platform, shop, period)
    return done.table, done.preset, done.frame


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
        names = ", ".join(missing)
        raise UsageError(
            f"{Path(path).name}: 缺少必需的列 {names}（{table.label}） / "
            f"no column for required {names} of table {table.name}"
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
    inserted, updated, _ = upsert_counts(con, table, frame, import_id)
    return inserted, updated


def upsert_counts(
    con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame, import_id: int
) -> tuple[int, int, int]:
    """(inserted, updated, distinct keys staged): a key repeated in the file is staged once
    (its last row)."""
    _stage_upserts(con, table, frame)
    staged = int(con.execute(f"SELECT count(*) FROM {UPSERT}").fetchone()[0])
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
    return int(inserted), int(updated), staged


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
            SELECT ?, ?, "row", "column",
                   CASE WHEN length(value) > ? THEN left(value, ?) || '…' ELSE value END,
                   reason, ?, ? FROM _kaohe_rejects
            ON CONFLICT DO NOTHING""",
            [
                raw.path,
                raw.sha256,
                QUARANTINE_VALUE_CHARS,
                QUARANTINE_VALUE_CHARS,
                table.name,
                import_id,
            ],
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


def _write_counted(
    con: duckdb.DuckDBPyConnection, table: Table, typed: pl.DataFrame, result: ImportResult
) -> None:
    """Insert or upsert, counting what was not written and why."""
    assert result.import_id is not None
    if typed.is_empty():
        return
    if table.upsert:
        inserted, updated, staged = upsert_counts(con, table, typed, result.import_id)
        result.skip(R_REPEAT_KEY, typed.height - staged)
        result.skip(R_UNCHANGED, staged - inserted - updated)
    else:
        inserted, updated = insert_messages(con, table, typed, result.import_id), 0
        result.skip(R_STORED, typed.height - inserted)
    result.inserted, result.updated = inserted, updated


def _validate_records(
    tbl: Table, done: MappedFile, zone: str, limits: ImportLimits
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validation of the mapped rows. A report's rows are metric values, several per file
    row: each is validated as its own record and a reject names its metric."""
    frame = done.frame
    if done.mapped.records_per_row:
        return validate(tbl, frame, zone, limits)
    records = frame.with_row_index("_rec").with_columns(pl.col("_rec").cast(pl.Int64))
    lookup = records.select(pl.col("_rec").alias(ROW), pl.col(ROW).alias("_file_row"), "metric")
    typed, rejects = validate(tbl, records.drop(ROW).rename({"_rec": ROW}), zone, limits)
    typed = (
        typed.join(lookup.drop("metric"), on=ROW, how="left").drop(ROW).rename({"_file_row": ROW})
    )
    rejects = (
        rejects.join(lookup, left_on="row", right_on=ROW, how="left")
        .with_columns(
            pl.col("_file_row").alias("row"),
            pl.concat_str([pl.col("column"), pl.lit(":"), pl.col("metric")]).alias("column"),
        )
        .select(list(REJECT_SCHEMA))
    )
    return typed, rejects


def _source_skips(result: ImportResult, mapped: Mapped) -> None:
    for row in mapped.skipped:
        result.skip(row.reason, 1, [row.row])


def _describe(result: ImportResult, raw: RawFile, mapped: Mapped) -> None:
    result.ignored_columns = list(mapped.ignored)
    result.units = dict(mapped.units)
    result.header_row = raw.header_row
    result.notes = list(raw.notes)
    if mapped.period is not None:
        result.period = mapped.period.label or None
        result.period_source = mapped.period.source


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
    limits: ImportLimits | None = None,
    mappings: Path | None = None,
    rules: Mapping[str, TableRules] | None = None,
) -> ImportResult:
    """Import one file in one transaction; see the module docstring. `period` dates a
    platform report that has no 日期 column (else a title row or the file name does);
    `mappings` is the folder of the users' saved mappings, tried by detection; `rules` are
    the table owners' (TableRules, kaohe.imports)."""
    limits = limits or DEFAULT_LIMITS
    _step(progress, "read")
    raw = read_raw(path, limits, header_matcher(mappings))
    done = map_file(raw, table, preset, platform, shop, period, mappings)
    tbl = done.table
    rule = table_rules(tbl, rules or {})
    check_columns(tbl, done.frame, raw.path)
    _step(progress, "validate")
    typed, rejects = _validate_records(tbl, done, zone, limits)
    reader_rows = raw.rejects["row"].n_unique()
    result = ImportResult(
        raw.path,
        tbl.name,
        done.preset,
        raw.sha256,
        done.frame.height + len(done.mapped.skipped) + reader_rows,
        0,
        0,
        done.frame.height - typed.height + reader_rows,
    )
    _source_skips(result, done.mapped)
    _describe(result, raw, done.mapped)
    if reader_rows:
        rejects = pl.concat([rejects, raw.rejects]).sort("row", "column")
    _step(progress, "write")
    # Row order is carried by seq/source_row; letting DuckDB write out of order makes the
    # commit of a million-row file ~0.6 s faster on 2 cores (benchmarks/import_bench.py).
    store.con.execute("SET preserve_insertion_order = false")
    try:
        with store.transaction() as con:
            _write_all(con, tbl, raw, typed, rejects, result, rule)
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
    rule: TableRules | None,
) -> None:
    result.import_id = int(con.execute("SELECT nextval('import_id_seq')").fetchone()[0])
    if rule is not None:
        typed, rejects = rule.check(con, typed, rejects)
        result.rejected = rejects["row"].n_unique()
    if tbl.name == "messages" and not typed.is_empty():
        kept = prepare_messages(typed)
        dropped = typed.filter(~pl.col(ROW).is_in(kept[ROW].implode()))
        result.skip(R_REPEAT_ID, dropped.height, dropped[ROW].head(SKIP_LISTED).to_list())
        typed = kept
    con.register(STAGE, typed)
    try:
        _write_counted(con, tbl, typed, result)
        result.new_agents = add_missing_agents(con, tbl, typed, result.import_id)
    finally:
        con.unregister(STAGE)
    write_quarantine(con, raw, tbl, rejects, result.import_id)
    write_log(con, result)
    if rule is not None:
        rule.after(con)


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
    limits: ImportLimits | None = None,
    mappings: Path | None = None,
    rules: Mapping[str, TableRules] | None = None,
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
            limits=limits,
            mappings=mappings,
            rules=rules,
        )
        for p in paths
    ]
