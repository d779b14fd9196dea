"""`kaohe alerts` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.store import Store
from tests.alerts.helpers import import_rows, msg

RULES = """\
id: cli
name: 命令行测试
rules:
  - id: bad_rating
    kind: rating
    name: 差评
    name_en: Bad rating
    parts: [bad_ratings.bad]
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    with Store(tmp_path / "k.duckdb") as store:
        import_rows(store, tmp_path, "messages", [msg("buyer_a", "buyer", "2026-11-03 10:00:00")])
        import_rows(
            store,
            tmp_path,
            "ratings",
            [
                {
                    "shop": "快手小店",
                    "buyer": "buyer_a",
                    "agent": "小美",
                    "time": "2026-11-03 10:20:00",
                    "level": "失望",
                }
            ],
        )
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "kaohe.toml").write_text(
        f'[alerts]\nrules = "{tmp_path / "rules.yaml"}"\nbase_url = "https://k.example"\n'
        f'[alerts.channels.file]\ntype = "file"\npath = "{tmp_path / "out.jsonl"}"\n',
        encoding="utf-8",
    )
    return tmp_path


def _run(home: Path, *args: str) -> object:
    base = ["--db", str(home / "k.duckdb"), "--config", str(home / "kaohe.toml"), "alerts"]
    return CliRunner().invoke(cli, [*base, *args])


def test_evaluate_list_ack_show_and_times(home):
    result = _run(home, "evaluate", "--now", "2026-11-03 10:30")
    assert result.exit_code == 0, result.output
    assert "新预警 / fired: 1" in result.output and "file: 1 条消息" in result.output

    listed = json.loads(_run(home, "list", "--format", "json").output)["rows"]
    assert [(r["id"], r["rule"], r["status"]) for r in listed] == [(1, "bad_rating", "open")]

    assert _run(home, "ack", "1", "--by", "组长").exit_code == 0
    again = _run(home, "ack", "1", "--by", "组长")
    assert again.exit_code == 1 and "already acknowledged" in again.output

    shown = json.loads(_run(home, "show", "1").output)
    assert shown["ack_url"] == "https://k.example/alerts/1/ack"
    assert [e["kind"] for e in shown["events"]] == ["fired", "sent", "acknowledged"]
    assert shown["events"][-1]["actor"] == "组长"

    times = json.loads(_run(home, "times", "--format", "json").output)["rows"]
    assert times[0]["rule"] == "bad_rating" and times[0]["alerts_acknowledged"] == 1
    assert times[0]["name"] == "差评"  # the name in the rule file of this store
    assert times[0]["alert_ack_minutes"] is not None and times[0]["alerts_resolved"] == 0

    assert _run(home, "resolve", "1", "--note", "已安抚").exit_code == 0
    assert json.loads(_run(home, "list", "--status", "resolved", "--format", "json").output)["rows"]


def test_test_channel_and_unknown_names(home):
    ok = _run(home, "test-channel", "file")
    assert ok.exit_code == 0 and "alert channel test" in (home / "out.jsonl").read_text("utf-8")
    missing = _run(home, "test-channel", "fil")
    assert missing.exit_code == 2 and "did you mean 'file'" in missing.output
    assert _run(home, "show", "99").exit_code == 2
    assert "bad_rating" in _run(home, "rules").output
