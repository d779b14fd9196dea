"""Scheme-level settings: population, gate, exempt periods, explanations, the flat table."""

import pytest

from kaohe.schemes import parse_scheme_text, score

SCHEME = """\
id: pdd_daily
name: 拼多多日考核
params:
  min_consults: {default: 100}
inputs: {discipline: 纪律分 (手工录入)}
gate: {metric: consult_buyers, op: ">=", value: min_consults}
exempt:
  - {start: 2026-02-14, end: 2026-02-22, label: 春节}
population: {roles: [presales], teams: [A组], shops: [拼多多旗舰店]}
items:
  - {id: reply, label: 回复率, rule: tiers, metric: reply_rate,
     bands: [{min: 0.95, points: 60}, {min: 0.9, points: 40}, {points: 0}]}
  - {id: manual, label: 纪律, rule: fixed, metric: discipline, points: 40}
grades:
  - {min: 60, label: 合格}
  - {label: 不合格, meets_standard: false}
"""
ROSTER = [
    {
        "agent": "a1",
        "name": "小美",
        "role": "presales",
        "team": "A组",
        "shops": "拼多多旗舰店,淘宝店",
    },
    {"agent": "a2", "name": "小王", "role": "aftersales", "team": "A组", "shops": "拼多多旗舰店"},
    {"agent": "a3", "name": "小李", "role": "presales", "team": "B组", "shops": "拼多多旗舰店"},
    {"agent": "a4", "name": "小张", "role": "presales", "team": "A组", "shops": "淘宝店"},
    {"agent": "a5", "name": "小赵", "role": "presales", "team": "A组", "shops": "拼多多旗舰店"},
    {
        "agent": "a6",
        "name": "离职",
        "role": "presales",
        "team": "A组",
        "shops": "拼多多旗舰店",
        "active": False,
    },
]
ROWS = [
    {"agent": a, "consult_buyers": 120, "reply_rate": 0.96, "discipline": 40}
    for a in ("a1", "a2", "a3", "a4")
]


def run(rows=ROWS, roster=ROSTER, period="2026-10-05", text=SCHEME):
    return score(parse_scheme_text(text, "s.yaml"), rows, roster, period)


def test_population_by_role_team_and_shop():
    r = run()
    # a2 aftersales, a3 team B, a4 other shop, a6 inactive; a5 is in the roster without data
    assert [a.agent for a in r.agents] == ["a1", "a5"]
    assert r.agent("a1").name == "小美" and r.agent("a1").total == 100


def test_roster_agent_without_data_takes_the_missing_policy():
    a5 = run().agent("a5")
    assert a5.status == "gated_out"  # no consult_buyers: the gate cannot hold
    rows = [*ROWS, {"agent": "a5", "consult_buyers": 150}]
    a5 = run(rows).agent("a5")
    # the default policy (auto): reply_rate is kaohe's own and null only when there is
    # nothing to measure, so it is dropped; discipline is a manual input never given: 0
    assert [i.missing for i in a5.items] == ["drop", "zero"]
    assert a5.items[0].explanation == (
        "reply_rate is null (nothing to measure): item dropped, the others re-weighted"
    )
    assert a5.items[1].explanation == "discipline is null (not given): 0 points"
    assert a5.total == 0  # 0 of the 40 points left, re-scaled to 100: 0


def test_population_by_agents_list_and_without_roster():
    text = SCHEME.replace(
        "population: {roles: [presales], teams: [A组], shops: [拼多多旗舰店]}",
        "population: {agents: [a2, a3]}",
    )
    assert [a.agent for a in run(text=text).agents] == ["a2", "a3"]
    # without a roster, role/team/shop selection cannot apply: everyone with rows is scored
    assert [a.agent for a in run(roster=None).agents] == ["a1", "a2", "a3", "a4"]


def test_gate():
    rows = [{**ROWS[0], "consult_buyers": 99}]
    a1 = run(rows).agent("a1")
    assert a1.status == "gated_out" and a1.total is None and a1.grade is None
    assert "consult_buyers >= 100" in a1.notes[0]
    assert run([{**ROWS[0], "consult_buyers": 100}]).agent("a1").status == "scored"


@pytest.mark.parametrize(
    ("period", "exempt"),
    [("2026-02-14", True), ("2026-02-22", True), ("2026-02-13", False), ("2026-02", False)],
)
def test_exempt_date_ranges(period, exempt):
    r = run(period=period)
    assert r.exempt is exempt
    assert (r.agents == []) is exempt
    if period == "2026-02":  # partly inside: scored, and said so
        assert "overlaps exempt 春节" in r.notes[0]


def test_item_explanations_and_table():
    r = run(rows=[{**ROWS[0], "reply_rate": 0.95, "discipline": 12}])
    reply = r.agent("a1").item("reply")
    assert (reply.rule, reply.points, reply.band) == ("tiers", 60, "x ≥ 0.95")
    assert reply.inputs == {"reply_rate": 0.95}
    assert "0.95 in band x ≥ 0.95 → 60" in reply.explanation
    assert r.table()[0] == {
        "客服": "a1",
        "姓名": "小美",
        "状态": "已评分",
        "回复率": 60.0,
        "纪律": 12.0,
        "总分": 72.0,
        "等级": "合格",
    }


def test_params_override_at_scoring_time():
    sch = parse_scheme_text(SCHEME, "s.yaml")
    r = score(sch, ROWS, ROSTER, "2026-10", params={"min_consults": 200})
    assert r.params == {"min_consults": 200}
    assert r.agent("a1").status == "gated_out"
