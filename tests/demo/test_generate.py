"""The synthetic data generator: deterministic, canonical, and exercising every phenomenon
the metrics and QA rules need."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.demo.generate import generate
from kaohe.schema import TABLES

N = 20_000


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generate(tmp_path_factory.mktemp("gen"), messages=N, seed=7)


@pytest.fixture(scope="module")
def con(data: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table, path in data.items():
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", messages=5000, seed=3)
    b = generate(tmp_path / "b", messages=5000, seed=3)
    c = generate(tmp_path / "c", messages=5000, seed=4)
    assert set(a) == set(b)
    for table in a:
        assert a[table].read_bytes() == b[table].read_bytes(), table
    assert a["messages"].read_bytes() != c["messages"].read_bytes()
    assert a["orders"].read_bytes() != c["orders"].read_bytes()


def test_exact_message_count(data: dict[str, Path]) -> None:
    assert pq.ParquetFile(data["messages"]).metadata.num_rows == N


def test_every_table_uses_canonical_columns(data: dict[str, Path]) -> None:
    expected = {
        "messages",
        "orders",
        "refunds",
        "ratings",
        "agents",
        "agent_status",
        "service_orders",
        "tickets",
    }
    assert expected <= set(data)
    for name, path in data.items():
        columns = pq.read_schema(path).names
        assert set(columns) <= set(TABLES[name].column_names), name


def test_required_values_present_and_enums_valid(
    con: duckdb.DuckDBPyConnection, data: dict[str, Path]
) -> None:
    for name in data:
        table = TABLES[name]
        names = pq.read_schema(data[name]).names
        for col in table.columns:
            if col.name not in names:
                continue
            if col.required:
                assert one(con, f'SELECT count(*) FROM {name} WHERE "{col.name}" IS NULL') == 0
            if col.labels:
                canonical = set(col.labels.values())
                values = {
                    r[0]
                    for r in con.execute(
                        f'SELECT DISTINCT "{col.name}" FROM {name} WHERE "{col.name}" IS NOT NULL'
                    ).fetchall()
                }
                assert values <= canonical, (name, col.name, values - canonical)


def test_time_orderings_hold(con: duckdb.DuckDBPyConnection, data: dict[str, Path]) -> None:
    for name in data:
        for earlier, later in TABLES[name].ordered:
            bad = one(con, f'SELECT count(*) FROM {name} WHERE "{later}" < "{earlier}"')
            assert bad == 0, (name, earlier, later)


def test_unique_keys(con: duckdb.DuckDBPyConnection) -> None:
    for table, key in (
        ("messages", "msg_id"),
        ("orders", "order_id"),
        ("refunds", "refund_id"),
        ("agents", "agent"),
        ("tickets", "id"),
        ("service_orders", "id"),
        ("ratings", "rating_id"),
    ):
        assert one(con, f"SELECT count(*) - count(DISTINCT {key}) FROM {table}") == 0, table


CHECKS = {
    "auto replies": "SELECT count(*) FROM messages WHERE auto_reply",
    "bot messages": "SELECT count(*) FROM messages WHERE sender = 'bot'",
    "hand-offs": "SELECT count(*) FROM messages WHERE msg_type = 'handoff' AND sender='system'",
    "withdrawn": "SELECT count(*) FROM messages WHERE msg_type = 'withdrawn'",
    "images": "SELECT count(*) FROM messages WHERE msg_type = 'image'",
    "spam buyers": "SELECT count(*) FROM messages WHERE sender = 'buyer' AND "
    "(text LIKE '%加微信%' OR text LIKE '%刷单%' OR text LIKE '%http%')",
    "transfers": "SELECT count(*) FROM messages WHERE sender = 'system' AND text LIKE '%转交给%'"
    " AND msg_type = 'text'",
    "rude replies": "SELECT count(*) FROM messages WHERE sender = 'agent' AND text IN "
    "('不知道！', '你自己看', '不是告诉你了么？')",
    "greetings": "SELECT count(*) FROM messages WHERE sender='agent' AND text LIKE '%欢迎光临%'",
    "unpaid orders": "SELECT count(*) FROM orders WHERE paid_at IS NULL",
    "closed orders": "SELECT count(*) FROM orders WHERE status = 'closed'",
    "late payments": "SELECT count(*) FROM orders WHERE paid_at > created_at + INTERVAL 3 DAY",
    "silent orders": "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM messages m "
    "WHERE m.shop = o.shop AND m.buyer = o.buyer)",
    "chat orders": "SELECT count(*) FROM orders o WHERE EXISTS (SELECT 1 FROM messages m "
    "WHERE m.shop = o.shop AND m.buyer = o.buyer)",
    "hang-ups over 15 min": "SELECT count(*) FROM agent_status WHERE status = 'hangup' "
    'AND "end" - start > INTERVAL 15 MINUTE',
    "intervened refunds": "SELECT count(*) FROM refunds WHERE platform_intervened",
    "merchant liable": "SELECT count(*) FROM refunds WHERE merchant_liable",
    "slow refund responses": "SELECT count(*) FROM refunds "
    "WHERE first_response_at > applied_at + INTERVAL 48 HOUR",
    "returns received": "SELECT count(*) FROM refunds WHERE return_received_at IS NOT NULL",
    "bad ratings for attitude": "SELECT count(*) FROM ratings WHERE level IN ('1','2','3') "
    "AND reason = '服务态度差'",
    "ratings slow": "SELECT count(*) FROM ratings WHERE reason = '回复慢'",
    "complaints": "SELECT count(*) FROM tickets WHERE kind = 'complaint'",
    "emails": "SELECT count(*) FROM tickets WHERE kind = 'email'",
    "jd service orders": "SELECT count(*) FROM service_orders WHERE shop LIKE '%京东%'",
    "buyer rows without agent": "SELECT count(*) FROM messages WHERE sender = 'buyer' "
    "AND agent IS NULL",
    "night consultations": "SELECT count(*) FROM messages WHERE sender = 'buyer' "
    "AND hour(time) < 6",
    "assisted follow-ups": "SELECT count(*) FROM messages m JOIN orders o USING (shop, buyer) "
    "WHERE m.sender = 'agent' AND m.time > o.created_at "
    "AND (o.paid_at IS NULL OR m.time < o.paid_at)",
    "after-sales agents chatting": "SELECT count(*) FROM messages m JOIN agents a USING (agent)"
    " WHERE a.role = 'aftersales'",
}


@pytest.mark.parametrize("what", sorted(CHECKS))
def test_phenomenon_present(con: duckdb.DuckDBPyConnection, what: str) -> None:
    assert one(con, CHECKS[what]) > 0, what


def test_every_refund_type_and_status(con: duckdb.DuckDBPyConnection) -> None:
    types = {r[0] for r in con.execute("SELECT DISTINCT type FROM refunds").fetchall()}
    assert types == {"refund_only", "return_refund", "exchange", "repair", "reship"}
    statuses = {r[0] for r in con.execute("SELECT DISTINCT status FROM refunds").fetchall()}
    assert statuses == {"success", "closed", "pending"}


def test_several_platforms_and_roles(con: duckdb.DuckDBPyConnection) -> None:
    platforms = {r[0] for r in con.execute("SELECT DISTINCT platform FROM messages").fetchall()}
    assert {"tmall", "jd", "pdd", "douyin", "kuaishou"} <= platforms
    roles = {r[0] for r in con.execute("SELECT DISTINCT role FROM agents").fetchall()}
    assert {"presales", "aftersales"} <= roles
    agents = con.execute("SELECT agent, shops FROM agents").fetchall()
    assert all(agent.startswith(f"{shop}:") for agent, shop in agents)


def test_buyer_text_sometimes_has_phone_numbers(con: duckdb.DuckDBPyConnection) -> None:
    texts = [
        r[0]
        for r in con.execute(
            "SELECT text FROM messages WHERE sender = 'buyer' AND text LIKE '%1%'"
        ).fetchall()
    ]
    assert any(re.search(r"1[3-9]\d{9}", t) for t in texts)


def test_hourly_profile_peaks_in_the_day_and_is_quiet_at_night(
    con: duckdb.DuckDBPyConnection,
) -> None:
    hours = dict(
        con.execute(
            "SELECT hour(time), count(*) FROM messages WHERE sender='buyer' GROUP BY 1"
        ).fetchall()
    )
    night = sum(hours.get(h, 0) for h in range(1, 6))
    morning = hours.get(10, 0) + hours.get(11, 0)
    evening = hours.get(20, 0) + hours.get(21, 0)
    assert morning > 10 * max(night / 2.5, 1)
    assert evening > hours.get(4, 0) * 10
    assert max(hours, key=lambda h: hours[h]) in range(9, 23)


def test_weekends_differ_from_weekdays(con: duckdb.DuckDBPyConnection) -> None:
    share = dict(
        con.execute(
            "SELECT isodow(time) >= 6, avg(CASE WHEN hour(time) >= 19 THEN 1 ELSE 0 END) "
            "FROM messages WHERE sender = 'buyer' GROUP BY 1"
        ).fetchall()
    )
    assert share[True] > share[False]  # weekend traffic leans to the evening


def test_days_and_start_are_respected(tmp_path: Path) -> None:
    from datetime import date

    paths = generate(tmp_path, messages=3000, seed=1, start=date(2026, 1, 5), days=7)
    con = duckdb.connect()
    lo, hi = con.execute(
        f"SELECT min(time), max(time) FROM '{paths['orders']}'".replace("time", "created_at")
    ).fetchone()
    assert lo.date() >= date(2026, 1, 5) and hi.date() <= date(2026, 1, 11)


def test_csv_format(tmp_path: Path) -> None:
    paths = generate(tmp_path, messages=2000, seed=1, fmt="csv")
    assert paths["messages"].suffix == ".csv"
    head = paths["messages"].read_text(encoding="utf-8").splitlines()[0]
    assert head.replace('"', "").split(",")[:3] == ["shop", "platform", "buyer"]


def test_generate_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["generate", "--messages", "3000", "--out", str(tmp_path), "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "messages" in result.output and "3,000" in result.output
    assert (tmp_path / "messages.parquet").exists()
