"""`kaohe kpi` and `kaohe explain` through the command line."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.store import Store
from tests.engine import fixtures as F
from tests.engine.conftest import fill


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "k.duckdb")
    with Store(path) as store:
        fill(store, F.ALL, F.ROSTER)
    return path


def kaohe(db: str, *args: str):
    return CliRunner().invoke(cli, ["--db", db, *args])


def test_kpi_json_shape(db):
    res = kaohe(
        db,
        "kpi",
        "--period",
        "2026-10",
        "--format",
        "json",
        "--metrics",
        "rounds,reply_rate,taobao_avg_response_s",
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["from"] == "2026-10-01" and data["to"] == "2026-10-31"
    assert data["by"] == ["agent"]
    assert data["settled"] is True
    rows = {r["agent"]: r for r in data["rows"]}
    assert rows["a3"]["taobao_avg_response_s"] == 420.0
    assert set(rows["a1"]) == {"agent", "rounds", "reply_rate", "taobao_avg_response_s"}


def test_kpi_csv_by_shop_day_and_set(db):
    res = kaohe(
        db,
        "kpi",
        "--from",
        "2026-10-05",
        "--to",
        "2026-10-05",
        "--by",
        "shop,day",
        "--metrics",
        "avg_response_s",
        "--set",
        "avg_response_s.cap_s=100",
        "--format",
        "csv",
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.output)))
    assert rows[0].keys() == {"shop", "day", "avg_response_s"}
    s3 = [r for r in rows if r["shop"] == "s3"][0]
    assert s3["avg_response_s"] == ""  # its only round that day is unanswered: null


def test_kpi_table_and_xlsx(db, tmp_path):
    res = kaohe(db, "kpi", "--period", "2026-10-05", "--metrics", "reply_rate")
    assert res.exit_code == 0, res.output
    assert "回复率" in res.output and "%" in res.output
    out = tmp_path / "k.xlsx"
    res = kaohe(db, "kpi", "--period", "2026-W41", "--format", "xlsx", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 0


def test_kpi_errors(db):
    res = kaohe(db, "kpi", "--period", "2025-01")  # a period without data: nulls and a note
    assert res.exit_code == 0 and "nothing in store" in res.output
    res = kaohe(db, "kpi", "--agent", "nobody")
    assert res.exit_code == 2 and "unknown agent" in res.output
    res = kaohe(db, "kpi", "--metrics", "no_such_metric")
    assert res.exit_code == 1 and "unknown metric" in res.output


def test_explain(db):
    res = kaohe(
        db,
        "explain",
        "taobao_avg_response_s",
        "--agent",
        "a3",
        "--period",
        "2026-10",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["numerator"] == 1260.0 and data["denominator"] == 3
    assert data["value"] == 420.0
    assert data["params"]["cap_s"] == 600
    assert len(data["rows"]) == 4
    # each listed round says what it adds: t4 (07:00, outside 08:00-23:00) nothing, t1 60 s,
    # t2 900 s capped at 600, t3 unanswered counted at 600
    # listed with the rows that matter most first (issue 19: the largest contribution
    # leads): t2 and t3 (600 each), t1 (60), t4 (nothing)
    assert [r["→response_sum"] for r in data["rows"]] == [600.0, 600.0, 60.0, None]
    assert [r["→responses"] for r in data["rows"]] == [True, True, True, False]
    res = kaohe(db, "explain", "reply_rate", "--agent", "a1", "--period", "2026-10")
    assert res.exit_code == 0, res.output
    assert "received_buyers / consult_buyers" in res.output


def test_explain_errors(db):
    assert kaohe(db, "explain", "nope", "--agent", "a1").exit_code == 1
    assert kaohe(db, "explain", "rounds", "--agent", "zz", "--period", "2026-10").exit_code == 2


def test_params_from_kaohe_toml(db, tmp_path):
    config = tmp_path / "kaohe.toml"
    config.write_text(
        "[metrics.params]\ntaobao_avg_response_s = { cap_s = 100 }\nslow_s = 50\n", encoding="utf-8"
    )
    res = CliRunner().invoke(
        cli,
        [
            "--db",
            db,
            "--config",
            str(config),
            "kpi",
            "--format",
            "json",
            "--metrics",
            "taobao_avg_response_s,slow_rounds",
            "--agent",
            "a3",
        ],
    )
    assert res.exit_code == 0, res.output
    row = json.loads(res.output)["rows"][0]
    assert row["taobao_avg_response_s"] == (60 + 100 + 100) / 3
    assert row["slow_rounds"] == 2  # 60 s and 900 s are slower than 50 s (07:00 round: 30 s)


def test_compare_platform(db):
    # the platform's report says a3 averaged 400 s in October and had 3 + 2 rounds on two
    # days; kaohe computes 420 s (60 / 900→600 / unanswered 600) and 4 rounds
    with Store(db) as store:
        store.con.executemany(
            "INSERT INTO metric_values (period, subject, metric, value, source) "
            "VALUES (?, ?, ?, ?, 'platform:taobao')",
            [
                ["2026-10", "a3", "taobao_avg_response_s", 400.0],
                ["2026-10-05", "a3", "rounds", 3.0],
                ["2026-10-06", "a3", "rounds", 2.0],
                ["2026-10-05", "a3", "reply_rate", 0.5],
            ],
        )  # a single day's ratio: not summed
    res = kaohe(
        db,
        "kpi",
        "--period",
        "2026-10",
        "--format",
        "json",
        "--compare-platform",
        "--metrics",
        "taobao_avg_response_s,rounds,reply_rate",
    )
    assert res.exit_code == 0, res.output
    a3 = {r["agent"]: r for r in json.loads(res.output)["rows"]}["a3"]
    assert a3["taobao_avg_response_s"] == 420.0
    assert a3["taobao_avg_response_s_platform"] == 400.0
    assert a3["taobao_avg_response_s_diff"] == 20.0
    assert a3["rounds"] == 4 and a3["rounds_platform"] == 5.0 and a3["rounds_diff"] == -1.0
    assert a3["reply_rate_platform"] is None and a3["reply_rate_diff"] is None
    res = kaohe(db, "kpi", "--period", "2026-10", "--compare-platform", "--metrics", "rounds")
    assert res.exit_code == 0 and "平台" in res.output
    assert (
        kaohe(db, "kpi", "--by", "day", "--period", "2026-10", "--compare-platform").exit_code == 1
    )


def test_many_metrics_print_as_one_table_per_section(db):
    terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": "120"}
    args = ["--db", db, "kpi", "--period", "2026-10", "--by", "shop"]
    res = CliRunner().invoke(cli, args, env=terminal)
    assert res.exit_code == 0, res.output
    for section in ("接待与工作量", "响应", "销售、转化与归属", "售后"):
        assert f"· {section}" in res.output
    args += ["--metrics", "consult_buyers,reply_rate"]
    res = CliRunner().invoke(cli, args, env=terminal)
    assert "·" not in res.output  # two metrics of one section: one plain table


def test_a_call_centre_store_is_reported_without_chats(tmp_path):
    from tests.engine import fixtures_operations as ops
    from tests.engine.conftest import fill_table

    path = str(tmp_path / "calls.duckdb")
    with Store(path) as store:
        fill_table(store, "calls", ops.CALLS)
        fill_table(store, "metric_values", ops.METRIC_VALUES)
    ids = "calls_handled,aht_s,training_index,reply_rate"
    for period in (["--period", "2026-10"], []):  # no period: the calls' own days
        res = CliRunner().invoke(
            cli, ["--db", path, "kpi", *period, "--metrics", ids, "--format", "json"]
        )
        assert res.exit_code == 0, res.output
        data = json.loads(res.stdout)
        c1 = {r["agent"]: r for r in data["rows"]}["ops-c1"]
        # handled k1, k2, k5; AHT is talk + wrap-up: (300 + 60) + (120 + 30) + 600 = 1110 s / 3
        assert c1["calls_handled"] == 3 and c1["aht_s"] == pytest.approx(1110 / 3)
        assert c1["reply_rate"] is None  # a chat metric: null, and the note says why
        [note] = data["notes"]
        assert "no messages rows" in note and "reply_rate are null" in note
        assert note in res.stderr
    assert data["from"] == "2026-10-01" and data["to"] == "2026-10-31"  # metric_values' month
