import polars as pl
import pytest

from kaohe.errors import ConfigError, UsageError
from kaohe.qa.review import (
    agent_iqs,
    calibration_spread,
    iqs,
    list_scorecards,
    load_scorecard,
    parse_scorecard_text,
    rating_value,
    review_scores,
    score_review,
)

CARD = """\
id: test
name: 测试
categories:
  - {id: a, name: 甲, scale: 1-5, weight: 2}
  - {id: b, name: 乙, scale: 1-5}
  - {id: c, name: 丙, scale: pass_fail, critical: true}
"""
PERCENT = "id: pct\nname: 百分\ncategories:\n  - {id: q, name: 质量, scale: 0-100}\n"


@pytest.fixture
def card():
    return parse_scorecard_text(CARD, "test.yaml")


def test_iqs_worked_example_of_the_spec():
    pct = parse_scorecard_text(PERCENT, "pct.yaml")
    scores = [score_review(pct, {"q": v}) for v in (100, 9.91, 63.96, 90.99, 0)]
    result = iqs(scores)
    assert round(result.service_score * 100, 2) == 52.97
    assert (result.reviews, result.passed, result.spot_check_pass_rate) == (5, 2, 0.4)


def test_a_four_on_one_to_five_is_75_percent():
    assert score_review(load_scorecard("kaohe1_skills"), {"打字速度": 4}) == 0.75


def test_weighted_mean_of_normalised_categories(card):
    # a: 5 → 100 % (weight 2), b: 1 → 0 % (weight 1), c passed → 100 % (weight 1)
    assert score_review(card, {"a": 5, "b": 1, "c": 1}) == pytest.approx(3 / 4)
    assert score_review(card, {"甲": 3, "乙": 5}) == pytest.approx((2 * 0.5 + 1) / 3)


def test_na_drops_out(card):
    assert score_review(card, {"a": 5, "b": None, "c": 1}) == 1.0
    assert score_review(card, {"a": None}) is None
    assert iqs([None, 0.5, None]).reviews == 1


def test_critical_category_below_half_zeroes_the_review(card):
    assert score_review(card, {"a": 5, "b": 5, "c": 0}) == 0.0
    assert score_review(card, {"a": 5, "b": 5, "c": None}) == 1.0  # N/A is not a failure


def test_critical_at_half_does_not_zero():
    text = (
        "id: k\nname: k\ncategories:\n  - {id: x, name: x, scale: 1-5, critical: true}\n"
        "  - {id: y, name: y, scale: 1-5}\n"
    )
    card = parse_scorecard_text(text, "k.yaml")
    assert score_review(card, {"x": 3, "y": 5}) == 0.75


def test_pass_line_is_80_percent():
    ten = parse_scorecard_text(
        "id: t\nname: t\ncategories:\n  - {id: x, name: x, scale: 0-10}\n", "t.yaml"
    )
    result = iqs([score_review(ten, {"x": 8}), score_review(ten, {"x": 7})])
    assert (result.passed, result.spot_check_pass_rate) == (1, 0.5)


def test_values_off_the_scale_or_unknown_categories_raise(card):
    with pytest.raises(UsageError, match="outside the scale"):
        score_review(card, {"a": 6})
    with pytest.raises(UsageError, match="step"):
        score_review(card, {"a": 2.5})
    with pytest.raises(UsageError, match="no category z"):
        score_review(card, {"z": 1})


def test_seed_001_presets():
    cards = {c.id: c for c in list_scorecards()}
    assert [c.name for c in cards["kaohe1_skills"].categories] == [
        "打字速度",
        "多客户记忆能力",
        "旺旺使用",
        "网银使用",
        "支付宝使用",
        "后台操作",
        "物流信息",
        "宝贝熟悉程度",
        "产品知识",
    ]
    assert [c.name for c in cards["kaohe2_attitude"].categories] == [
        "问候语热情度",
        "了解客户需求准确度",
        "咨询回复及时度",
        "提问回复准确度",
        "产品介绍准确度",
        "产品推荐准确度",
        "售后处理问题合理度",
        "个别要求处理完美度",
        "道别语亲切度",
    ]
    assert load_scorecard("考核表2 服务态度").id == "kaohe2_attitude"


