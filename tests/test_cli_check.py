"""`kaohe check` through the command line."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.store import Store
from tests.compliance.helpers import chat, rating
from tests.engine.conftest import fill, fill_table

D = datetime(2026, 10, 5, 10)
KEYS = {"preset", "subject", "cycle", "value", "threshold", "status", "consequence"}


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "k.duckdb")
    rows = chat("b1", D, 10, shop="p", platform="pdd") + chat(
        "b2", D + timedelta(hours=1), 900, shop="p", platform="pdd"
    )  # 1 / 2 within 5 min
    rows += chat("k1", D, 10, shop="k", platform="kuaishou")
    with Store(path) as store:
        fill(store, rows)
        # 快手 October: 1 of 2 poor ratings for 服务态度差 → 50 % > 6 %
        fill_table(
            store,
            "ratings",
            [
                rating("k", D, "失望", "服务态度差", buyer="x1"),
                rating("k", D, "一般", "回复慢", buyer="x2"),
            ],
        )
    return path


def kaohe(db: str, *args: str):
    return CliRunner().invoke(cli, ["--db", db, *args])


def test_json_rows_keep_the_contract_keys(db):
    res = kaohe(db, "check", "--period", "2026-10", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["period"] == "2026-10"
    assert all(KEYS <= set(r) for r in data["rows"])
    got = {(r["preset"], r["cycle"]): r for r in data["rows"]}
    day = got[("pdd_daily_reply", "2026-10-05")]
    assert (day["subject"], day["value"], day["threshold"], day["status"]) == (
        "p",
        0.5,
        0.8,
        "fail",
    )
    month = got[("kuaishou_attitude", "2026-10")]
    assert (month["value"], month["status"], month["cases"][0]["buyer"]) == (0.5, "fail", "x*")
    assert {r["status"] for r in data["rows"]} <= {"pass", "at_risk", "fail", "not_applicable"}


def test_one_preset_and_settings(db):
    res = kaohe(
        db,
        "check",
        "--period",
        "2026-10",
        "--preset",
        "pdd_daily_reply",
        "--set",
        "pdd_daily_reply.threshold=0.5",
        "--set",
        "pdd_daily_reply.margin=0",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    [row] = json.loads(res.output)["rows"]
    assert (row["preset"], row["status"], row["threshold"]) == ("pdd_daily_reply", "pass", 0.5)


def test_terminal_table_in_chinese_and_english(db):
    res = kaohe(db, "check", "--period", "2026-10", "--preset", "kuaishou_attitude")
    assert res.exit_code == 0, res.output
    assert "平台合规检查 2026-10" in res.output and "不达标" in res.output
    assert "快手服务态度差中差评率" in res.output and "后果" in res.output
    res = kaohe(db, "--lang", "en", "check", "--period", "2026-10", "--preset", "kuaishou_attitude")
    assert "Platform compliance 2026-10" in res.output and "fail" in res.output


def test_csv_and_xlsx(db, tmp_path):
    res = kaohe(
        db, "check", "--period", "2026-10", "--preset", "pdd_daily_reply", "--format", "csv"
    )
    assert res.exit_code == 0, res.output
    header, first = res.output.splitlines()[:2]
    assert header.startswith("preset,check,platform,subject,shop,agent,cycle,value")
    assert first.startswith("pdd_daily_reply,reply_5min,pdd,p,p,,2026-10-05,0.5")
    out = tmp_path / "c.xlsx"
    res = kaohe(db, "check", "--period", "2026-10", "--format", "xlsx", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 0


def test_unknown_preset_is_a_usage_error(db):
    res = kaohe(db, "check", "--period", "2026-10", "--preset", "nope")
    assert res.exit_code == 1
    assert "unknown compliance preset 'nope'" in res.output


def test_empty_period_is_not_found(db):
    res = kaohe(db, "check", "--period", "2025-01")
    assert res.exit_code == 2
    assert "no shop on a checked platform has data in 2025-01" in res.output


def test_as_of_a_running_month(db):
    res = kaohe(
        db,
        "check",
        "--period",
        "2026-10",
        "--preset",
        "kuaishou_attitude",
        "--as-of",
        "2026-10-10 12:00",
        "--format",
        "json",
    )
    [row] = json.loads(res.output)["rows"]
    # 50 % so far: a rate's projection is its value so far → a warning, not yet a failure
    assert (row["running"], row["projected"], row["status"]) == (True, 0.5, "at_risk")
