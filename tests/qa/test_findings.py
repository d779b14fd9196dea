"""Findings in the store: `kaohe qa run` keeps them per session, a re-run replaces them, and
`qa findings` masks buyer data."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.store import Store
from tests.engine.conftest import fill, msg

PACK = """\
id: tiny
name: 小规则集
rules:
  - id: interrogation
    name: 质问
    category: attitude
    severity: minor
    scope: agent
    detector: phrases
    params:
      phrases: [不是告诉你了]
    deduction: 5
    explanation: 不要质问顾客。
"""

ROWS = [
    msg("b1", "a1", "buyer", "2026-10-05 10:00:00", "电话13812345678，地址在哪里"),
    msg("b1", "a1", "agent", "2026-10-05 10:01:00", "不是告诉你了吗，请看详情页"),
    msg("b1", "a1", "buyer", "2026-10-05 11:00:00", "好的"),  # 59 min later: a new session
    msg("b1", "a1", "agent", "2026-10-05 11:00:30", "不是告诉你了"),
    msg("b2", "a2", "agent", "2026-10-05 12:00:00", "您好，请问有什么可以帮您"),
]


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "k.duckdb")
    with Store(path) as store:
        fill(store, ROWS)
    (tmp_path / "tiny.yaml").write_text(PACK, "utf-8")
    return path


def kaohe(db: str, *args: str):
    return CliRunner().invoke(cli, ["--db", db, *args])


def test_run_stores_one_finding_per_hit_with_its_session(db, tmp_path):
    pack = str(tmp_path / "tiny.yaml")
    res = kaohe(db, "qa", "run", "--pack", pack, "--period", "2026-10")
    assert res.exit_code == 0, res.output
    assert "2 条发现" in res.output  # a1's two interrogations; a2's greeting is clean
    kaohe(db, "qa", "run", "--pack", pack, "--period", "2026-10")  # a re-run replaces
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT agent, rule, session_start, span_start, span_end FROM qa_findings ORDER BY time"
        ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("a1", "interrogation")] * 2
    assert [str(r[2]) for r in rows] == ["2026-10-05 10:00:00", "2026-10-05 11:00:00"]
    assert rows[0][3:] == (0, 6)  # 不是告诉你了 at the start


def test_findings_are_masked(db, tmp_path):
    kaohe(db, "qa", "run", "--pack", str(tmp_path / "tiny.yaml"))
    res = kaohe(db, "qa", "findings", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["rows"]
    assert len(rows) == 2 and rows[0]["rule"] == "interrogation"
    assert rows[0]["buyer"] != "b1" and "b1" not in rows[0]["session"]
    assert rows[0]["session"].startswith("s1/") and rows[0]["span"] == [0, 6]


def test_sample_is_reproducible_and_prefers_flagged(db, tmp_path):
    kaohe(db, "qa", "run", "--pack", str(tmp_path / "tiny.yaml"))
    args = (
        "qa",
        "sample",
        "--per-agent",
        "1",
        "--seed",
        "7",
        "--flagged-share",
        "1",
        "--period",
        "2026-10",
        "--format",
        "json",
    )
    first, second = kaohe(db, *args), kaohe(db, *args)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    rows = {r["agent"]: r for r in json.loads(first.output)["rows"]}
    assert rows["a1"]["flagged"] is True


def test_an_ad_session_leaves_every_metric(tmp_path):
    # b9 advertises (兼职刷单 + 加微信 id: two signals of the default pack's ad_buyer rule) and
    # a1 answers; once `qa run` found it, the session counts for no metric, shop or agent
    from kaohe.engine import compute_kpis

    path = str(tmp_path / "ad.duckdb")
    with Store(path) as store:
        fill(
            store,
            ROWS
            + [
                msg(
                    "b9",
                    "a1",
                    "buyer",
                    "2026-10-06 09:00:00",
                    "兼职刷单，日结200，加微信 wx8899123 了解",
                ),
                msg("b9", "a1", "agent", "2026-10-06 09:00:20", "您好"),
            ],
        )
        metrics = ["consult_buyers", "rounds", "agent_messages"]
        before = compute_kpis(store, by="shop", metrics=metrics, use_facts=False)[0]
    assert kaohe(path, "qa", "run").exit_code == 0
    with Store(path) as store:
        after = compute_kpis(store, by="shop", metrics=metrics, use_facts=False)[0]
        kept = compute_kpis(
            store,
            by="shop",
            metrics=metrics,
            use_facts=False,
            params={"exclude_ad_sessions": False},
        )[0]
        facts = compute_kpis(store, by="shop", metrics=metrics)[0]
    assert after["consult_buyers"] == before["consult_buyers"] - 1
    assert after["rounds"] == before["rounds"] - 1
    assert after["agent_messages"] == before["agent_messages"] - 1
    assert kept == before and facts == after
