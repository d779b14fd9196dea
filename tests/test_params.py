"""One parameter resolver (kaohe.params): a kaohe.toml parameter moves `kpi`, `score`, `pay`,
`check` and the web ranking alike; `--set` means the same on every command; an unknown name or
a value of the wrong kind is exit 1 naming it, with a "did you mean"."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from kaohe.cli import cli
from kaohe.config import Config
from kaohe.errors import ConfigError
from kaohe.params import flatten, resolve_params
from kaohe.store import Store
from kaohe.web.app import close_app, create_app
from kaohe.web.render import fmt_number
from kaohe.web.users import add_user
from tests.engine import fixtures as F
from tests.engine.conftest import fill

# t2 (answered in 900 s) and t3 (unanswered) are left out by the kaohe.toml below
TOML = '[metrics.params]\nexclude_buyers = ["t2", "t3"]\n'
SCHEME = """\
id: mine
name: 响应
full_marks: 100
population: {roles: [presales]}
items:
  - {id: reply, label: 回复率, rule: weighted, metric: reply_rate, weight: 100,
     normalise: {method: target, target: 1}}
"""
PLAN = """\
id: mine_pay
name: 回复奖
lines:
  - {id: bonus, name: 回复奖, formula: reply_rate * 1000}
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The Taobao scenario (a3: t1 60 s, t2 900 s, t3 unanswered, t4 07:00 in 30 s), a3 a
    presales agent; a kaohe.toml excluding t2 and t3; a scheme and a plan on reply_rate."""
    base = tmp_path_factory.mktemp("params")
    db = str(base / "k.duckdb")
    with Store(db) as store:
        fill(store, F.TAOBAO)
        store.con.execute("INSERT INTO agents (agent, role) VALUES ('a3', 'presales')")
        add_user(store, "sup", "supervisor", "correct-horse-1")
    files = {
        "db": db,
        "toml": base / "kaohe.toml",
        "scheme": base / "s.yaml",
        "plan": base / "p.yaml",
    }
    files["toml"].write_text(TOML, "utf-8")
    files["scheme"].write_text(SCHEME, "utf-8")
    files["plan"].write_text(PLAN, "utf-8")
    return {k: str(v) for k, v in files.items()}


def kaohe(setup: dict[str, str], *args: str, toml: bool = True):
    config = ["--config", setup["toml"]] if toml else []
    return CliRunner().invoke(cli, ["--db", setup["db"], *config, *args])


def as_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_kaohe_toml_moves_kpi_score_pay_and_check_alike(setup):
    kpi = {
        toml: as_json(
            kaohe(
                setup,
                "kpi",
                "-p",
                "2026-10",
                "-m",
                "reply_rate,taobao_avg_response_s",
                "--format",
                "json",
                toml=toml,
            )
        )["rows"][0]
        for toml in (False, True)
    }
    # by hand: replies to t1, t2, t4 of 4 buyers; 平响 (60 + 600 + 600) / 3 in 08:00-23:00.
    # Without t2 and t3: 2 of 2, and t1's 60 s alone
    assert (kpi[False]["reply_rate"], kpi[False]["taobao_avg_response_s"]) == (0.75, 420.0)
    assert (kpi[True]["reply_rate"], kpi[True]["taobao_avg_response_s"]) == (1.0, 60.0)
    for toml in (False, True):
        score = as_json(
            kaohe(
                setup,
                "score",
                "--scheme",
                setup["scheme"],
                "-p",
                "2026-10",
                "--format",
                "json",
                toml=toml,
            )
        )["rows"][0]
        assert score["total"] == pytest.approx(100 * kpi[toml]["reply_rate"])
        pay = as_json(
            kaohe(
                setup,
                "pay",
                "--plan",
                setup["plan"],
                "-p",
                "2026-10",
                "--format",
                "json",
                toml=toml,
            )
        )["rows"][0]
        assert pay["bonus"] == pytest.approx(1000 * kpi[toml]["reply_rate"])
        check = as_json(
            kaohe(
                setup,
                "check",
                "-p",
                "2026-10",
                "--preset",
                "taobao_response",
                "--as-of",
                "2026-11-30",
                "--format",
                "json",
                toml=toml,
            )
        )["rows"]
        response = [r for r in check if r["check"] == "avg_response"]
        assert response and {r["value"] for r in response} == {kpi[toml]["taobao_avg_response_s"]}
        # ≤ 60 s passes; 60 s is within the preset's 10 s margin, so at risk; 420 s fails
        assert {r["status"] for r in response} == ({"at_risk"} if toml else {"fail"})


def test_kaohe_toml_moves_the_web_ranking_as_score(setup, monkeypatch):
    monkeypatch.setattr("kaohe.web.pages.ranking.list_schemes", lambda: [_scheme(setup)])
    totals = {}
    for toml in (False, True):
        params = {"exclude_buyers": ["t2", "t3"]} if toml else {}
        app = create_app(setup["db"], config=Config(db=setup["db"], params=params), secret_key="k")
        try:
            client = TestClient(app)
            login = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', login)[1]
            client.post(
                "/login",
                data={
                    "username": "sup",
                    "password": "correct-horse-1",
                    "csrf_token": token,
                    "next": "/",
                },
            )
            html = client.get("/ranking?scheme=mine&period=2026-10").text
        finally:
            close_app(app)
        totals[toml] = re.search(r'<td class="num">([0-9.,]+)[^<0-9]*</td><td>', html)[1]
    score = {
        toml: as_json(
            kaohe(
                setup,
                "score",
                "--scheme",
                setup["scheme"],
                "-p",
                "2026-10",
                "--format",
                "json",
                toml=toml,
            )
        )["rows"][0]["total"]
        for toml in (False, True)
    }
    assert totals == {t: fmt_number(score[t]) for t in (False, True)}
    assert score == {False: 75.0, True: 100.0}


def _scheme(setup):
    from kaohe.schemes import load_scheme

    return load_scheme(setup["scheme"])


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["kpi", "-p", "2026-10", "--set", "windw=72"], "'windw'，是否指 'window'"),
        (["credit", "o1", "--set", "ancor=payment"], "did you mean 'anchor'?"),
        (["kpi", "-p", "2026-10", "--set", "refund_rat.window=3"], "did you mean 'refund_rate'?"),
        (["kpi", "-p", "2026-10", "--set", "session_gap=abc"], "field 'session_gap'"),
        (["kpi", "-p", "2026-10", "--set", "auto_reply_counts=1"], "true or false"),
        (
            ["score", "--scheme", "general", "-p", "2026-10", "--set", "conversion_targt=0.5"],
            "did you mean 'conversion_target'?",
        ),
        (
            ["pay", "--plan", "jd_commission", "-p", "2026-10", "--set", "bonus_bse=2"],
            "did you mean 'bonus_base'?",
        ),
        (
            ["check", "-p", "2026-10", "--set", "taobao_response.treshold=0.5"],
            "did you mean 'threshold'?",
        ),
    ],
)
def test_unknown_names_and_bad_values_exit_1(setup, args, named):
    result = kaohe(setup, *args, toml=False)
    assert result.exit_code == 1, result.output
    assert named in result.output and "内部错误" not in result.output


def test_a_bad_kaohe_toml_names_file_and_field(setup, tmp_path):
    bad = tmp_path / "kaohe.toml"
    bad.write_text("[metrics.params]\nsesion_gap = 10\n", "utf-8")
    result = CliRunner().invoke(cli, ["--db", setup["db"], "--config", str(bad), "kpi"])
    assert result.exit_code == 1
    assert "field 'metrics.params.sesion_gap'" in result.output
    assert "did you mean 'session_gap'?" in result.output


def test_one_meaning_of_a_key():
    from kaohe.compliance import load_preset
    from kaohe.pay import load_plan
    from kaohe.schemes import load_scheme

    scheme, plan = load_scheme("general"), load_plan("jd_commission")
    params = resolve_params(
        {"session_gap": 20, "jd_first_30s_rate": {"seconds": 25}},
        [
            "session_gap=15",
            "window=36h",
            "conversion_target=0.5",
            "general.resolution_target=0.8",
            "bonus_base=3",
            "kuaishou_3min.threshold=0.9",
            "exclude_buyers=x,y",
        ],
        owners=[scheme, plan],
        presets=[load_preset("kuaishou_3min")],
    )
    # --set wins over kaohe.toml; a nested table is a dotted key; a,b is a list
    assert params.engine == {
        "session_gap": 15,
        "jd_first_30s_rate.seconds": 25,
        "window": "36h",
        "exclude_buyers": ["x", "y"],
    }
    assert params.of(scheme) == {"conversion_target": 0.5, "resolution_target": 0.8}
    assert params.of(plan) == {"bonus_base": 3.0}
    assert params.presets == {"kuaishou_3min.threshold": 0.9}
    # a table-valued parameter stays whole
    assert flatten({"promise_days": {"city": 2}}) == {"promise_days": {"city": 2}}
    with pytest.raises(ConfigError, match="kaohe.toml"):
        resolve_params({"window": "soon"}, file="kaohe.toml")


def test_response_windows_are_service_window_not_the_attribution_window(setup):
    # `window` is the attribution window in hours everywhere; the response metrics' daily
    # hours are `service_window`, so --set window=72 no longer breaks them
    result = kaohe(
        setup, "kpi", "-p", "2026-10", "--set", "window=72", "--format", "json", toml=False
    )
    assert as_json(result)["rows"][0]["rounds"] == 4
    narrowed = kaohe(
        setup,
        "kpi",
        "-p",
        "2026-10",
        "-m",
        "rounds",
        "--set",
        "service_window=08:00-23:00",
        "--format",
        "json",
        toml=False,
    )
    assert as_json(narrowed)["rows"][0]["rounds"] == 3  # t4 at 07:00 is outside


def test_read_commands_never_create_a_store(tmp_path):
    missing = tmp_path / "nope.duckdb"
    for args in (
        ["kpi"],
        ["score", "--scheme", "general", "-p", "2026-10"],
        ["qa", "findings"],
        ["check", "-p", "2026-10"],
    ):
        result = CliRunner().invoke(cli, ["--db", str(missing), *args])
        assert result.exit_code == 2 and str(missing) in result.output, args
        assert "kaohe import" in result.output
    assert not missing.exists()


def test_an_empty_store_says_so(tmp_path):
    empty = tmp_path / "empty.duckdb"
    Store(empty).close()
    for args in (["kpi"], ["qa", "findings"], ["check", "-p", "2026-10"]):
        result = CliRunner().invoke(cli, ["--db", str(empty), *args])
        assert result.exit_code == 2 and "holds no data yet" in result.output, args
        assert str(empty) in result.output
