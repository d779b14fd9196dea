"""Why an agent is where they are: the items in words, what reaches the next grade, ranks only
for agents with enough data, the PK over the scheme's own population (issue 19.1)."""

import pytest

from kaohe.schemes import parse_scheme_text, score
from kaohe.schemes.advice import advise
from kaohe.schemes.breakdown import breakdown
from kaohe.schemes.score import ranks, result_rows, scheme_pk, scoring

SCHEME = """
id: t
name: 测试方案
full_marks: 100
population: {roles: [presales]}
min_sample: {metric: received_buyers, min: 10}
items:
  - {id: conversion, label: 转化率, rule: weighted, metric: consult_to_pay_rate, weight: 60,
     normalise: {method: target, target: 0.5}}
  - {id: response, label: 响应, rule: weighted, metric: avg_response_s, weight: 40,
     normalise: {method: range, floor: 10, ceiling: 90}}
grades:
  - {min: 90, label: 优秀}
  - {min: 60, label: 合格}
  - {label: 不合格}
pk:
  places: 1
  rewards: [100]
  min_sample: {metric: received_buyers, min: 10}
  metrics: [{metric: consult_to_pay_rate, label: 转化率}]
"""
ROWS = [
    # 36 + 20 = 56 不合格
    {"agent": "a", "consult_to_pay_rate": 0.3, "avg_response_s": 50, "received_buyers": 20},
    # too few buyers: 数据不足 (its 100 points must not stand first)
    {"agent": "b", "consult_to_pay_rate": 0.5, "avg_response_s": 10, "received_buyers": 5},
    # 综合 agent, outside the population: never in the 售前 PK
    {"agent": "c", "consult_to_pay_rate": 0.9, "avg_response_s": 10, "received_buyers": 90},
    # 54 + 35 = 89 合格
    {"agent": "d", "consult_to_pay_rate": 0.45, "avg_response_s": 20, "received_buyers": 30},
]
ROSTER = [
    {"agent": "a", "role": "presales"},
    {"agent": "b", "role": "presales"},
    {"agent": "c", "role": "general"},
    {"agent": "d", "role": "presales"},
]


@pytest.fixture(scope="module")
def scheme():
    return parse_scheme_text(SCHEME, "t.yaml")


def scored(scheme):
    result = score(scheme, ROWS, ROSTER, "2026-10")
    return result, scoring(scheme, ROWS, ROSTER)


def test_only_agents_with_enough_data_are_ranked(scheme):
    result, _ = scored(scheme)
    assert result.agent("b").total == pytest.approx(100)  # 60 + 40, but from 5 buyers
    assert ranks(result) == {"d": 1, "a": 2}
    rows = {r["agent"]: r["rank"] for r in result_rows(result)}
    assert rows == {"d": 1, "a": 2, "b": None}
    assert [r["agent"] for r in result_rows(result)] == ["d", "a", "b"]


def test_the_pk_compares_the_schemes_population_only(scheme):
    table = scheme_pk(scheme, ROWS, ROSTER)["consult_to_pay_rate"]
    # c (综合, 90 %) is not in it; b (5 buyers) is listed unranked
    assert [(e.agent, e.place, e.reward) for e in table] == [
        ("d", 1, 100),
        ("a", 2, 0),
        ("b", None, 0),
    ]


def test_the_smallest_change_that_reaches_the_next_grade(scheme):
    result, base = scored(scheme)
    advice = advise(scheme, base, result.agent("a"))
    assert advice.grade == "合格"
    # 60 points needed, 56 now. Conversion: 60 × c / 0.5 ≥ 40 → c ≥ 1/3: +3.33 points,
    # rounded up to the 0.1-point step → 33.4 % (3.4 / 33.4 = 10.2 % relative).
    # Response: 40 × (90 − r) / 80 ≥ 24 → r ≤ 42 s: 8 s less (8 / 50 = 16 %).
    conversion, response = advice.steps
    assert conversion.metric == "consult_to_pay_rate"
    assert conversion.needed == pytest.approx(0.334)
    assert advice.text() == "转化率再提高 3.4 个百分点（到 33.4%）即可达到 合格"
    assert response.needed == pytest.approx(42)
    assert response.text() == "响应再缩短 8秒（到 42秒）即可达到 合格"
    assert "percentage points" in advice.text("en")


def test_advice_at_the_top_and_for_too_little_data(scheme):
    result, base = scored(scheme)
    # d: 89 → 优秀 at 90: conversion ≥ 0.4583 (+0.9 pt) or response ≤ 18 s (2 s less)
    d = advise(scheme, base, result.agent("d"))
    assert d.grade == "优秀"
    assert [s.metric for s in d.steps] == ["consult_to_pay_rate", "avg_response_s"]
    assert d.best.needed == pytest.approx(0.459)
    b = advise(scheme, base, result.agent("b"))
    assert b.text() == "数据不足：接待人数还差 5（至少 10）才参加评分"
    low = SCHEME.replace("min: 90", "min: 55").replace("min: 60", "min: 50")
    top = parse_scheme_text(low, "t.yaml")  # a's 56 is now the top grade
    result2, base2 = score(top, ROWS, ROSTER, "2026-10"), scoring(top, ROWS, ROSTER)
    assert advise(top, base2, result2.agent("a")).text() == "已是最高等级"


def test_items_in_words_with_the_arithmetic(scheme):
    result, _ = scored(scheme)
    conversion, response = breakdown(scheme, result.agent("a"), result.params)
    assert (conversion.value_text, conversion.target_text, conversion.points) == ("30%", "50%", 36)
    assert conversion.how == "30% ÷ 目标 50% = 60%（封顶 100%）；60 分 × 60% = 36分"
    assert response.how == "50秒 在 10秒–90秒 区间（越低越好）折算为 50%；40 分 × 50% = 20分"
    assert (response.max_points, response.short) == (40, 20)
