"""Generated scheme docs, the what-if comparison and the per-agent explanation."""

from kaohe.schemes import compare, load_scheme, score
from kaohe.schemes.docs import describe, render

ROW = {
    "agent": "a1",
    "ratings": 30,
    "bad_ratings": 2,
    "so_review_20min_rate": 0.9,
    "so_process_20min_rate": 0.9,
    "spot_checks": 5,
    "failed_spot_checks": 1,
    "so_awaiting_feedback_rate": 0.05,
    "satisfaction_rate": 0.9,
}


def test_docs_cover_every_preset_with_its_bands():
    text = render()
    for scheme_id in ("jd_aftersales", "tmall_ops_kpi", "presales_standard", "supervisor"):
        assert f"### `{scheme_id}`" in text
    jd = describe(load_scheme("jd_aftersales"))
    assert "| 70 ≤ x < 80 | 未达标 | 违约金2000元" in jd
    assert "if ratings > min_ratings: 50 at satisfaction_rate ≥ satisfaction_target" in jd
    tmall = describe(load_scheme("tmall_ops_kpi"))
    assert "x > 1.2 → 20, 1 ≤ x ≤ 1.2 → 15" in tmall
    assert "lower is better" in describe(load_scheme("presales_service"))


def test_compare_two_schemes_on_the_same_rows():
    jd = score(load_scheme("jd_aftersales"), [ROW], None, "2026-10")
    strict = score(
        load_scheme("jd_aftersales", params={"review_target": 0.95}), [ROW], None, "2026-10"
    )
    rows = compare(jd, strict)
    # 30 ratings: 50 − 2; review 20; process 10; 5 checks: 20 − 1; no penalty → 97
    # stricter review target 0.95: 0.9 is 5 points short → 20 − 5 = 15 → 92
    assert rows == [
        {
            "agent": "a1",
            "name": None,
            "total_a": 97,
            "grade_a": "达标·优秀",
            "total_b": 92,
            "grade_b": "达标·优秀",
            "difference": -5,
        }
    ]


def test_explain_lists_every_item():
    a = score(load_scheme("jd_aftersales"), [ROW], None, "2026-10").agents[0]
    text = a.explain()
    assert "售后满意度 (when→deduct_per_count): ratings > 50 is False → else" in text
    assert "总分 97 / 100" in text and "等级 达标·优秀 (x ≥ 90)" in text
