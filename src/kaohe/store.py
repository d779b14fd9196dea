"""The embedded DuckDB store: every table of the data model, the import log, the quarantine
and a schema version with forward migrations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from kaohe.schema import TABLES, Table

SCHEMA_VERSION = 13

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


MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    1: _migrate_1,
    2: _migrate_2,
    3: _migrate_3,
    4: _migrate_4,
    5: _migrate_5,
    6: _migrate_6,
    7: _migrate_7,
    13: _migrate_13,  # numbered past the parallel branches' 8-12; renumbered on merge
}


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


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
    return max(current, target)


class Store:
    """A DuckDB file (or ':memory:') with the kaohe schema, migrated on open."""

    def __init__(
        self,
        path: str | Path = ":memory:",
        read_only: bool = False,
        memory_limit: str | None = None,
    ) -> None:
        self.path = str(path)
        config = {"memory_limit": memory_limit} if memory_limit else {}
        self.con = duckdb.connect(self.path, read_only=read_only, config=config)
        if not read_only:
            migrate(self.con)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: used per imported file, so a crash leaves the store as before."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def count(self, table: str) -> int:
        return int(self.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])

    def ibis(self):  # noqa: ANN201 - ibis backend type
        """An Ibis connection on the same DuckDB database."""
        import ibis

        return ibis.duckdb.from_connection(self.con)


def open_store(path: str | Path, read_only: bool = False) -> Store:
    return Store(path, read_only=read_only)
