"""Naming an agent: the account, else a unique sub-account (`店铺:小美` → 小美) or roster name;
an ambiguous name lists the candidates, an unknown one the closest (kaohe.agents)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kaohe.agents import match_agent, resolve_agent
from kaohe.cli import cli
from kaohe.errors import NotFoundError, UsageError
from kaohe.store import Store
from tests.engine.conftest import fill, msg

D = "2026-10-05"
ACCOUNTS = ["京东店:小美", "天猫店:小美", "天猫店:阿杰"]
NAMES = {"京东店:小美": "陈静", "天猫店:小美": "王芳", "天猫店:阿杰": "张敏"}


def test_exact_then_sub_account_then_roster_name():
    assert match_agent("天猫店:小美", ACCOUNTS, NAMES) == "天猫店:小美"
    assert match_agent("阿杰", ACCOUNTS, NAMES) == "天猫店:阿杰"
    assert match_agent("陈静", ACCOUNTS, NAMES) == "京东店:小美"


def test_an_ambiguous_name_lists_the_candidates():
    with pytest.raises(UsageError) as err:
        match_agent("小美", ACCOUNTS, NAMES)
    assert "京东店:小美, 天猫店:小美" in str(err.value) and "ambiguous" in str(err.value)


def test_an_unknown_name_names_the_closest():
    with pytest.raises(NotFoundError) as err:
        match_agent("阿洁", ACCOUNTS, NAMES, "方案 x 的评分对象 / scored by x")
    text = str(err.value)
    assert "天猫店:阿杰" in text and "scored by x" in text and "unknown agent '阿洁'" in text


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "k.duckdb")
    rows = [
        msg("b1", account, sender, f"{D} 10:00:{second:02d}", shop=account.split(":")[0])
        for account in ACCOUNTS
        for sender, second in (("buyer", 0), ("agent", 30))
    ]
    with Store(path) as store:
        fill(store, rows)
        for account, name in NAMES.items():
            store.con.execute("INSERT INTO agents (agent, name) VALUES (?, ?)", [account, name])
    return path


def test_the_store_resolver_reads_every_agent_table(db):
    with Store(db) as store:
        assert resolve_agent(store, "王芳") == "天猫店:小美"


def test_kpi_and_explain_accept_a_unique_sub_account(db):
    run = CliRunner().invoke
    kpi = run(
        cli, ["--db", db, "kpi", "-p", D, "--agent", "阿杰", "-m", "rounds", "--format", "csv"]
    )
    assert kpi.exit_code == 0, kpi.output
    assert "天猫店:阿杰,1" in kpi.output
    explain = run(cli, ["--db", db, "explain", "rounds", "--agent", "陈静", "-p", D])
    assert explain.exit_code == 0 and "京东店:小美" in explain.output
    ambiguous = run(cli, ["--db", db, "kpi", "-p", D, "--agent", "小美"])
    assert ambiguous.exit_code == 1 and "京东店:小美, 天猫店:小美" in ambiguous.output
