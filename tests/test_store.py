from pathlib import Path

import duckdb

from kaohe.schema import TABLES
from kaohe.store import MIGRATIONS, SCHEMA_VERSION, Store, migrate, schema_version


def test_fresh_store_has_every_table_of_the_data_model(tmp_path: Path) -> None:
    with Store(tmp_path / "k.duckdb") as store:
        names = {
            r[0]
            for r in store.con.execute(
                "SELECT table_name FROM information_schema.tables"
            ).fetchall()
        }
    expected = {
        "messages",
        "orders",
        "refunds",
        "ratings",
        "agents",
        "agent_status",
        "service_orders",
        "tickets",
        "calls",
        "qa_reviews",
        "metric_values",
        "import_log",
        "quarantine",
        "schema_version",
    }
    assert expected <= names
    assert set(TABLES) <= names


def test_store_written_by_an_older_version_is_migrated_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, target=1)
    con.execute(
        "INSERT INTO orders (order_id, shop, buyer, created_at) "
        "VALUES ('o1', 's', 'b', TIMESTAMP '2026-10-01 10:00:00')"
    )
    assert schema_version(con) == 1
    con.close()

    with Store(path) as store:
        assert schema_version(store.con) == SCHEMA_VERSION
        assert store.count("orders") == 1  # data survives the migration
        indexes = {
            r[0] for r in store.con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
        }
    assert "orders_buyer" in indexes


def test_reopening_a_current_store_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    Store(path).close()
    with Store(path) as store:
        versions = store.con.execute("SELECT count(*) FROM schema_version").fetchone()[0]
    assert versions == len(MIGRATIONS)  # one row per migration applied, none twice


def test_migration_12_adds_the_shipping_promise_and_rating_revisions(tmp_path: Path) -> None:
    path = tmp_path / "v7.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, target=7)
    # a store written before issue 15 had neither
    con.execute("DROP INDEX orders_buyer")
    con.execute("ALTER TABLE orders DROP COLUMN promised_ship_at")
    con.execute("CREATE INDEX orders_buyer ON orders (shop, buyer)")
    con.execute("DROP TABLE rating_revisions")
    con.close()
    with Store(path) as store:
        columns = {r[0] for r in store.con.execute("DESCRIBE orders").fetchall()}
        assert "promised_ship_at" in columns
        assert store.count("rating_revisions") == 0
        assert schema_version(store.con) == SCHEMA_VERSION
        indexes = {
            r[0] for r in store.con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
        }
        assert "orders_buyer" in indexes


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    with Store(tmp_path / "k.duckdb") as store:
        try:
            with store.transaction() as con:
                con.execute("INSERT INTO agents (agent) VALUES ('店:小美')")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert store.count("agents") == 0
