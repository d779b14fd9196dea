"""淘宝/天猫: the 30-day response parameters and the red-line QA hits with deduction points."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kaohe.compliance import run_checks
from kaohe.compliance.report import notes_text, result_threshold_text
from tests.compliance.helpers import NOW, chat, make

D = datetime(2026, 10, 5, 10)


def test_response_over_the_last_30_days():
    rows = []
    # 4 rounds: 30, 60, 90 s and one at 200 s (beyond 3 min) → 3 / 4 = 75 %; mean 95 s
    for i, delay in enumerate([30, 60, 90, 200]):
        rows += chat(f"b{i}", D + timedelta(hours=i), delay, shop="t", platform="tmall")
    rows += chat("old", datetime(2026, 9, 20, 10), 500, shop="t", platform="tmall")  # outside
    with make(rows) as store:
        got = {r.check: r for r in run_checks(store, "2026-10", ["taobao_response"], now=NOW)}
        tuned = {
            r.check: r
            for r in run_checks(
                store,
                "2026-10",
                ["taobao_response"],
                now=NOW,
                overrides={
                    "taobao_response.reply_3min.threshold": 0.7,
                    "taobao_response.avg_response.threshold": 120,
                },
            )
        }
    assert (got["reply_3min"].value, got["reply_3min"].status) == (0.75, "fail")
    assert got["avg_response"].value == pytest.approx(95.0)
    assert got["avg_response"].status == "fail"
    assert "(参数)" in result_threshold_text(got["avg_response"])
    assert [c["response_s"] for c in got["reply_3min"].cases] == [200.0]
    # 75 % ≥ 70 % by more than the 3-point margin; 95 s ≤ 120 s by more than 10 s
    assert tuned["reply_3min"].status == tuned["avg_response"].status == "pass"


def finding(shop: str, rule: str, when: datetime, platform: str = "tmall") -> dict:
    return {
        "pack": "default",
        "shop": shop,
        "platform": platform,
        "buyer": "buyer77",
        "agent": "a1",
        "time": when,
        "rule": rule,
        "severity": "major",
        "matched": "他的电话是13812345678",
        "msg_key": f"{shop}{rule}{when}",
    }


def test_red_line_hits_and_deduction_points():
    rows = (
        chat("b", D, 10, shop="t", platform="tmall")
        + chat("b", D, 10, shop="u", platform="taobao")
        + chat("b", D, 10, shop="p", platform="pdd")
    )
    findings = [
        finding("t", "info_leak", D),
        finding("t", "close_order", D),
        finding("t", "close_order", D + timedelta(days=1)),
        finding("u", "extreme_words", D, "taobao"),  # not a red line
        finding("p", "info_leak", D, "pdd"),
    ]  # not a Tmall/Taobao shop
    with make(rows, qa_findings=findings) as store:
        got = {r.shop: r for r in run_checks(store, "2026-10", ["tmall_redlines"], now=NOW)}
    assert set(got) == {"t", "u"}
    # t: 3 hits; points at risk 6 (info_leak) + 1 + 1 (close_order each) = 8
    assert (got["t"].value, got["t"].status) == (3, "fail")
    assert notes_text(got["t"]) == ["扣分风险 8 分"]
    assert notes_text(got["t"], "en") == ["deduction points at risk 8"]
    assert [c["rule"] for c in got["t"].cases] == ["info_leak", "close_order", "close_order"]
    assert got["t"].cases[0]["buyer"] == "b***7"
    assert got["t"].cases[0]["matched"] == "他的电话是138****5678"
    assert (got["u"].value, got["u"].status) == (0, "pass")


def test_red_lines_without_any_qa_run_are_not_applicable():
    with make(chat("b", D, 10, shop="t", platform="tmall")) as store:
        [got] = run_checks(store, "2026-10", ["tmall_redlines"], now=NOW)
    assert got.status == "not_applicable" and "kaohe qa run" in notes_text(got)[0]


def test_a_count_already_over_its_limit_fails_a_running_month():
    rows = chat("b", D, 10, shop="t", platform="tmall")
    findings = [finding("t", "close_order", D)]
    with make(rows, qa_findings=findings) as store:
        [got] = run_checks(store, "2026-10", ["tmall_redlines"], now=datetime(2026, 10, 11))
    # 1 hit in the first 10 days of 31 → projected 3.1; a count over ≤ 0 can only grow
    assert got.running and got.status == "fail"
    assert got.projected == pytest.approx(3.1)