def test_errors_name_file_line_and_field():
    bad = CARD.replace("scale: 1-5}\n  - {id: c", "scale: 1-5, weight: -1}\n  - {id: c")
    with pytest.raises(ConfigError) as err:
        parse_scorecard_text(bad, "mine.yaml")
    assert (err.value.file, err.value.line, err.value.field) == (
        "mine.yaml",
        5,
        "categories.1.weight",
    )
    with pytest.raises(ConfigError, match="unknown scale") as err:
        parse_scorecard_text(CARD.replace("pass_fail", "1-7"), "mine.yaml")
    assert err.value.line == 6
    with pytest.raises(ConfigError, match="duplicate category") as err:
        parse_scorecard_text(CARD.replace("id: b, name: 乙", "id: b, name: 甲"), "mine.yaml")
    assert err.value.field == "categories.1.id"
    with pytest.raises(UsageError, match="unknown scorecard"):
        load_scorecard("nope")


def test_user_scorecard_file(tmp_path):
    path = tmp_path / "card.yaml"
    path.write_text(CARD, "utf-8")
    assert load_scorecard(str(path)).id == "test"


def test_pass_fail_verdict_as_a_rating(card):
    assert rating_value(card, "c", None, True) == 1
    assert rating_value(card, "c", None, False) == 0
    assert rating_value(card, "c", None, None) is None
    assert rating_value(card, "a", 4.0, None) == 4.0


def _rows(*reviews):
    cols = ("review_id", "session", "agent", "reviewer", "item", "score", "intent")
    return pl.DataFrame(
        [
            dict(zip(cols, r if len(r) == 7 else (*r, None), strict=True))
            | {"scorecard": "test", "shop": "s", "date": None, "passed": None}
            for r in reviews
        ]
    )


def test_recheck_replaces_and_calibration_is_kept_out_of_scores(card):
    rows = _rows(
        ("r1", "s1", "al", "qa1", "a", 5.0),
        ("r1", "s1", "al", "qa1", "b", 5.0),
        ("r2", "s2", "al", "qa1", "a", 1.0),
        ("r2", "s2", "al", "qa1", "b", 1.0),
        ("r3", "s3", "al", "qa1", "a", 1.0),
        ("r4", "s3", "al", "qa2", "a", 4.0, "calibration"),
        ("r5", "s4", "al", "qa1", "a", None),
        ("r6", "s2", "al", "qa2", "a", 5.0, "recheck"),
        ("r6", "s2", "al", "qa2", "b", 5.0, "recheck"),
    )
    scored = review_scores(rows, {"test": card})
    assert scored.filter(pl.col("calibration"))["review_id"].to_list() == ["r4"]
    replaced = scored.filter(pl.col("superseded_by").is_not_null())
    assert replaced.select("review_id", "superseded_by").rows() == [("r2", "r6")]
    out = agent_iqs(scored).row(0, named=True)
    # counted: r1 100 %, r3 0 % (1 on 1–5), r6 100 % (the 复核 of r2); r4 calibration;
    # r5 all N/A has no score
    assert out["reviews"] == 3 and out["service_score"] == pytest.approx(2 / 3)
    assert out["spot_check_pass_rate"] == pytest.approx(2 / 3)
    # the calibration compares r4 (75 %) with the counted r3 (0 %) of its session
    spread = calibration_spread(scored).row(0, named=True)
    assert (spread["session"], spread["reviewers"], spread["spread"]) == ("s3", 2, 0.75)


def test_no_reviews_no_scores():
    empty = review_scores(pl.DataFrame(schema={"review_id": pl.String, "item": pl.String}))
    assert agent_iqs(empty).is_empty() and calibration_spread(empty).is_empty()
    assert iqs([]).service_score is None
