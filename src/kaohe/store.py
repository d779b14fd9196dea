"""The embedded DuckDB store: every table of the data model, the import log, the quarantine
and a schema version with forward migrations."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from kaohe.errors import (
    EXIT_STORE_BUSY,
    EXIT_STORE_DAMAGED,
    EXIT_STORE_READ_ONLY,
    NotFoundError,
    StoreError,
)
from kaohe.schema import TABLES, Table

SCHEMA_VERSION = 23  # 10, 14 and 16–19 were never used (numbers of parallel branches)

IMPORT_LOG_SQL = """
CREATE TABLE IF NOT EXISTS import_log (
    import_id BIGINT PRIMARY KEY,
    file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    table_name VARCHAR,
    preset VARCHAR,
    rows_read BIGINT,
    rows_inserted BIGINT,
    rows_updated BIGINT,
    rows_rejected BIGINT
)"""

QUARANTINE_SQL = """
CREATE TABLE IF NOT EXISTS quarantine (
    file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    "row" BIGINT NOT NULL,
    "column" VARCHAR NOT NULL,
    value VARCHAR,
    reason VARCHAR NOT NULL,
    table_name VARCHAR,
    import_id BIGINT,
    PRIMARY KEY (sha256, "row", "column")
)"""


def table_ddl(table: Table) -> str:
    cols = [f'"{c.name}" {c.sql_type}' for c in table.columns]
    cols += [f'"{name}" {sql_type}' for name, sql_type in table.extra_sql]
    cols += ["import_id BIGINT", "source_row BIGINT"]
    if table.upsert:
        key = ", ".join(f'"{k}"' for k in table.key)
        cols.append(f"PRIMARY KEY ({key})")
    # Messages are append-only and de-duplicated by an anti-join on msg_key at import: an
    # ART index over tens of millions of md5 keys would cost more than the import itself.
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" ({", ".join(cols)})'


def _migrate_1(con: duckdb.DuckDBPyConnection) -> None:
    """Version 1: every table of the data model, import log and quarantine."""
    for table in TABLES.values():
        con.execute(table_ddl(table))
    con.execute(IMPORT_LOG_SQL)
    con.execute(QUARANTINE_SQL)
    con.execute("CREATE SEQUENCE IF NOT EXISTS import_id_seq START 1")
    con.execute("CREATE SEQUENCE IF NOT EXISTS message_seq START 1")


def _migrate_2(con: duckdb.DuckDBPyConnection) -> None:
    """Version 2: the order lookup by buyer (credit, drill-down)."""
    con.execute("CREATE INDEX IF NOT EXISTS orders_buyer ON orders (shop, buyer)")


def _migrate_3(con: duckdb.DuckDBPyConnection) -> None:
    """Version 3: the engine's per-day facts (additive metric parts per agent-day and
    shop-day) and the message count each fact day was computed from."""
    con.execute("""CREATE TABLE IF NOT EXISTS metric_facts (
        grain VARCHAR NOT NULL, agent VARCHAR, shop VARCHAR, platform VARCHAR,
        day DATE NOT NULL, metric VARCHAR NOT NULL, part VARCHAR NOT NULL,
        combine VARCHAR NOT NULL, value DOUBLE)""")
    con.execute("""CREATE TABLE IF NOT EXISTS metric_facts_days (
        day DATE PRIMARY KEY, messages BIGINT NOT NULL, fingerprint VARCHAR NOT NULL)""")


def _migrate_4(con: duckdb.DuckDBPyConnection) -> None:
    """Version 4: what each table held per day when the facts were last refreshed (row count
    and a checksum of the rows), so a change to orders, refunds, ratings… refreshes them."""
    con.execute("""CREATE TABLE IF NOT EXISTS metric_facts_sources (
        tbl VARCHAR NOT NULL, day DATE, rows BIGINT NOT NULL, checksum HUGEINT)""")


def _migrate_5(con: duckdb.DuckDBPyConnection) -> None:
    """Version 5: automatic quality-inspection findings, one row per (message, rule)."""
    con.execute("""CREATE TABLE IF NOT EXISTS qa_findings (
        pack VARCHAR NOT NULL, msg_key VARCHAR, shop VARCHAR, platform VARCHAR, buyer VARCHAR,
        agent VARCHAR, time TIMESTAMP, session_start TIMESTAMP, session_end TIMESTAMP,
        rule VARCHAR NOT NULL,
        category VARCHAR, severity VARCHAR NOT NULL, deduction DOUBLE, span_start INTEGER,
        span_end INTEGER, matched VARCHAR, found_at TIMESTAMP DEFAULT current_timestamp)""")


def _migrate_6(con: duckdb.DuckDBPyConnection) -> None:
    """Version 6: each manual review's score against its scorecard (computed when reviews are
    imported or entered), so metrics read review scores without re-parsing scorecards."""
    con.execute("""CREATE TABLE IF NOT EXISTS qa_review_scores (
        review_id VARCHAR PRIMARY KEY, session VARCHAR, shop VARCHAR, agent VARCHAR, day DATE,
        reviewer VARCHAR, scorecard VARCHAR, score DOUBLE, pass_line DOUBLE, passed BOOLEAN)""")


def _migrate_7(con: duckdb.DuckDBPyConnection) -> None:
    """Version 7: the web app's users (argon2 hashes), audit log, login attempts (throttling)
    and settings (the persisted session secret)."""
    con.execute("""CREATE TABLE IF NOT EXISTS web_users (
        username VARCHAR PRIMARY KEY, password_hash VARCHAR NOT NULL, role VARCHAR NOT NULL,
        agent VARCHAR, team VARCHAR, created_at TIMESTAMP DEFAULT current_timestamp,
        disabled BOOLEAN NOT NULL DEFAULT false)""")
    con.execute("""CREATE TABLE IF NOT EXISTS audit_log (
        "at" TIMESTAMP NOT NULL DEFAULT current_timestamp, username VARCHAR,
        action VARCHAR NOT NULL, detail VARCHAR, ip VARCHAR)""")
    con.execute("""CREATE TABLE IF NOT EXISTS login_attempts (
        "at" TIMESTAMP NOT NULL, username VARCHAR NOT NULL, ip VARCHAR, ok BOOLEAN NOT NULL)""")
    con.execute("""CREATE TABLE IF NOT EXISTS web_settings (
        key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""")


def _migrate_8(con: duckdb.DuckDBPyConnection) -> None:
    """Version 8: the session gap (minutes) each finding's session was cut with: findings hold
    the conversation model's session (kaohe.engine.conversation) for the parameters of their
    run, and a reader can tell which definition it was."""
    con.execute("ALTER TABLE qa_findings ADD COLUMN IF NOT EXISTS session_gap DOUBLE")


def _migrate_9(con: duckdb.DuckDBPyConnection) -> None:
    """Version 9: a review says why it reviews a session again (qa_reviews.intent: recheck
    复核 replaces the earlier score, calibration 校准 counts toward none), and each scored
    review whether it counts (intent, superseded_by). Reviews of sessions several reviewers
    scored were calibration pairs, left out of every score: they stay so."""
    con.execute("ALTER TABLE qa_reviews ADD COLUMN IF NOT EXISTS intent VARCHAR")
    con.execute("ALTER TABLE qa_review_scores ADD COLUMN IF NOT EXISTS intent VARCHAR")
    con.execute("ALTER TABLE qa_review_scores ADD COLUMN IF NOT EXISTS superseded_by VARCHAR")
    pairs = (
        "SELECT session FROM qa_reviews WHERE session IS NOT NULL "
        "GROUP BY session HAVING count(DISTINCT reviewer) > 1"
    )
    for table in ("qa_reviews", "qa_review_scores"):
        con.execute(
            f"UPDATE {table} SET intent = 'calibration' WHERE intent IS NULL "
            f"AND session IN ({pairs})"
        )


def _migrate_11(con: duckdb.DuckDBPyConnection) -> None:
    """Version 11: server-side login sessions (the hash of each cookie's session id, so that
    logout, a password change, disabling a user and "sign out everywhere" end them); the
    cookie-signing secret leaves the store for a key file (kaohe.web.sessions)."""
    con.execute("""CREATE TABLE IF NOT EXISTS web_sessions (
        sid_hash VARCHAR PRIMARY KEY, username VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL, ip VARCHAR)""")
    con.execute("DELETE FROM web_settings WHERE key = 'session_secret'")


def _migrate_12(con: duckdb.DuckDBPyConnection) -> None:
    """Version 12 (issue 15): orders' own shipping promise (承诺发货时间) and the ratings'
    revision history (评价修改记录, for 改评数)."""
    # DuckDB alters no table an index depends on, and rebuilding the index inside this
    # transaction crashes DuckDB 1.4 at commit: migrate() rebuilds it after the commit
    con.execute("DROP INDEX IF EXISTS orders_buyer")
    con.execute("ALTER TABLE orders ADD COLUMN IF NOT EXISTS promised_ship_at TIMESTAMP")
    con.execute(table_ddl(TABLES["rating_revisions"]))


def _migrate_13(con: duckdb.DuckDBPyConnection) -> None:
    """Version 13: live alerts (kaohe.alerts): one row per alert keyed by rule and subject,
    its audited events, its deliveries to channels, the clock's timers and the evaluation
    watermarks."""
    con.execute("CREATE SEQUENCE IF NOT EXISTS alert_id_seq START 1")
    con.execute("CREATE SEQUENCE IF NOT EXISTS alert_message_seq START 1")
    con.execute("""CREATE TABLE IF NOT EXISTS alerts (
        id BIGINT PRIMARY KEY, rule VARCHAR NOT NULL, subject VARCHAR NOT NULL,
        kind VARCHAR NOT NULL, state VARCHAR NOT NULL, severity VARCHAR NOT NULL,
        status VARCHAR NOT NULL, active BOOLEAN NOT NULL, title VARCHAR NOT NULL,
        shop VARCHAR, platform VARCHAR, agent VARCHAR, team VARCHAR, msg_key VARCHAR,
        day DATE, occurred_at TIMESTAMP, due_at TIMESTAMP, evidence VARCHAR,
        fired_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL,
        acknowledged_at TIMESTAMP, acknowledged_by VARCHAR, assigned_to VARCHAR,
        resolved_at TIMESTAMP, resolved_by VARCHAR, level INTEGER NOT NULL DEFAULT 0)""")
    con.execute("CREATE INDEX IF NOT EXISTS alerts_key ON alerts (rule, subject)")
    con.execute("""CREATE TABLE IF NOT EXISTS alert_events (
        alert_id BIGINT NOT NULL, "at" TIMESTAMP NOT NULL, kind VARCHAR NOT NULL,
        actor VARCHAR NOT NULL, detail VARCHAR)""")
    con.execute("""CREATE TABLE IF NOT EXISTS alert_deliveries (
        alert_id BIGINT, channel VARCHAR NOT NULL, level INTEGER NOT NULL,
        status VARCHAR NOT NULL, message_id BIGINT, queued_at TIMESTAMP NOT NULL,
        sent_at TIMESTAMP, error VARCHAR)""")
    con.execute("""CREATE TABLE IF NOT EXISTS alert_messages (
        id BIGINT PRIMARY KEY, channel VARCHAR NOT NULL, sent_at TIMESTAMP NOT NULL,
        kind VARCHAR NOT NULL, alerts INTEGER NOT NULL, ok BOOLEAN NOT NULL, error VARCHAR)""")
    con.execute("""CREATE TABLE IF NOT EXISTS alert_timers (
        rule VARCHAR NOT NULL, subject VARCHAR NOT NULL, day DATE, warn_at TIMESTAMP,
        due_at TIMESTAMP NOT NULL, finding VARCHAR NOT NULL, PRIMARY KEY (rule, subject))""")
    con.execute("""CREATE TABLE IF NOT EXISTS alert_state (
        key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""")


def _migrate_15(con: duckdb.DuckDBPyConnection) -> None:
    """Version 15 (issue 18, the always-on server): API tokens (the SHA-256 of each, its
    user, revocable), the scheduler's recorded runs (start, end, outcome, error) and the
    jobs' watermarks (what the last QA run or report covered)."""
    con.execute("CREATE SEQUENCE IF NOT EXISTS api_token_seq START 1")
    con.execute("CREATE SEQUENCE IF NOT EXISTS job_run_seq START 1")
    # revocations are rows of their own: tokens are never updated (an UPDATE of an indexed
    # row conflicts with any reader's open snapshot in DuckDB)
    con.execute("""CREATE TABLE IF NOT EXISTS api_tokens (
        id BIGINT PRIMARY KEY, token_hash VARCHAR NOT NULL UNIQUE, username VARCHAR NOT NULL,
        label VARCHAR, prefix VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
        created_by VARCHAR)""")
    con.execute("""CREATE TABLE IF NOT EXISTS api_token_revocations (
        token_id BIGINT NOT NULL, revoked_at TIMESTAMP NOT NULL, revoked_by VARCHAR)""")
    con.execute("""CREATE TABLE IF NOT EXISTS job_runs (
        id BIGINT PRIMARY KEY, job VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP, outcome VARCHAR NOT NULL,
        detail VARCHAR, error VARCHAR)""")
    con.execute("""CREATE TABLE IF NOT EXISTS job_state (
        key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""")


def _migrate_20(con: duckdb.DuckDBPyConnection) -> None:
    """Version 20 (issue 19.3): QA findings a reviewer dismissed as false positives (误报) or
    an accepted appeal took out, keyed by (pack, message, rule) so that they stay out when the
    inspection runs again, and every dismissal and restoration in an audit log. `time` is the
    finding's: the metric facts of its days are recomputed."""
    con.execute("""CREATE TABLE IF NOT EXISTS qa_dismissals (
        pack VARCHAR NOT NULL, msg_key VARCHAR NOT NULL, rule VARCHAR NOT NULL,
        time TIMESTAMP, agent VARCHAR, kind VARCHAR NOT NULL, reason VARCHAR,
        by_user VARCHAR NOT NULL, "at" TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (pack, msg_key, rule))""")
    con.execute("""CREATE TABLE IF NOT EXISTS qa_dismissal_log (
        "at" TIMESTAMP NOT NULL DEFAULT current_timestamp, action VARCHAR NOT NULL,
        pack VARCHAR NOT NULL, msg_key VARCHAR NOT NULL, rule VARCHAR NOT NULL,
        agent VARCHAR, kind VARCHAR, reason VARCHAR, by_user VARCHAR NOT NULL)""")


def _migrate_21(con: duckdb.DuckDBPyConnection) -> None:
    """Version 21 (issue 19.4): an agent's appeals (申诉) of a QA finding with a comment, the
    supervisor's decision, and the payslip lines before an accepted appeal changed them (so
    the payslip can show the line that changed)."""
    con.execute("CREATE SEQUENCE IF NOT EXISTS appeal_id_seq START 1")
    con.execute("""CREATE TABLE IF NOT EXISTS appeals (
        id BIGINT PRIMARY KEY, kind VARCHAR NOT NULL, pack VARCHAR, msg_key VARCHAR,
        rule VARCHAR, agent VARCHAR NOT NULL, period VARCHAR NOT NULL, comment VARCHAR,
        status VARCHAR NOT NULL, filed_by VARCHAR NOT NULL, filed_at TIMESTAMP NOT NULL,
        decided_by VARCHAR, decided_at TIMESTAMP, decision VARCHAR, pay_before VARCHAR)""")


def _migrate_22(con: duckdb.DuckDBPyConnection) -> None:
    """Version 22 (issue 17.1): the row sets the facts keep for non-additive parts (a month's
    median or P90 response computed exactly from stored per-day rows): each set's table
    (created by kaohe.engine.facts, named by the facts' version and the set's key) and its
    columns."""
    con.execute("""CREATE TABLE IF NOT EXISTS metric_fact_row_sets (
        tbl VARCHAR PRIMARY KEY, columns VARCHAR NOT NULL)""")


def _migrate_23(con: duckdb.DuckDBPyConnection) -> None:
    """Version 23 (issue 19.4): appeals of an order's credit and of a manual review. An
    accepted credit appeal credits the order to the agent (`credit_overrides`, which the
    attribution honours); an accepted review appeal takes the review out of the scores
    (`qa_review_voids`, which the scorer's recomputation of qa_review_scores leaves alone).
    `time` / `day` date the rows for the metric facts; `appeal_id` and `by_user` are the trail."""
    con.execute("ALTER TABLE appeals ADD COLUMN IF NOT EXISTS order_id VARCHAR")
    con.execute("ALTER TABLE appeals ADD COLUMN IF NOT EXISTS review_id VARCHAR")
    con.execute("""CREATE TABLE IF NOT EXISTS credit_overrides (
        order_id VARCHAR PRIMARY KEY, agent VARCHAR NOT NULL, time TIMESTAMP,
        appeal_id BIGINT, by_user VARCHAR NOT NULL,
        "at" TIMESTAMP NOT NULL DEFAULT current_timestamp)""")
    con.execute("""CREATE TABLE IF NOT EXISTS qa_review_voids (
        review_id VARCHAR PRIMARY KEY, day DATE, agent VARCHAR, appeal_id BIGINT,
        by_user VARCHAR NOT NULL, "at" TIMESTAMP NOT NULL DEFAULT current_timestamp)""")


MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    1: _migrate_1,
    2: _migrate_2,
    3: _migrate_3,
    4: _migrate_4,
    5: _migrate_5,
    6: _migrate_6,
    7: _migrate_7,
    8: _migrate_8,
    9: _migrate_9,
    11: _migrate_11,
    12: _migrate_12,
    13: _migrate_13,
    15: _migrate_15,
    20: _migrate_20,
    21: _migrate_21,
    22: _migrate_22,
    23: _migrate_23,
}


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The one value of a query that always returns one row (an aggregate: count, max, EXISTS)."""
    row = con.execute(sql, list(params)).fetchone()
    assert row is not None, sql
    return row[0]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = scalar(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    )
    if not exists:
        return 0
    return int(scalar(con, "SELECT max(version) FROM schema_version") or 0)


def migrate(con: duckdb.DuckDBPyConnection, target: int = SCHEMA_VERSION) -> int:
    """Apply every migration above the store's version, each in its own transaction."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    current = schema_version(con)
    for version in sorted(v for v in MIGRATIONS if current < v <= target):
        con.execute("BEGIN TRANSACTION")
        try:
            MIGRATIONS[version](con)
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    if current < target and target >= 2:
        _migrate_2(con)  # indexes a migration had to drop (version 12), outside its transaction
    return max(current, target)


BUSY_MARKS = ("Could not set lock", "Conflicting lock")
READ_ONLY_MARKS = ("Read-only file system", "Permission denied", "read-only mode")
DAMAGED_MARKS = (
    "not a valid DuckDB database file",
    "Could not read enough bytes",
    "Corrupt",
    "replaying WAL",
    "checksum",
    "database file is corrupted",
)


def _holder(text: str) -> str:
    """' (PID 123: kaohe serve …)' from DuckDB's lock message, as far as /proc tells."""
    found = re.search(r"PID (\d+)", text)
    if not found:
        return ""
    try:
        raw = Path(f"/proc/{found.group(1)}/cmdline").read_bytes()
        command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    except OSError:
        command = ""
    return f" (PID {found.group(1)}{': ' + command[:120] if command else ''})"


def store_error(exc: BaseException, path: str) -> StoreError | None:
    """One clear line (and exit code) for a DuckDB failure of the store itself: busy,
    read-only or damaged; None for any other error."""
    text = str(exc)
    if any(mark in text for mark in BUSY_MARKS):
        return StoreError(
            f"数据库正被另一个进程使用 / the store is in use by another process{_holder(text)}: "
            f"{path} (等它结束，或先停止 kaohe serve / wait for it to finish, or stop kaohe serve)",
            EXIT_STORE_BUSY,
        )
    if any(mark in text for mark in READ_ONLY_MARKS):
        return StoreError(
            f"数据库不可写 / the store cannot be written (read-only file or file system): {path} "
            "(检查文件权限或换一个可写的位置 / "
            "check its permissions or move it somewhere writable)",
            EXIT_STORE_READ_ONLY,
        )
    if any(mark in text for mark in DAMAGED_MARKS):
        wal = "WAL" in text
        what = f"预写日志 {path}.wal / its write-ahead log" if wal else "数据库文件 / the file"
        advice = (
            f"移走 {path}.wal 可回到上次检查点（之后的修改丢失）/ move {path}.wal aside to open "
            "the store as of its last checkpoint (later changes are lost), or restore a backup"
            if wal
            else "请从备份恢复 / restore it from a backup"
        )
        return StoreError(
            f"数据库已损坏 / the store is damaged: {what} is truncated or corrupt: {path} "
            f"({advice})",
            EXIT_STORE_DAMAGED,
        )
    return None


T = TypeVar("T")


class Store:
    """A DuckDB file (or ':memory:') with the kaohe schema, migrated on open.

    One Store per process opens the database; `cursor()` gives each further thread its own
    connection to it (DuckDB: one connection per thread, made with `con.cursor()`). Every
    transaction of the process takes one write lock, so writers run one at a time while
    readers go on reading their snapshot.

    A *reader* (a server's read connection, kaohe.web.workers.ReadPool) never writes the
    database: `write(job)` runs the job on the server's one writer (`write_via`), and the
    engine materialises its blocks there as TEMP tables (`temp_blocks`). Writes beside the
    writer's facts refresh livelocked or aborted DuckDB 1.4.4."""

    write_via: Callable[[Callable[[Store], Any]], Any] | None = None

    def __init__(
        self,
        path: str | Path = ":memory:",
        read_only: bool = False,
        memory_limit: str | None = None,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        config: dict[str, str | bool | int | float | list[str]] = (
            {"memory_limit": memory_limit} if memory_limit else {}
        )
        try:
            self.con = duckdb.connect(self.path, read_only=read_only, config=config)
            if not read_only:
                migrate(self.con)
        except duckdb.Error as exc:
            raise (store_error(exc, self.path) or exc) from None
        self.write_lock = threading.RLock()

    def cursor(self) -> Store:
        """Another connection to this database for one thread at a time, sharing the write
        lock; close it when done (closing it leaves the database open)."""
        view = Store.__new__(Store)
        view.path, view.read_only = self.path, self.read_only
        view.con = self.con.cursor()
        view.write_lock = self.write_lock
        return view

    def reader(self, write_via: Callable[[Callable[[Store], Any]], Any]) -> Store:
        """A connection that reads only: its writes are handed to `write_via(job)` (the
        server's writer), its engine blocks are TEMP tables."""
        view = self.cursor()
        view.write_via = write_via
        return view

    @property
    def temp_blocks(self) -> bool:
        """The engine's materialised blocks are TEMP tables (connection-local, never written
        to the database file): on a reader."""
        return self.write_via is not None

    def write(self, job: Callable[[Store], T]) -> T:
        """Run a write `job(store)`: on this connection, or on the server's one writer when
        this is a reader (waiting for it, with no result of its own left open)."""
        if self.write_via is None:
            return job(self)
        self.end_reads()
        result: T = self.write_via(job)
        return result

    def end_reads(self) -> None:
        """Close what this connection left open. A result not read to its end (`fetchone`)
        keeps its transaction, and DuckDB 1.4 checkpoints (automatic on a commit past
        checkpoint_threshold, or CHECKPOINT) spin until every such transaction ends — a
        reader waiting for the writer then deadlocks it. A stray BEGIN is rolled back."""
        try:
            self.con.execute("ROLLBACK")
        except duckdb.Error:  # "no transaction is active": the usual case
            pass

    @classmethod
    def existing(
        cls, path: str | Path, read_only: bool = False, memory_limit: str | None = None
    ) -> Store:
        """Open a store that must already exist: a command that only reads never creates an
        empty store where a mistyped --db (or a missing one) points."""
        if str(path) != ":memory:" and not Path(path).exists():
            raise NotFoundError(
                f"找不到数据库 {path}：请先用 kaohe import 导入文件，或运行 kaohe demo，或用 --db "
                f"指定数据库 / store {path} not found: import files with `kaohe import`, run "
                "`kaohe demo`, or pass --db"
            )
        return cls(path, read_only=read_only, memory_limit=memory_limit)

    def is_empty(self) -> bool:
        """Nothing imported yet: every table of the data model is empty."""
        union = " UNION ALL ".join(f'SELECT 1 FROM "{t}"' for t in TABLES)
        return not scalar(self.con, f"SELECT EXISTS ({union})")

    def empty_error(self) -> NotFoundError:
        """The error of a read on a store with nothing imported, naming the store."""
        return NotFoundError(
            f"数据库 {self.path} 中还没有数据：请先用 kaohe import 导入文件 / store {self.path} "
            "holds no data yet: import files with `kaohe import`"
        )

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the process's write lock: for a check-then-write that must not interleave
        with another writer (the lock is re-entrant, so transaction() inside is fine)."""
        with self.write_lock:
            yield

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: used per imported file, so a crash leaves the store as before.
        Writers of one process take turns (the write lock)."""
        with self.write_lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")

    def count(self, table: str) -> int:
        return int(scalar(self.con, f'SELECT count(*) FROM "{table}"'))

    def ibis(self):  # noqa: ANN201 - ibis backend type
        """An Ibis connection on the same DuckDB database."""
        import ibis

        backend = ibis.duckdb.from_connection(self.con)
        backend.kaohe_temp_blocks = self.temp_blocks  # read by kaohe.engine.compute.Blocks
        return backend


def open_store(path: str | Path, read_only: bool = False) -> Store:
    return Store(path, read_only=read_only)
