"""Header units and former names, values with units, periods from text (hand-computed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kaohe.config import Config
from kaohe.errors import ConfigError
from kaohe.ingest.headers import find_header, split_header
from kaohe.ingest.limits import limits_from_config
from kaohe.ingest.period import (
    period_from_file_name,
    period_from_titles,
    period_in_text,
    period_label,
)
from kaohe.ingest.quantities import NotAQuantity, canonical_unit, format_decimal, parse_quantity


@pytest.mark.parametrize(
    ("header", "key", "unit", "former"),
    [
        ("客服销售额(元)", "客服销售额", "元", ()),
        ("平均响应时长（秒）", "平均响应时长", "秒", ()),
        ("聊天人数(原咨询人数)", "聊天人数", None, ("咨询人数",)),
        ("三分钟回复率（人维度）", "三分钟回复率(人维度)", None, ()),
        ("3分钟人工回复率(8-23点)", "3分钟人工回复率(8-23点)", None, ()),
        ("好评率(%)", "好评率", "%", ()),
        (" PC在线时长（时） ", "pc在线时长", "小时", ()),
    ],
)
def test_split_header(header: str, key: str, unit: str | None, former: tuple[str, ...]) -> None:
    parts = split_header(header)
    assert (parts.key, parts.unit, parts.former) == (key, unit, former)


def test_find_header_prefers_exact_then_unit_free_then_former_names() -> None:
    headers = ["平均响应时长(分钟)", "平均响应时长", "聊天人数(原咨询人数)"]
    assert find_header(headers, ["平均响应时长"]) == "平均响应时长"
    assert find_header(headers[:1], ["平均响应时长"]) == "平均响应时长(分钟)"
    assert find_header(headers, ["咨询人数"]) == "聊天人数(原咨询人数)"
    assert find_header(["三分钟回复率（会话）"], ["三分钟回复率（人维度）"]) is None
    assert find_header(headers, ["平均响应时长"], frozenset({"平均响应时长"})) == headers[0]


@pytest.mark.parametrize(
    ("text", "target", "unit", "expected"),
    [
        ("8分48秒", "秒", None, "528"),  # 8 × 60 + 48
        ("0:05:30", "秒", None, "330"),  # 5 × 60 + 30
        ("05:30", "秒", None, "330"),
        ("0.37分钟", "秒", None, "22.2"),  # 0.37 × 60
        ("0.37", "秒", "分钟", "22.2"),
        ("22秒", "秒", "分钟", "22"),  # the cell's unit wins over the column's
        ("7小时41分52秒", "秒", None, "27712"),  # 7 × 3600 + 41 × 60 + 52
        ("1.5", "秒", "小时", "5400"),
        ("5400", "小时", "秒", "1.5"),
        ("90分钟", "小时", None, "1.5"),
        ("100.00%", None, None, "1"),
        ("85.3", None, "%", "0.853"),
        ("¥1,234.50", None, None, "1234.5"),
        ("1,234.50元", None, None, "1234.5"),
        ("1.2万", None, None, "12000"),
        ("12人", None, None, "12"),
        ("-3", None, None, "-3"),
    ],
)
def test_parse_quantity(text: str, target: str | None, unit: str | None, expected: str) -> None:
    assert format_decimal(parse_quantity(text, target, unit)) == expected


@pytest.mark.parametrize("text", ["", "abc", "12abc", "1.2.3", "分", "%"])
def test_not_a_quantity(text: str) -> None:
    with pytest.raises(NotAQuantity):
        parse_quantity(text, "秒")


def test_canonical_units_follow_the_id() -> None:
    assert canonical_unit("avg_response_s") == "秒"
    assert canonical_unit("refund_duration_h") == canonical_unit("online_hours") == "小时"
    assert canonical_unit("consult_to_pay_rate") is None
    assert format_decimal(Decimal("5.280E+2")) == "528"


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (date(2026, 10, 1), date(2026, 10, 31), "2026-10"),
        (date(2026, 10, 5), date(2026, 10, 5), "2026-10-05"),
        (date(2026, 10, 19), date(2026, 10, 25), "2026-W43"),  # Monday to Sunday
        (date(2026, 10, 1), date(2026, 10, 15), "2026-10-01~2026-10-15"),
        (date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
    ],
)
def test_period_label(start: date, end: date, label: str) -> None:
    assert period_label(start, end) == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("统计时间：2026-10-01 ~ 2026-10-31", "2026-10"),
        ("自定义报表_客服绩效_下单优先判定_2026-04-20至2026-04-20.xlsx", "2026-04-20"),
        ("客服数据_20261001-20261031.xlsx", "2026-10"),
        ("2026/10/5", "2026-10-05"),
        ("2026年10月 客服绩效", "2026-10"),
        ("2026-10-01 00:00:00 ~ 2026-10-07 23:59:59", "2026-10-01~2026-10-07"),
        ("客服绩效（旺旺）", None),
        ("2026-13-45", None),
    ],
)
def test_period_in_text(text: str, label: str | None) -> None:
    assert period_in_text(text) == label


def test_period_sources() -> None:
    found = period_from_titles(
        ["客服绩效（旺旺）", "导出于 2026-11-02", "统计时间：2026-10-01 ~ 2026-10-31"]
    )
    assert found is not None and (found.label, found.source) == ("2026-10", "title row")
    assert period_from_file_name("报表.xlsx") is None


def test_limits_from_config_names_a_bad_field() -> None:
    config = Config(
        raw={"import": {"max_cells": 5, "mappings_dir": "x"}, "web": {"max_upload_mb": 2}}
    )
    limits = limits_from_config(config)
    assert (limits.max_cells, limits.max_upload_mb, limits.upload_bytes) == (5, 2, 2 * 1024 * 1024)
    with pytest.raises(ConfigError, match="import.max_json_depth"):
        limits_from_config(Config(raw={"import": {"max_json_depth": "deep"}}))
