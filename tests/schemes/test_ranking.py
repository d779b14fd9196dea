"""PK ranking (seed 002): places per metric, ties share the place, min_sample, Wilson."""

import pytest

from kaohe.schemes import load_scheme, pk_rank, rank_metric, wilson_lower
from kaohe.schemes.model import MinSample, PkMetric

ROWS = [
    {"agent": "a", "sales_amount": 9000, "avg_response_s": 20, "received_buyers": 300},
    {"agent": "b", "sales_amount": 12000, "avg_response_s": 15, "received_buyers": 250},
    {"agent": "c", "sales_amount": 12000, "avg_response_s": 30, "received_buyers": 200},
    {"agent": "d", "sales_amount": 8000, "avg_response_s": 15, "received_buyers": 100},
    {"agent": "e", "sales_amount": 99999, "avg_response_s": 1, "received_buyers": 5},
    {"agent": "f", "sales_amount": None, "avg_response_s": None, "received_buyers": 90},
]
SAMPLE = MinSample(metric="received_buyers", min=30)


def places(entries):
    return {e.agent: e.place for e in entries}


def test_ties_share_the_place_and_the_next_place_is_skipped():
    out = rank_metric(
        ROWS,
        PkMetric(metric="sales_amount"),
        SAMPLE,
        rewards=[300, 200, 100],
        direction=lambda m: "higher",
    )
    # b and c tie at 12000 → both 1st; a is 3rd (competition ranking 1, 1, 3); d 4th
    assert places(out) == {"b": 1, "c": 1, "a": 3, "d": 4, "e": None, "f": None}
    rewards = {e.agent: e.reward for e in out}
    assert rewards == {"b": 300, "c": 300, "a": 100, "d": 0, "e": 0, "f": 0}
    assert [e.agent for e in out[:4]] == ["b", "c", "a", "d"]


def test_lower_is_better_and_unranked_agents():
    out = rank_metric(ROWS, PkMetric(metric="avg_response_s", direction="lower"), SAMPLE)
    # 15 (b, d) tie first, 20 (a) third, 30 (c) fourth
    assert places(out) == {"b": 1, "d": 1, "a": 3, "c": 4, "e": None, "f": None}
    status = {e.agent: e.status for e in out}
    assert status["e"] == "insufficient_data"  # 5 buyers < 30: not ranked despite 1 s
    assert status["f"] == "no_value"


def test_wilson_lower_bound():
    # p = 0.5, n = 100, z = 1.96: (0.5 + 0.019208 − 1.96 × √(0.0025 + 0.00009604)) / 1.038416
    # = (0.519208 − 1.96 × 0.050951) / 1.038416 = 0.419344 / 1.038416 = 0.40383
    assert wilson_lower(50, 100) == pytest.approx(0.40383, abs=1e-5)
    assert wilson_lower(0, 0) == 0
    # 3 of 3 = 0.4385 < 290 of 300 = 0.9397
    assert wilson_lower(3, 3) < wilson_lower(290, 300)


def test_wilson_ranking_lets_the_large_sample_win():
    rows = [
        {"agent": "small", "rate": 1.0, "n": 3},
        {"agent": "large", "rate": 290 / 300, "n": 300},
    ]
    plain = rank_metric(rows, PkMetric(metric="rate"), direction=lambda m: "higher")
    fair = rank_metric(
        rows, PkMetric(metric="rate", wilson_trials="n"), direction=lambda m: "higher"
    )
    assert places(plain) == {"small": 1, "large": 2}
    assert places(fair) == {"large": 1, "small": 2}
    assert "Wilson lower bound" in fair[0].explanation


def test_preset_pk_section():
    pk = load_scheme("presales_standard").pk
    out = pk_rank(ROWS, pk)
    assert list(out) == ["sales_amount", "consult_to_pay_rate", "avg_response_s", "received_buyers"]
    # avg_response_s is lower-is-better (both in the preset and the registry)
    assert places(out["avg_response_s"])["b"] == 1
    assert places(out["received_buyers"]) == {"a": 1, "b": 2, "c": 3, "d": 4, "f": 5, "e": None}
