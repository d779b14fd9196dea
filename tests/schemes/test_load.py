"""Scheme files: every preset loads; a mistake names file, line and field."""

import pytest

from kaohe.errors import ConfigError, UsageError
from kaohe.schemes import list_schemes, load_scheme, parse_scheme_text

PRESETS = {
    "presales_standard",
    "aftersales_standard",
    "presales_traffic",
    "presales_service",
    "presales_growth",
    "aftersales_returns",
    "aftersales_reputation",
    "general",
    "jd_aftersales",
    "tmall_ops_kpi",
    "callcenter",
    "supervisor",
}

GOOD = """\
id: mine
name: 我的方案
params:
  t: {default: 0.9}
items:
  - id: rate
    label: 回复率
    rule: tiers
    metric: reply_rate
    target: t
    bands:
      - {min: 1.0, points: 10}
      - {points: 0}
"""


def test_every_spec_preset_ships_with_100_points():
    schemes = {s.id: s for s in list_schemes()}
    assert set(schemes) == PRESETS
    for s in schemes.values():
        assert s.max_total == 100, s.id
        assert s.name and s.source


def test_load_by_id_path_and_param_override(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, "utf-8")
    mine = load_scheme(str(path), params={"t": 0.8})
    assert mine.id == "mine" and mine.params["t"].default == 0.8
    assert load_scheme("jd_aftersales").params["min_ratings"].default == 50
    with pytest.raises(UsageError, match="unknown scheme"):
        load_scheme("nope")
    with pytest.raises(UsageError, match="unknown parameter of jd_aftersales 'x'"):
        load_scheme("jd_aftersales", params={"x": 1})


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (GOOD.replace("rule: tiers", "rule: tier"), 8, "items.0.rule", "did you mean 'tiers'"),
        (GOOD.replace("target: t", "target: goal"), 10, "items.0.target", "unknown parameter"),
        (
            GOOD.replace("{min: 1.0, points: 10}", "{min: 1.0, pointz: 10}"),
            12,
            "items.0.bands.0.pointz",
            "unknown field 'pointz'; did you mean 'points'?",
        ),
        (
            GOOD.replace("- {points: 0}", "- {min: 2, points: 0}"),
            13,
            "items.0.bands.1",
            "best first",
        ),
        (
            GOOD.replace("- {points: 0}", "- {points: 0}\n      - {min: 0, points: 0}"),
            13,
            "items.0.bands.1",
            "only the last band",
        ),
        (GOOD.replace("  - id: rate\n    label", "  - label"), 6, "items.0.id", "needs an id"),
        (
            GOOD + "grades:\n  - {label: 差}\n  - {min: 60, label: 好}\n",
            15,
            "grades.0",
            "only the last band",
        ),
        (GOOD.replace("name: 我的方案\n", ""), 1, "name", "Field required"),
        (
            GOOD.replace("metric: reply_rate", "metric: reply_rat"),
            9,
            "items.0.metric",
            "unknown metric 'reply_rat'; did you mean 'reply_rate'?",
        ),
        (
            GOOD + "population: {roles: [presale]}\n",
            14,
            "population.roles.0",
            "unknown role 'presale'; did you mean 'presales'?",
        ),
        (
            GOOD.replace("name: 我的方案\n", "name: 我的方案\nfull_marks: 100\n"),
            3,
            "full_marks",
            "the items add up to 10 points (rate 10), not the declared full_marks 100",
        ),
        (
            GOOD + "pk: {metrics: [{metric: sales_amont}]}\n",
            14,
            "pk.metrics.0.metric",
            "did you mean 'sales_amount'?",
        ),
        (
            GOOD.replace(
                "rule: tiers", "rule: weighted\n    weight: 10\n    normalise: {method: target}"
            ).replace("    bands:\n      - {min: 1.0, points: 10}\n      - {points: 0}\n", ""),
            10,
            "items.0.normalise.target",
            "needs a target",
        ),
    ],
)
def test_errors_name_file_line_and_field(text, line, field, message):
    with pytest.raises(ConfigError) as err:
        parse_scheme_text(text, "mine.yaml")
    e = err.value
    assert (e.file, e.field) == ("mine.yaml", field)
    if message:
        assert message in str(e)
    assert e.line == line, str(e)
    assert str(e).startswith(f"mine.yaml:{line}, field '{field}'")


def test_declared_inputs_and_platform_figures_are_known_metrics():
    text = GOOD.replace("metric: reply_rate", "metric: knowledge_score")
    with pytest.raises(ConfigError, match="declare a manual figure under inputs"):
        parse_scheme_text(text, "mine.yaml")
    mine = parse_scheme_text(text + "inputs: {knowledge_score: 专业知识 (手工录入)}\n", "m.yaml")
    assert mine.metric_ids() == ["knowledge_score"]
    # a figure a platform report preset imports (拼多多 客服服务分) needs no declaration
    reported = parse_scheme_text(GOOD.replace("reply_rate", "pdd_service_score"), "p.yaml")
    assert reported.metric_ids() == ["pdd_service_score"]
    assert parse_scheme_text(GOOD.replace("name: 我的方案\n", "name: x\nfull_marks: 10\n"), "f")


def test_when_branch_errors_point_into_the_branch():
    text = """\
id: w
name: 条件
items:
  - id: s
    rule: when
    if: {metric: ratings, op: ">", value: 50}
    then: {rule: deduct_per_count, count: bad_ratings, points: 5, per_count: 0}
    else: {rule: fixed, metric: x, points: 5}
"""
    with pytest.raises(ConfigError) as err:
        parse_scheme_text(text, "w.yaml")
    assert err.value.field == "items.0.then.per_count" and err.value.line == 7


def test_invalid_yaml():
    with pytest.raises(ConfigError, match="invalid YAML") as err:
        parse_scheme_text("id: [x\n", "bad.yaml")
    assert err.value.file == "bad.yaml" and err.value.line == 2


def test_a_computed_metric_is_no_manual_input():
    text = (
        "id: x\nname: x\ninputs: {spot_checks: 抽检量}\n"
        "items:\n  - {id: a, rule: fixed, metric: spot_checks, points: 10}\n"
    )
    with pytest.raises(ConfigError, match="spot_checks is computed by kaohe") as caught:
        parse_scheme_text(text, "x.yaml")
    assert caught.value.line == 3 and caught.value.field == "inputs.spot_checks"
