"""Fixtures: tiny stores whose metric values are computed by hand in the tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from kaohe.store import Store

COLUMNS = ("shop", "platform", "buyer", "agent", "sender", "time", "text", "auto_reply", "msg_type")


def msg(
    buyer: str,
    agent: str | None,
    sender: str,
    time: str,
    text: str = "x",
    auto: bool = False,
    kind: str = "text",
    shop: str = "s1",
    platform: str = "taobao",
) -> dict[str, Any]:
    return {
        "shop": shop,
        "platform": platform,
        "buyer": buyer,
        "agent": agent,
        "sender": sender,
        "time": time,
        "text": text,
        "auto_reply": auto,
        "msg_type": kind,
    }


def fill(store: Store, rows: Sequence[dict[str, Any]], roster: Sequence[tuple] = ()) -> Store:
    start = store.count("messages")
    for i, row in enumerate(rows, start=start + 1):
        store.con.execute(
            "INSERT INTO messages (shop, platform, buyer, agent, sender, time, text, auto_reply,"
            " msg_type, seq, msg_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [*(row[c] for c in COLUMNS), i, f"k{i}"],
        )
    for agent, team in roster:
        store.con.execute("INSERT INTO agents (agent, team) VALUES (?, ?)", [agent, team])
    return store


def fill_table(store: Store, table: str, rows: Sequence[dict[str, Any]]) -> Store:
    """Insert hand-built rows into any store table (columns named by the dicts' keys)."""
    for row in rows:
        cols = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        store.con.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', list(row.values()))
    return store


@pytest.fixture
def make_store() -> Callable[..., Store]:
    stores: list[Store] = []

    def make(rows: Sequence[dict[str, Any]], roster: Sequence[tuple] = ()) -> Store:
        store = fill(Store(":memory:"), rows, roster)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture(scope="session")
def spark():
    """One SparkSession for the whole test run (no UI, 2 shuffle partitions, UTC). Adaptive
    execution and code generation are off: the fixtures are kilobytes, and re-planning every
    stage cost 4x, compiling Java for every plan about 1.5x (neither changes a result)."""
    pytest.importorskip("pyspark")
    from kaohe.engine.spark import spark_session

    session = spark_session("local[2]", adaptive=False, codegen=False)
    yield session
    session.stop()
