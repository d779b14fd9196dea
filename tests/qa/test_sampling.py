import random
from datetime import date

import polars as pl
import pytest

from kaohe.errors import UsageError
from kaohe.qa.sampling import sample_sessions


def _sessions(agents=("al", "bo"), per_agent=30, flagged_every=5, days=3):
    return [
        {
            "session": f"{a}-{i}",
            "agent": a,
            "shop": "店A",
            "flagged": i % flagged_every == 0,
            "day": date(2026, 3, 2 + i % days),
        }
        for a in agents
        for i in range(per_agent)
    ]


def test_same_seed_same_sample_whatever_the_row_order():
    rows = _sessions()
    first = sample_sessions(rows, 6, seed=7)
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    assert sample_sessions(shuffled, 6, seed=7).equals(first)
    assert sample_sessions(pl.DataFrame(rows), 6, seed=7).equals(first)


def test_different_seed_different_sample():
    rows = _sessions()
    one = set(sample_sessions(rows, 6, seed=7)["session"])
    two = set(sample_sessions(rows, 6, seed=8)["session"])
    assert len(one) == len(two) == 12 and one != two


def test_n_per_agent_with_the_flagged_share_reserved():
    out = sample_sessions(_sessions(), 10, seed=1, flagged_share=0.3)
    per = out.group_by("agent").agg(pl.len(), (pl.col("why") == "flagged").sum().alias("f"))
    assert sorted(per.rows()) == [("al", 10, 3), ("bo", 10, 3)]
    assert out.filter(pl.col("why") == "flagged")["flagged"].all()
    assert out["session"].n_unique() == 20


def test_fewer_flagged_than_reserved_are_filled_at_random():
    rows = _sessions(agents=("al",), flagged_every=100)  # only al-0 is flagged
    out = sample_sessions(rows, 10, seed=1, flagged_share=0.5)
    assert out.filter(pl.col("why") == "flagged")["session"].to_list() == ["al-0"]
    assert out.height == 10


def test_no_reserved_share():
    out = sample_sessions(_sessions(), 5, seed=3, flagged_share=0)
    assert set(out["why"]) == {"random"} and out.height == 10


def test_an_agent_with_few_sessions_gives_all():
    out = sample_sessions(_sessions(agents=("al",), per_agent=4), 10, seed=1)
    assert sorted(out["session"]) == ["al-0", "al-1", "al-2", "al-3"]


def test_stratified_by_day():
    out = sample_sessions(
        _sessions(agents=("al",), flagged_every=1000, days=3), 6, seed=5, flagged_share=0
    )
    assert sorted(out.group_by("day").len()["len"]) == [2, 2, 2]


def test_per_cycle_and_per_shop():
    rows = [
        {
            "session": f"s{i}",
            "agent": "al",
            "shop": "AB"[i % 2],
            "day": date(2026, 3, 2) if i < 20 else date(2026, 3, 10),
        }
        for i in range(40)
    ]
    weekly = sample_sessions(rows, 3, seed=1, cycle="week")
    assert weekly.group_by("period").len().sort("period")["len"].to_list() == [3, 3]
    by_shop = sample_sessions(rows, 3, seed=1, cycle="month", by_shop=True)
    assert by_shop.group_by("shop").len().sort("shop")["len"].to_list() == [3, 3]


def test_bad_input():
    with pytest.raises(UsageError, match="agent"):
        sample_sessions([{"session": "s1"}], 1, seed=1)
    with pytest.raises(UsageError, match="flagged_share"):
        sample_sessions(_sessions(), 1, seed=1, flagged_share=2)
