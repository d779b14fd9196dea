"""快手: the weekly 3-minute and good-rating rates, the monthly bad-attitude share (6 %), the
dispute rule (≤ 4 cases or ≤ 0.35 %)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kaohe.compliance import run_checks
from kaohe.compliance.report import consequence_text, result_threshold_text
from tests.compliance.helpers import NOW, chat, make, rating, refund

MON = datetime(2026, 10, 12, 10)  # 2026-W42


def ks_chat() -> list[dict]:
    return chat("k", MON, 10, shop="k", platform="kuaishou")


def test_weekly_3_minute_rate_per_natural_week():
    rows = []
    # W42: 10 buyers, 8 answered within 180 s → 80 %; the buyer answered at 181 s is a case
    for i in range(10):
        delay = 60 if i < 8 else (181 if i == 8 else None)
        rows += chat(
            f"w{i}", MON + timedelta(hours=i % 8, minutes=i), delay, shop="k", platform="kuaishou"
        )
    # W43: 4 of 4 → 100 %
    for i in range(4):
        rows += chat(f"v{i}", MON + timedelta(days=7, minutes=i), 30, shop="k", platform="kuaishou")
    with make(rows) as store:
        got = {r.cycle: r for r in run_checks(store, "2026-10", ["kuaishou_3min"], now=NOW)}
    # weeks meeting October: W40 … W44; only W42 and W43 have chats
    assert set(got) == {"2026-W42", "2026-W43"}
    w42 = got["2026-W42"]
    # 80 % meets the 80 % parameter default, within the 3-point margin
    assert (w42.value, w42.status) == (0.8, "at_risk")
    assert result_threshold_text(w42) == "≥ 80% (参数)"
    assert (got["2026-W43"].value, got["2026-W43"].status) == (1.0, "pass")
    assert [c.get("response_s") for c in w42.cases] == [181.0, None]
    # a week inside a month period is summed from its days; alone it is computed directly
    with make(rows) as store:
        [alone] = run_checks(store, "2026-W42", ["kuaishou_3min"], now=NOW)
    assert (alone.value, alone.cases) == (w42.value, w42.cases)


def test_a_running_week_warns_on_its_projection():
    # the week of Oct 12 judged on Wednesday noon: 1 of 2 buyers in time = 50 % so far
    rows = chat("a", MON, 10, shop="k", platform="kuaishou") + chat(
        "b", MON + timedelta(hours=1), 600, shop="k", platform="kuaishou"
    )
    with make(rows) as store:
        [got] = run_checks(store, "2026-W42", ["kuaishou_3min"], now=datetime(2026, 10, 14, 12))
    # a rate's value so far is its projection: 50 % < 80 % warns, does not fail yet
    assert got.running and got.projected == 0.5 and got.status == "at_risk"


def test_weekly_good_rate_is_a_parameter():
    ratings = [
        rating("k", MON + timedelta(hours=i), "满意" if i < 9 else "失望", buyer=f"b{i}")
        for i in range(10)
    ]
    with make(ks_chat(), ratings=ratings) as store:
        [got] = run_checks(store, "2026-W42", ["kuaishou_good_rate"], now=NOW)
        [strict] = run_checks(
            store,
            "2026-W42",
            ["kuaishou_good_rate"],
            now=NOW,
            overrides={"kuaishou_good_rate.threshold": 0.95},
        )
    # 9 满意 of 10 → 90 %: meets the 90 % default within its 2-point margin; fails 95 %
    assert (got.value, got.status) == (0.9, "at_risk")
    assert strict.status == "fail" and [c["rating"] for c in strict.cases] == ["失望"]


def attitude_month(bad_attitude: int, poor: int = 50) -> list[dict]:
    """`poor` 一般/失望 ratings in October, `bad_attitude` of them for 服务态度差, and 20 满意."""
    out = []
    for i in range(poor):
        reason = "服务态度差" if i < bad_attitude else "回复慢"
        out.append(
            rating(
                "k",
                datetime(2026, 10, 1, 9) + timedelta(hours=i),
                "一般" if i % 2 else "失望",
                reason,
                buyer=f"p{i:02d}",
            )
        )
    out += [
        rating("k", datetime(2026, 10, 20, 9) + timedelta(minutes=i), "满意", buyer=f"g{i}")
        for i in range(20)
    ]
    return out


def test_kuaishou_month_at_exactly_6_percent():
    with make(ks_chat(), ratings=attitude_month(3)) as store:
        [got] = run_checks(store, "2026-10", ["kuaishou_attitude"], now=NOW)
        [no_margin] = run_checks(
            store,
            "2026-10",
            ["kuaishou_attitude"],
            now=NOW,
            overrides={"kuaishou_attitude.margin": 0},
        )
    # 3 / 50 = 6 %: not above 6 %, so it passes; within the 1-point margin → at risk
    assert got.value == pytest.approx(0.06) and got.status == "at_risk"
    assert no_margin.status == "pass" and no_margin.cases == []
    assert got.cycle == "2026-10" and result_threshold_text(got) == "≤ 6%"


def test_kuaishou_month_above_6_percent_lists_the_ratings():
    with make(ks_chat(), ratings=attitude_month(4)) as store:
        [got] = run_checks(store, "2026-10", ["kuaishou_attitude"], now=NOW)
    # 4 / 50 = 8 % > 6 %
    assert got.value == pytest.approx(0.08) and got.status == "fail"
    assert [c["buyer"] for c in got.cases] == ["p***0", "p***1", "p***2", "p***3"]
    assert all(c["reason"] == "服务态度差" for c in got.cases)
    assert "100–300" in consequence_text(got)


def disputes(liable: int, completed: int) -> list[dict]:
    done = datetime(2026, 10, 10, 9)
    return [
        refund(f"r{i:04d}", "k", done - timedelta(days=1), completed=done, liable=i < liable)
        for i in range(completed)
    ]


@pytest.mark.parametrize(
    ("liable", "completed", "status"),
    [
        (4, 100, "pass"),  # 4 % > 0.35 %, but 4 cases ≤ 4: passes by count
        (5, 2000, "pass"),  # 5 cases > 4, but 5 / 2000 = 0.25 % ≤ 0.35 %: passes by rate
        (5, 100, "fail"),  # 5 cases and 5 %: neither
        (7, 2000, "pass"),  # 0.35 % exactly: passes by rate
        (8, 2000, "fail"),  # 0.4 %
    ],
)
def test_disputes_pass_by_count_or_by_rate(liable, completed, status):
    with make(ks_chat(), refunds=disputes(liable, completed)) as store:
        [got] = run_checks(store, "2026-10", ["kuaishou_disputes"], now=NOW)
    assert got.value == pytest.approx(liable / completed)
    assert got.alternative_value == liable and got.status == status
    if status == "fail":
        assert got.cases_total == liable and got.cases[0]["refund_id"] == "r0000"
