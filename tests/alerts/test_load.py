"""Rule and routing files: the shipped ones load; mistakes name file, line and field, and an
unknown metric, kind, state or channel says which one was meant."""

from __future__ import annotations

import pytest

from kaohe.alerts.load import load_routing, load_rules, parse_routing_text, parse_rules_text
from kaohe.alerts.setup import parse_settings
from kaohe.errors import ConfigError

GOOD = """\
id: mine
name: 我的规则
rules:
  - id: slow
    kind: slow_round
    name: 回复慢
    name_en: Slow
    metric: kuaishou_3min_rate
"""


def test_the_shipped_rules_and_example_routing_load():
    rules = load_rules("default")
    kinds = {r.kind for r in rules.rules}
    assert kinds == {
        "rating",
        "slow_round",
        "waiting",
        "qa_finding",
        "refund_deadline",
        "service_order_deadline",
        "email_deadline",
        "ticket_deadline",
        "rating_window",
        "compliance",
        "metric_window",
    }
    channels = ["team_a_lead", "cs_leads", "supervisor_mail"]
    routing = load_routing("example", channels)
    assert routing.leads["售前一组"] == "team_a_lead"


def test_a_good_file_parses():
    assert parse_rules_text(GOOD, "mine.yaml").rules[0].metric == "kuaishou_3min_rate"


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        (
            GOOD.replace("kuaishou_3min_rate", "kuaishou_3mn_rate"),
            "mine.yaml:8, field 'rules.0.metric'",
            "did you mean 'kuaishou_3min_rate'",
        ),
        (
            GOOD.replace("slow_round", "slow_rounds"),
            "mine.yaml:5, field 'rules.0.kind'",
            "did you mean 'slow_round'",
        ),
        (
            GOOD + "    severity: {slw: critical}\n",
            "mine.yaml:9, field 'rules.0.severity.slw'",
            "did you mean 'slow'",
        ),
        (
            GOOD + "    platfroms: [jd]\n",
            "mine.yaml:9, field 'rules.0.platfroms'",
            "did you mean 'platforms'",
        ),
    ],
)
def test_mistakes_name_file_line_field_and_the_likely_name(text, where, says):
    with pytest.raises(ConfigError) as err:
        parse_rules_text(text, "mine.yaml")
    assert str(err.value).startswith(where), str(err.value)
    assert says in str(err.value)


def test_an_unknown_part_is_named_with_the_parts_there_are():
    text = GOOD.replace("kind: slow_round", "kind: rating\n    parts: [bad_ratings.bda]").replace(
        "    metric: kuaishou_3min_rate\n", ""
    )
    with pytest.raises(ConfigError, match=r"mine.yaml:6.*no part 'bda' \(did you mean 'bad'\?\)"):
        parse_rules_text(text, "mine.yaml")


def test_routing_names_an_unknown_channel():
    text = "id: r\nroutes:\n  - ladder:\n      - to: [leed_chan]\n"
    with pytest.raises(ConfigError) as err:
        parse_routing_text(text, "r.yaml", ["lead_chan"])
    assert str(err.value).startswith("r.yaml:4, field 'routes.0.ladder.0.to.0'")
    assert "did you mean 'lead_chan'" in str(err.value)


def test_the_alerts_section_is_checked():
    with pytest.raises(ConfigError, match="alerts.channels.x.type"):
        parse_settings({"channels": {"x": {"type": "wechat"}}}, "kaohe.toml")
    with pytest.raises(ConfigError, match="did you mean 'base_url'"):
        parse_settings({"base_ur": "http://x"}, "kaohe.toml")
