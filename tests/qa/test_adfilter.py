"""The ad filter report: the sessions `qa run` found advertising, masked, with what caught them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.qa.adfilter import filtered_sessions
from kaohe.store import Store
from tests.engine.conftest import fill, msg

ROWS = [
    msg("b1", "a1", "buyer", "2026-10-05 10:00:00", "这个有货吗"),
    msg("b1", "a1", "agent", "2026-10-05 10:00:20", "您好，有货的"),
    msg("b9", "a1", "buyer", "2026-10-06 09:00:00", "兼职刷单，日结200，加微信 wx8899123 了解"),
    msg("b9", "a1", "agent", "2026-10-06 09:00:20", "您好"),
    msg("b9", "a1", "buyer", "2026-10-06 09:01:00", "兼职日结，电话13812345678 联系我"),
]


def test_the_ad_session_is_listed_masked(tmp_path):
    path = str(tmp_path / "ad.duckdb")
    with Store(path) as store:
        fill(store, ROWS)
    assert CliRunner().invoke(cli, ["--db", path, "qa", "run"]).exit_code == 0
    with Store(path, read_only=True) as store:
        rows = filtered_sessions(store)
        shown = filtered_sessions(store, masked=False)
    assert len(rows) == 1  # b1's ordinary session is not listed
    row = rows[0]
    assert row["shop"] == "s1" and row["agent"] == "a1" and row["buyer"] != "b9"
    assert shown[0]["buyer"] == "b9"
    assert row["messages"] == 3  # the whole session leaves the KPIs
    assert "兼职" in row["matched"] or "刷单" in row["matched"]
    res = CliRunner().invoke(cli, ["--db", path, "qa", "filtered", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["rows"][0]["messages"] == 3
    assert "13812345678" not in res.output


def test_nothing_filtered_is_an_empty_report(tmp_path):
    with Store(":memory:") as store:
        fill(store, ROWS[:2])
        assert filtered_sessions(store) == []
