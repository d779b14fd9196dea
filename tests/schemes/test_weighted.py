"""The weighted 售前 scheme (presales_standard, seed 002) under each normalisation and
missing policy. Targets: conversion 0.5, refund rate 0.05 (lower is better)."""

import pytest

from kaohe.schemes import load_scheme, score
from kaohe.schemes.rules import percentile

ROWS = [
    {
        "agent": "a1",
        "service_score": 80,
        "consult_to_pay_rate": 0.45,
        "avg_order_value": 120,
        "received_buyers": 100,
        "refund_rate": 0.04,
    },
    {
        "agent": "a2",
        "service_score": 90,
        "consult_to_pay_rate": 0.60,
        "avg_order_value": 80,
        "received_buyers": 50,
        "refund_rate": 0.10,
    },
    {
        "agent": "a3",
        "service_score": 70,
        "consult_to_pay_rate": 0.30,
        "avg_order_value": 100,
        "received_buyers": 200,
        "refund_rate": 0.0,
    },
]


def run(rows=ROWS, scheme=None):
    return score(scheme or load_scheme("presales_standard"), rows, None, "2026-10")


def test_each_normalisation_for_one_agent():
    a1 = run().agent("a1")
    # range 0–100: 80 → 80 % of 35 = 28
    assert a1.item("service").points == pytest.approx(28)
    assert a1.item("service").normalisation.startswith("range 0–100")
    # target: 0.45 / 0.5 = 90 → 30 × 0.9 = 27
    assert a1.item("conversion").points == pytest.approx(27)
    # team mean (120 + 80 + 100) / 3 = 100: 120 / 100 = 120 capped at 100 → 20
    assert a1.item("order_value").points == pytest.approx(20)
    assert "team mean 100" in a1.item("order_value").normalisation
    # rank: 100 beats 50, loses to 200 → percentile 50 → 10 × 0.5 = 5
    assert a1.item("volume").points == pytest.approx(5)
    # lower is better, target: 0.05 / 0.04 = 125 capped 100 → 5
    assert a1.item("refund").points == pytest.approx(5)
    assert "(lower is better)" in a1.item("refund").normalisation
    assert a1.total == pytest.approx(85)  # 28 + 27 + 20 + 5 + 5
    assert (a1.grade.label, a1.grade.band) == ("良好", "80 ≤ x < 90")


def test_other_agents():
    r = run()
    # a2: 31.5 + 30 (0.6/0.5 = 120 → cap 100) + 16 (80/100) + 0 (rank last) + 2.5 (0.05/0.1)
    assert r.agent("a2").total == pytest.approx(80)
    assert r.agent("a2").grade.label == "良好"  # 80 is the band's lower edge
    # a3: 24.5 + 18 (0.3/0.5) + 20 + 10 (rank first) + 5 (refund 0: best possible, capped)
    assert r.agent("a3").total == pytest.approx(77.5)
    assert r.agent("a3").grade.label == "合格"


def test_team_median_normalisation():
    scheme = load_scheme("presales_standard")
    scheme.items[2].normalise.stat = "median"
    rows = [*ROWS, {**ROWS[0], "agent": "a4", "avg_order_value": 400}]
    a2 = run(rows, scheme).agent("a2")
    # median of 120, 80, 100, 400 = 110: 80 / 110 × 100 = 72.73 → 20 × 0.7273 = 14.545
    assert a2.item("order_value").points == pytest.approx(20 * 80 / 110)


def test_range_and_rank_lower_is_better():
    scheme = load_scheme("presales_service")
    rows = [{"agent": "x", "avg_response_s": 30}, {"agent": "y", "avg_response_s": 95}]
    r = score(scheme, rows, None, "2026-10")
    # range 10–90, lower better: (90 − 30) / 80 = 75 → 15 × 0.75 = 11.25; 95 is past 90 → 0
    assert r.agent("x").item("response").points == pytest.approx(11.25)
    assert r.agent("y").item("response").points == 0
    # rank with lower better: 10 beats 20 and 30; ties count half
    assert percentile(10, [10, 20, 30], lower=True) == 100
    assert percentile(20, [10, 20, 20, 30], lower=True) == pytest.approx(100 * 1.5 / 3)
    assert percentile(5, [5]) == 100


def without_service(policy):
    scheme = load_scheme("presales_standard")
    scheme.items[0].missing = policy
    rows = [{**ROWS[0], "service_score": None}, *ROWS[1:]]
    return run(rows, scheme).agent("a1")


def test_missing_zero():
    a1 = without_service("zero")
    assert a1.item("service").points == 0 and a1.item("service").missing == "zero"
    assert a1.total == pytest.approx(57)  # 0 + 27 + 20 + 5 + 5


def test_missing_drop_reweights():
    a1 = without_service("drop")
    assert a1.item("service").dropped
    # 57 of the remaining 65 points, scaled to 100: 57 × 100 / 65
    assert a1.total == pytest.approx(57 * 100 / 65)
    assert "dropped service" in a1.notes[0]


def test_missing_median_of_population():
    a1 = without_service("median")
    # median of the others' service scores (90, 70) = 80 → 28 → same total as with 80
    assert a1.item("service").missing == "median"
    assert a1.item("service").inputs["service_score"] == 80
    assert a1.total == pytest.approx(85)


def test_min_sample_marks_insufficient_data_and_leaves_population_stats():
    rows = [
        *ROWS,
        {
            "agent": "a5",
            "service_score": 100,
            "consult_to_pay_rate": 1.0,
            "avg_order_value": 1000,
            "received_buyers": 10,
            "refund_rate": 0,
        },
    ]
    r = run(rows)
    a5 = r.agent("a5")
    assert a5.status == "insufficient_data" and a5.grade is None
    assert "received_buyers = 10 < 30" in a5.notes[0]
    # a5's 1000 is not in the team mean: a1 still gets 120 / 100 → 20
    assert r.agent("a1").item("order_value").points == pytest.approx(20)
