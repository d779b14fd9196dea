"""The monthly refund-reason analysis (seed 002 客服主管: 每个月针对退款的情况进行分析), by hand."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.engine.periods import parse_period
from kaohe.engine.refund_reasons import category, refund_reasons
from kaohe.errors import NotFoundError, UsageError
from kaohe.store import Store
from tests.engine import fixtures_issue15 as F
from tests.engine.conftest import fill_table


def handled(rid: str, agent: str, reason: str | None, status: str = "success") -> dict:
    row = F.refund(rid, "q1", status, reason or "", "2026-10-10 10:00:00")
    return {**row, "agent": agent, "reason": reason, "shop": "i15-tm", "amount": 35.5}


ROWS = [
    *F.REFUNDS,  # 拼多多: 商品质量问题, 七天无理由退货, 收到商品破损 (pending), 收到商品破损
    handled("x1", "i15-a1", "尺码偏小"),
    handled("x2", "i15-a1", "快递一直没收到"),
    handled("x3", "i15-a2", "尺码偏小"),
    handled("x4", "i15-a2", None, status="closed"),
    handled("x5", "i15-a2", "买家联系电话13800138000要求退款"),
]


@pytest.fixture
def store():
    with Store(":memory:") as s:
        fill_table(s, "refunds", ROWS)
        yield s


def test_categories_are_the_first_whose_words_the_reason_holds():
    assert category("商品质量问题") == "质量问题"
    assert category("收到商品破损") == "质量问题"  # the words 品质退款率 counts
    assert category("发错颜色") == "发错/漏发"  # before 颜色 (尺码/规格)
    assert category("快递一直没收到") == "物流问题"
    assert category("七天无理由退货") == "不想要/七天无理由"
    assert category("说不清") == "其他"
    assert category(None) == category("  ") == "未填写"


def test_per_shop(store):
    rows = refund_reasons(store, parse_period("2026-10"), ["shop"])
    pdd = [r for r in rows if r["shop"] == F.PDD]
    # 3 quality cases (r1, r3 pending, r4), 2 refunded × ¥20; 1 七天无理由 (r2)
    assert [(r["category"], r["cases"], r["succeeded"], r["amount"]) for r in pdd] == [
        ("质量问题", 3, 2, 40.0),
        ("不想要/七天无理由", 1, 1, 20.0),
    ]
    assert pdd[0]["share"] == 0.75
    assert pdd[0]["reasons"] == "收到商品破损 ×2；商品质量问题 ×1"


def test_per_agent_masks_what_buyers_wrote(store):
    rows = refund_reasons(store, parse_period("2026-10"), ["shop", "agent"])
    a2 = [r for r in rows if r["agent"] == "i15-a2"]
    # a2: 尺码偏小, an empty reason (closed, not refunded), a reason quoting a phone number
    assert [(r["category"], r["cases"], r["succeeded"]) for r in a2] == [
        ("其他", 1, 1),
        ("尺码/规格不合适", 1, 1),
        ("未填写", 1, 0),
    ]
    assert a2[0]["reasons"] == "买家联系电话138****8000要求退款 ×1"
    assert round(sum(r["share"] for r in a2), 9) == 1.0


def test_empty_period_and_bad_grouping_say_why(store):
    with pytest.raises(NotFoundError, match="no refund cases"):
        refund_reasons(store, parse_period("2025-01"))
    with pytest.raises(UsageError, match="--by takes shop and/or agent"):
        refund_reasons(store, None, ["team"])


def test_command_line(tmp_path):
    db = str(tmp_path / "k.duckdb")
    with Store(db) as s:
        fill_table(s, "refunds", ROWS)
    got = CliRunner().invoke(
        cli, ["--db", db, "refunds", "--period", "2026-10", "--by", "agent", "--format", "json"]
    )
    assert got.exit_code == 0, got.output
    rows = json.loads(got.output)["rows"]
    assert {(r["agent"], r["category"]) for r in rows} >= {("i15-a1", "物流问题")}
