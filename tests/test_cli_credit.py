"""`kaohe credit ORDER_ID` through the command line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.store import Store
from tests.engine.conftest import fill, fill_table, msg
from tests.engine.test_attribution import order

D = "2026-10-05"


@pytest.fixture
def db(tmp_path) -> str:
    # a1 10:00, a2 10:05, order 10:10, a3 follows up 10:20, paid 10:30; a reply 49 h earlier
    path = str(tmp_path / "k.duckdb")
    with Store(path) as store:
        fill(
            store,
            [
                msg("b1", "a4", "agent", "2026-10-03 09:10:00"),
                msg("b1", "a1", "buyer", f"{D} 09:59:00"),
                msg("b1", "a1", "agent", f"{D} 10:00:00"),
                msg("b1", "a2", "agent", f"{D} 10:05:00"),
                msg("b1", "a3", "agent", f"{D} 10:20:00"),
            ],
        )
        fill_table(store, "orders", [order("o1", "b1", f"{D} 10:10:00", f"{D} 10:30:00")])
    return path


def kaohe(db: str, *args: str):  # noqa: ANN201
    return CliRunner().invoke(cli, ["--db", db, *args])


def test_credit_json(db):
    res = kaohe(db, "credit", "o1", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["credited_agent"] == "a2"
    assert data["assist_order"] == ["a1"] and data["assist_followup"] == ["a3"]
    assert data["rule"]["anchor"] == "order" and data["rule"]["window_h"] == 48
    positions = [(t["agent"], t["position"]) for t in data["touches"]]
    assert positions == [
        ("a4", "before_window"),
        ("a1", "in_window"),
        ("a2", "in_window"),
        ("a3", "after_anchor"),
    ]
    assert data["reason"]["en"].startswith("credited to a2")


def test_credit_set_parameters(db):
    res = kaohe(db, "credit", "o1", "--format", "json", "--set", "anchor=payment")
    assert json.loads(res.output)["credited_agent"] == "a3"  # 10:20 is before the payment
    res = kaohe(db, "credit", "o1", "--format", "json", "--set", "window=50")
    assert json.loads(res.output)["assist_order"] == ["a1", "a4"]


def test_credit_table_has_chinese_labels(db):
    res = kaohe(db, "credit", "o1")
    assert res.exit_code == 0, res.output
    for label in ("落实客服", "协助下单", "协助跟进", "原因", "窗口内触点"):
        assert label in res.output
    assert "a2" in res.output


def test_credit_unknown_order_exits_2(db):
    res = kaohe(db, "credit", "nope")
    assert res.exit_code == 2
    assert "nope" in res.output


def test_credit_bad_window_exits_1(db):
    res = kaohe(db, "credit", "o1", "--set", "window=400")
    assert res.exit_code == 1
    assert "window" in res.output
