"""Hand-computed values for the satisfaction metrics (rows: fixtures_service_quality)."""

from __future__ import annotations

import pytest

from kaohe.engine import compute_kpis
from tests.engine import fixtures_service_quality as F

METRICS = [
    "ratings",
    "good_rate",
    "satisfaction_rate",
    "bad_ratings",
    "bad_attitude_rate",
    "invite_rate",
    "received_buyers",
]


def rows(make_store, **kw) -> dict:
    store = F.load(make_store(F.MESSAGES), {"ratings": F.RATINGS})
    kw.setdefault("period", "2026-10")
    return {
        r["agent"]: r
        for r in compute_kpis(store, by="agent", metrics=METRICS, use_facts=False, **kw)
    }


def test_kuaishou_good_rate_is_satisfied_over_three_labels(make_store):
    k = rows(make_store)["b2-k1"]
    assert k["ratings"] == 6
    # 满意 / (满意 + 一般 + 失望) = 3 / (3 + 1 + 2)
    assert k["good_rate"] == pytest.approx(3 / 6)
    assert k["bad_ratings"] == 2  # the two 失望


def test_kuaishou_bad_attitude_share_of_neutral_and_poor(make_store):
    k = rows(make_store)["b2-k1"]
    # 一般 + 失望 = 3 ratings; 服务态度差 on the 一般 and on one 失望 (a tag list) → 2 / 3
    assert k["bad_attitude_rate"] == pytest.approx(2 / 3)
    other = rows(make_store, params={"bad_attitude_rate.attitude_reason": "问题未解决"})
    assert other["b2-k1"]["bad_attitude_rate"] == pytest.approx(1 / 3)


def test_jd_satisfaction_very_satisfied_plus_satisfied_over_ratings(make_store):
    j = rows(make_store)["b2-j1"]
    # October: 非常满意, 满意, 满意, 一般, 不满意 (the November 不满意 is outside) → 3 / 5
    assert j["ratings"] == 5
    assert j["satisfaction_rate"] == pytest.approx(3 / 5)
    assert j["bad_ratings"] == 1
    assert j["bad_attitude_rate"] == 0.0  # 一般 and 不满意 give no reason


def test_invite_rate_over_received_buyers(make_store):
    k = rows(make_store)["b2-k1"]
    # kb1, kb2 (5th) and kb3 (6th) answered, kb4 not: 3 received; 2 invited ratings → 2 / 3
    assert k["received_buyers"] == 3
    assert k["invite_rate"] == pytest.approx(2 / 3)
    # b2-j1 has ratings but no messages: no received buyers, null
    assert rows(make_store)["b2-j1"]["invite_rate"] is None


def test_ratings_are_dated_by_rating_time(make_store):
    store = F.load(make_store(F.MESSAGES), {"ratings": F.KUAISHOU_RATINGS})
    by_day = compute_kpis(store, by="day", metrics=["ratings", "good_rate"], use_facts=False)
    # 5th: 满意 满意; 6th: 满意 一般; 7th: 失望 失望
    assert by_day == [
        {"day": "2026-10-05", "ratings": 2, "good_rate": 1.0},
        {"day": "2026-10-06", "ratings": 2, "good_rate": 0.5},
        {"day": "2026-10-07", "ratings": 2, "good_rate": 0.0},
    ]


def test_platform_of_ratings_comes_from_the_shop(make_store):
    store = F.load(make_store(F.MESSAGES), {"ratings": F.RATINGS})
    got = {
        r["platform"]: r["ratings"]
        for r in compute_kpis(
            store, by="platform", period="2026-10", metrics=["ratings"], use_facts=False
        )
    }
    assert got == {"jd": 5, "kuaishou": 6}


def test_agent_with_no_ratings_gives_nulls(make_store):
    row = rows(make_store, agents=["ghost"])["ghost"]
    assert row["ratings"] == 0 and row["bad_ratings"] == 0
    for ratio in ("good_rate", "satisfaction_rate", "bad_attitude_rate", "invite_rate"):
        assert row[ratio] is None


# 改评数 and 差评处理率 (issue 15: computed from the data, rows in fixtures_issue15) ---------------


def revision_rows(make_store, **kw) -> dict:
    from tests.engine import fixtures_issue15 as I15

    store = F.load(
        make_store(I15.FOLLOW_UPS),
        {"ratings": I15.RATINGS, "rating_revisions": I15.REVISIONS},
    )
    metrics = ["revised_ratings", "review_handling_rate"]
    got = compute_kpis(store, by="agent", period="2026-10", metrics=metrics, use_facts=False, **kw)
    return {r["agent"]: r for r in got}


def test_revised_ratings_count_bad_to_good_for_the_agent_who_handled_them(make_store):
    agents = revision_rows(make_store)
    assert agents["i15-a4"]["revised_ratings"] == 1  # v2 不满意 → 非常满意, handled by a4
    assert agents["i15-a3"]["revised_ratings"] == 0  # v6 一般 → 满意 is no 差评 revised
    wider = revision_rows(make_store, params={"bad_max_level": 3})
    assert wider["i15-a3"]["revised_ratings"] == 1  # counting 中评 too: v6, no handler → a3


def test_bad_ratings_followed_up_within_72_hours_or_revised(make_store):
    a3 = revision_rows(make_store)["i15-a3"]
    # bad: v1, v2, v3. v1 answered 21 h later, v2 revised; v3 answered after 120 h: 2 / 3
    assert a3["review_handling_rate"] == pytest.approx(2 / 3)
    slow = revision_rows(make_store, params={"followup_hours": 168})["i15-a3"]
    assert slow["review_handling_rate"] == 1.0
