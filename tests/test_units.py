"""kaohe.units: the closed set of units and the one way every output shows a value."""

from __future__ import annotations

import pytest

from kaohe.engine.registry import Metric, all_metrics, get
from kaohe.units import INFO, UNITS, check_unit, excel_format, format_value, header


def test_every_unit_has_labels_and_every_metric_one_of_them() -> None:
    assert set(INFO) == set(UNITS)
    assert {m.unit for m in all_metrics()} <= set(UNITS)


def test_a_metric_with_an_unknown_unit_is_refused() -> None:
    with pytest.raises(ValueError, match=r"metric x: unknown unit 'ratios' \(did you mean 'ratio'"):
        Metric("x", "x", "x", "ratios", "higher", "day", (), lambda p, q: 0, "")  # type: ignore[arg-type]


def test_items_per_buyer_money_and_durations_have_their_own_units() -> None:
    assert get("items_per_buyer").unit == "per_buyer"  # 客件数: 1.37 items, not 137 %
    assert get("avg_order_value").unit == "yuan"
    assert get("avg_session_minutes").unit == "minutes"
    assert get("online_hours").unit == get("refund_duration_h").unit == "hours"
    assert get("workdays").unit == "days"
    assert get("service_quality_index").unit == "points"


@pytest.mark.parametrize(
    ("value", "unit", "lang", "shown"),
    [
        (0.98512, "ratio", "zh", "98.51%"),
        (1.0, "ratio", "zh", "100%"),
        (1.37, "per_buyer", "zh", "1.37件/人"),
        (1.37, "per_buyer", "en", "1.37 items/buyer"),
        (357.26, "seconds", "zh", "357.3秒"),
        (357.26, "seconds", "en", "357.3 s"),
        (5.0, "minutes", "zh", "5分钟"),
        (227.625, "hours", "en", "227.62 h"),
        (1234.5, "yuan", "zh", "¥1,234.50"),
        (-0.001, "yuan", "zh", "¥0.00"),
        (-21.3, "yuan", "zh", "-¥21.30"),  # a deduction on a payslip
        (68.263700512, "points", "zh", "68.26分"),
        (2010, "count", "zh", "2,010"),
        (2.5, "per_1k", "en", "2.5 per 1k msgs"),
        (None, "ratio", "zh", "—"),
        (float("nan"), "hours", "zh", "—"),
        ("良好", "points", "zh", "良好"),
    ],
)
def test_format_value(value: object, unit: str, lang: str, shown: str) -> None:
    assert format_value(value, unit, lang) == shown


def test_columns_line_up_and_leave_the_unit_to_the_header() -> None:
    assert format_value(1.4, "per_buyer", with_unit=False, trim=False) == "1.40"
    assert format_value(1.0, "ratio", with_unit=False, trim=False) == "100.00%"
    assert format_value(7, "count", trim=False) == "7"  # a whole count has no decimals
    assert header("平均接待时长", "minutes") == "平均接待时长 (分钟)"
    assert header("平均响应时长(秒)", "seconds") == "平均响应时长(秒)"  # already says so
    assert header("Average response (s)", "seconds", "en") == "Average response (s)"
    assert header("回复率", "ratio") == "回复率"  # the cells carry the %


def test_excel_formats_follow_the_same_decimals() -> None:
    assert excel_format("ratio") == "0.00%"
    assert excel_format("per_buyer") == "#,##0.00"
    assert excel_format("seconds") == "#,##0.0"
    assert excel_format("count", 3) == "#,##0" and excel_format("count", 2.5) == "#,##0.00"


def test_check_unit_names_the_choices() -> None:
    assert check_unit("hours", "x") == "hours"
    with pytest.raises(ValueError, match="one of count, ratio"):
        check_unit("amount", "pay line")
