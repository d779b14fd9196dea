"""`kaohe score` and `kaohe schemes` through the command line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.store import Store
from tests.engine import fixtures as F
from tests.engine.conftest import fill

# Each agent's reply_rate comes from the engine (its own tests pin it); this checks the
# scheme's arithmetic on top: reply_rate / target 1.0 ≥ 0.9 → 10 points, else 0; ≥ 10 → 优秀.
SCHEME = """\
id: mine
name: 我的方案
params:
  t: {default: 1.0}
items:
  - id: rate
    label: 回复率
    rule: tiers
    metric: reply_rate
    target: t
    bands:
      - {min: 0.9, points: 10}
      - {points: 0}
grades:
  - {min: 10, label: 优秀}
  - {label: 待改进}
"""


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "k.duckdb")
    with Store(path) as store:
        fill(store, F.ALL, F.ROSTER)
    return path


def kaohe(db: str, *args: str):
    return CliRunner().invoke(cli, ["--db", db, *args])


def test_score_json_ranks_and_grades(db, tmp_path):
    scheme = tmp_path / "mine.yaml"
    scheme.write_text(SCHEME, "utf-8")
    res = kaohe(db, "kpi", "--period", "2026-10", "--metrics", "reply_rate", "--format", "json")
    rates = {r["agent"]: r["reply_rate"] for r in json.loads(res.output)["rows"]}
    res = kaohe(db, "score", "--scheme", str(scheme), "--period", "2026-10", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["scheme"] == "mine" and data["period"] == "2026-10"
    rows = {r["agent"]: r for r in data["rows"]}
    for agent, rate in rates.items():
        if rate is None:
            continue
        expected = 10.0 if rate / 1.0 >= 0.9 else 0.0
        assert rows[agent]["rate"] == expected, agent
        assert rows[agent]["grade"] == ("优秀" if expected == 10 else "待改进")
    places = sorted((r["rank"], -r["total"]) for r in data["rows"] if r["rank"])
    assert places[0][0] == 1
    tens = [r for r in data["rows"] if r["total"] == 10.0]
    assert all(r["rank"] == 1 for r in tens)  # ties share the place


def test_score_compare_explain_and_errors(db, tmp_path):
    scheme = tmp_path / "mine.yaml"
    scheme.write_text(SCHEME, "utf-8")
    res = kaohe(
        db,
        "score",
        "--scheme",
        str(scheme),
        "--compare",
        str(scheme),
        "--set",
        "t=2.0",
        "--period",
        "2026-10",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    assert all(r["difference"] in (0, None) for r in json.loads(res.output)["rows"])
    res = kaohe(db, "score", "--scheme", str(scheme), "--period", "2026-10", "--explain", "a3")
    assert res.exit_code == 0 and "回复率" in res.output and "等级" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCHEME.replace("rule: tiers", "rule: tier"), "utf-8")
    res = kaohe(db, "score", "--scheme", str(bad), "--period", "2026-10")
    assert res.exit_code == 1 and "bad.yaml:8" in res.output
    assert kaohe(db, "score", "--scheme", "nope", "--period", "2026-10").exit_code == 1


def test_schemes_list_show_validate(db, tmp_path):
    res = kaohe(db, "schemes", "list", "--format", "json")
    ids = {r["id"] for r in json.loads(res.output)["rows"]}
    assert {"jd_aftersales", "tmall_ops_kpi", "presales_standard"} <= ids
    res = kaohe(db, "schemes", "show", "jd_aftersales")
    assert res.exit_code == 0 and "jd_aftersales" in res.output
    good = tmp_path / "mine.yaml"
    good.write_text(SCHEME, "utf-8")
    assert kaohe(db, "schemes", "validate", str(good)).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCHEME.replace("target: t", "target: goal"), "utf-8")
    res = kaohe(db, "schemes", "validate", str(bad))
    assert res.exit_code == 1 and "items.0.target" in res.output


def test_a_typo_in_a_metric_id_fails_validation(db, tmp_path):
    bad = tmp_path / "typo.yaml"
    bad.write_text(SCHEME.replace("metric: reply_rate", "metric: refund_rat"), "utf-8")
    res = kaohe(db, "schemes", "validate", str(bad))
    assert res.exit_code == 1
    assert "typo.yaml:9, field 'items.0.metric'" in res.output
    assert "did you mean 'refund_rate'?" in res.output
    res = kaohe(db, "schemes", "validate", str(tmp_path / "mine.yaml"))  # not written yet
    assert res.exit_code == 1


def test_nobody_in_the_population_says_so(db, tmp_path):
    # the roster's agents (a1 … a5, no role) have figures, but the scheme covers aftersales only
    scheme = tmp_path / "after.yaml"
    scheme.write_text(SCHEME.replace("items:", "population: {roles: [aftersales]}\nitems:"))
    res = kaohe(db, "score", "--scheme", str(scheme), "--period", "2026-10", "--format", "json")
    assert res.exit_code == 0
    notes = json.loads(res.stdout)["notes"]
    assert json.loads(res.stdout)["rows"] == [] and len(notes) == 1
    assert "nobody is in scheme mine's population (roles: aftersales)" in notes[0]
    assert "方案 mine 的考核对象（roles: aftersales）中没有人" in notes[0]
    assert notes[0] in res.stderr  # the table and csv outputs print it too
