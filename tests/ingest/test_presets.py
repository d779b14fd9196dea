"""Mapping presets: detection, header/label mapping, report unpivoting, user mapping files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from kaohe import schema
from kaohe.errors import ConfigError, UsageError
from kaohe.ingest.detect import detect_preset
from kaohe.ingest.presets import apply_preset, list_presets, load_preset, parse_cell


def frame(rows: list[list[str | None]]) -> pl.DataFrame:
    """A raw frame as the readers produce it: Utf8 columns plus _row (file line numbers)."""
    headers, data = rows[0], rows[1:]
    cols = {h: [r[i] for r in data] for i, h in enumerate(headers)}
    schema_ = {h: pl.Utf8 for h in headers}
    out = pl.DataFrame(cols, schema=schema_)
    return out.with_columns(pl.Series("_row", range(2, 2 + len(data)), pl.Int64))


def values(out: pl.DataFrame, subject: str, metric: str) -> tuple[str | None, str]:
    row = out.filter((pl.col("subject") == subject) & (pl.col("metric") == metric))
    assert row.height == 1, (subject, metric, out)
    return row["value"][0], row["provisional"][0]


# ---------------------------------------------------------------- catalogue


def test_every_table_has_a_canonical_preset() -> None:
    ids = {p.id for p in list_presets()}
    assert {f"canonical:{t}" for t in schema.TABLES} <= ids
    assert {
        "qianniu_export",
        "qianniu_window",
        "xiaoduo",
        "platform:taobao",
        "platform:pdd",
        "platform:jd",
        "platform:douyin",
        "platform:kuaishou",
    } <= ids


def test_load_preset_by_id_and_canonical_with_table() -> None:
    assert load_preset("platform:pdd").table == "metric_values"
    assert load_preset("canonical", table="orders").id == "canonical:orders"
    with pytest.raises(UsageError, match="unknown preset"):
        load_preset("no-such-preset")


# ---------------------------------------------------------------- canonical


def test_canonical_orders_detect_and_rename_tolerantly() -> None:
    raw = frame(
        [
            [" 订单号 ", "店铺", "买家会员名", "下单时间", "实付金额（元）", "SKU", "备注"],
            ["A1", "小熊旗舰店", "tb_01", "2024-03-01 10:00:00", "99.00", "S1", "x"],
        ]
    )
    preset = detect_preset(raw.columns)
    assert preset.id == "canonical:orders"
    out = apply_preset(preset, raw, platform="tmall")
    # 实付金额（元）: the unit in brackets does not hide the column
    assert out.columns == [
        "order_id",
        "shop",
        "platform",
        "buyer",
        "created_at",
        "amount",
        "sku",
        "_row",
    ]
    assert out.row(0) == (
        "A1",
        "小熊旗舰店",
        "tmall",
        "tb_01",
        "2024-03-01 10:00:00",
        "99",
        "S1",
        2,
    )
    assert all(out[c].dtype == pl.Utf8 for c in out.columns if c != "_row")


def test_canonical_header_case_and_parentheses() -> None:
    raw = frame(
        [
            ["Agent", "START", "end ", "Status"],
            ["s:a", "2024-03-01 09:00:00", "2024-03-01 10:00:00", "在线"],
        ]
    )
    preset = detect_preset(raw.columns, table="agent_status")
    out = apply_preset(preset, raw)
    assert out.columns == ["agent", "start", "end", "status", "_row"]


def test_canonical_fills_shop_and_platform_when_absent() -> None:
    raw = frame([["买家", "发送方", "时间", "内容"], ["b1", "买家", "2024-03-01 10:00:00", "在吗"]])
    preset = load_preset("canonical:messages")
    out = apply_preset(preset, raw, shop="小熊旗舰店", platform="taobao")
    assert out.select("shop", "platform").row(0) == ("小熊旗舰店", "taobao")


def test_detect_names_the_headers_when_nothing_matches() -> None:
    with pytest.raises(UsageError, match="甲, 乙"):
        detect_preset(["甲", "乙", "_row"])
    with pytest.raises(UsageError, match="for table orders"):
        detect_preset(["客户名", "消息序号", "账号类型"], table="orders")


# ---------------------------------------------------------------- chat exports

QIANNIU = [
    ["客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型", "备注"],
    ["爱吃橘子的猫", "1", "2024-03-05 09:58:02", "有粉色吗", "爱吃橘子的猫", "买家", ""],
    ["爱吃橘子的猫", "2", "2024-03-05 09:58:03", "欢迎光临", "暖暖家居旗舰店:小蜜", "机器人", ""],
    ["爱吃橘子的猫", "3", "2024-03-05 10:00:41", "亲，有的哦", "暖暖家居旗舰店:小雨", "客服", ""],
    [
        "爱吃橘子的猫",
        "4",
        "2024-03-05 10:00:45",
        "请在客户端查看原始聊天记录，网页版无法展示",
        "暖暖家居旗舰店:小雨",
        "客服",
        "",
    ],
    ["汇总", None, None, None, None, None, None],
]


def test_qianniu_export() -> None:
    raw = frame(QIANNIU)
    preset = detect_preset(raw.columns)
    assert preset.id == "qianniu_export"
    out = apply_preset(preset, raw)
    # a chat export skips no summary row: a buyer may write 汇总 (validation judges the row)
    assert out.height == 5 and out["buyer"][4] == "汇总"
    out = out.head(4)
    assert out["sender"].to_list() == ["buyer", "bot", "agent", "agent"]
    assert out["agent"].to_list() == [
        None,
        "暖暖家居旗舰店:小蜜",
        "暖暖家居旗舰店:小雨",
        "暖暖家居旗舰店:小雨",
    ]
    assert out["msg_type"].to_list() == [None, None, None, "card"]
    assert set(out["buyer"]) == {"爱吃橘子的猫"}
    assert set(out["shop"]) == {"暖暖家居旗舰店"}
    assert out["_row"].to_list() == [2, 3, 4, 5]


def test_qianniu_export_shop_argument_wins() -> None:
    out = apply_preset(load_preset("qianniu_export"), frame(QIANNIU), shop="暖暖家居")
    assert set(out["shop"]) == {"暖暖家居"}


def test_xiaoduo_messages() -> None:
    raw = frame(
        [
            [
                "dialog_id",
                "platform",
                "seller_nick",
                "snick",
                "cnick",
                "source",
                "content",
                "content_type",
                "time",
                "is_transfer",
                "auto_send",
                "withdraw_ms_time",
            ],
            [
                "d1",
                "tb",
                "小熊",
                "小熊:阿花",
                "buyerA",
                "0",
                "在吗",
                "text",
                "2024-01-01 10:00:00",
                "0",
                "0",
                "",
            ],
            [
                "d1",
                "tb",
                "小熊",
                "小熊:阿花",
                "buyerA",
                "1",
                "在的",
                "text",
                "2024-01-01 10:00:05",
                "0",
                "1",
                "1704074406000",
            ],
            [
                "d1",
                "tb",
                "小熊",
                "小熊:阿花",
                "buyerA",
                "1",
                "转接",
                "text",
                "2024-01-01 10:00:09",
                "1",
                "0",
                "0",
            ],
        ]
    )
    preset = detect_preset(raw.columns)
    assert preset.id == "xiaoduo"
    out = apply_preset(preset, raw)
    assert out["sender"].to_list() == ["buyer", "agent", "agent"]
    assert out["msg_type"].to_list() == ["text", "withdrawn", "handoff"]
    assert out["platform"].to_list() == ["taobao"] * 3
    assert out["auto_reply"].to_list() == ["0", "1", "0"]
    assert "dialog_id" not in out.columns


# ---------------------------------------------------------------- platform reports

PDD = [
    [
        "序号",
        "客服账号",
        "客服服务分",
        "咨询人数",
        "询单人数",
        "最终成团人数",
        "询单转化率",
        "客服销售额",
        "3分钟人工回复率(8-23点)",
        "3分钟人工回复率(全天)",
        "30秒应答率(8-23点)",
        "平均人工响应时长",
        "新指标",
    ],
    [
        "1",
        "pdd12345:阿明",
        "4.82",
        "120",
        "80",
        "30",
        "37.5%",
        "1,234.50",
        "延迟统计",
        "98.2%",
        "85%",
        "0.37",
        "?",
    ],
    ["2", "pdd12345:小芳", "4.90", "100", "60", "-", "", "¥980.00", "99%", "97%", "80%", "18", "?"],
    ["汇总", "", "", "220", "140", "", "", "", "", "", "", "", ""],
    ["均值", "均值", "", "110", "70", "", "", "", "", "", "", "", ""],
]


def test_pdd_report_unpivots_parses_and_skips_footers() -> None:
    raw = frame(PDD)
    preset = detect_preset(raw.columns)
    assert preset.id == "platform:pdd"
    out = apply_preset(preset, raw, period="2024-03")
    assert out.columns == ["period", "subject", "metric", "value", "source", "provisional", "_row"]
    assert set(out["subject"]) == {"pdd12345:阿明", "pdd12345:小芳"}
    assert set(out["source"]) == {"platform:pdd"} and set(out["period"]) == {"2024-03"}
    assert values(out, "pdd12345:阿明", "consult_to_pay_rate") == ("0.375", "false")
    assert values(out, "pdd12345:阿明", "sales_amount") == ("1234.5", "false")
    assert values(out, "pdd12345:小芳", "sales_amount") == ("980", "false")
    assert values(out, "pdd12345:阿明", "pdd_3min_rate") == (None, "true")
    assert values(out, "pdd12345:阿明", "pdd_3min_rate_allday") == ("0.982", "false")
    # 平均人工响应时长 is in minutes: 0.37 min = 22.2 s
    assert values(out, "pdd12345:阿明", "avg_response_s") == ("22.2", "false")
    assert (
        out.filter(pl.col("subject") == "pdd12345:小芳")["metric"]
        .is_in(["paid_buyers", "consult_to_pay_rate"])
        .sum()
        == 0
    )  # '-' and empty cells left out


def test_report_without_any_period_is_refused() -> None:
    with pytest.raises(UsageError, match="无法确定报表的周期"):
        apply_preset(load_preset("platform:pdd"), frame(PDD))


def test_taobao_team_model_with_dates() -> None:
    raw = frame(
        [
            [
                "日期",
                "旺旺昵称",
                "旺旺分组",
                "有效接待人数",
                "当日询单人数",
                "销售人数",
                "净销售额",
                "客单价",
                "首次响应时长（秒)",
                "平均响应时长（秒)",
                "淘宝答问比",
                "客户满意率",
                "销售额",
                "询单最终付款转化率",
            ],
            [
                "20240305",
                "暖暖家居旗舰店:小雨",
                "售前一组",
                "52",
                "40",
                "12",
                "3,120.00",
                "260.00",
                "8.5",
                "21.3",
                "120.5%",
                "96.1%",
                "3,300.00",
                "30.0%",
            ],
            ["合计", "", "", "52", "40", "12", "", "", "", "", "", "", "", ""],
        ]
    )
    preset = detect_preset(raw.columns)
    assert preset.id == "platform:taobao"
    out = apply_preset(preset, raw)
    assert set(out["period"]) == {"2024-03-05"}
    subject = "暖暖家居旗舰店:小雨"
    assert values(out, subject, "received_buyers")[0] == "52"
    assert values(out, subject, "inquiry_buyers")[0] == "40"
    assert values(out, subject, "net_sales")[0] == "3120"
    assert values(out, subject, "sales_amount")[0] == "3300"
    assert values(out, subject, "first_response_s")[0] == "8.5"
    assert values(out, subject, "avg_response_s")[0] == "21.3"
    assert values(out, subject, "answer_ratio")[0] == "1.205"
    assert values(out, subject, "satisfaction_rate")[0] == "0.961"
    assert values(out, subject, "consult_to_pay_rate")[0] == "0.3"


def test_report_excel_serial_date_and_missing_key() -> None:
    raw = frame([["日期", "客服账号", "客服服务分", "询单人数"], ["45356", "p:1", "4.5", "10"]])
    out = apply_preset(load_preset("platform:pdd"), raw)
    assert set(out["period"]) == {"2024-03-05"}
    with pytest.raises(UsageError, match="客服账号"):
        apply_preset(load_preset("platform:pdd"), frame([["客服", "询单人数"], ["a", "1"]]))


def test_taobao_fliggy_report_with_footers_and_delayed_cells() -> None:
    raw = frame(
        [
            [
                "客服昵称",
                "接待人数",
                "平均响应(秒)",
                "回复率",
                "询单->最终付款转化率",
                "客户满意率",
            ],
            ["飞猪旗舰店:阿珍", "88", "12.40", "99.50%", "延迟统计", "100.00%"],
            ["汇总", "88", "12.40", "99.50%", "延迟统计", "100.00%"],
            ["均值", "88", "12.40", "99.50%", "延迟统计", "100.00%"],
        ]
    )
    out = apply_preset(detect_preset(raw.columns), raw, period="2024-W10")
    assert set(out["subject"]) == {"飞猪旗舰店:阿珍"}
    assert values(out, "飞猪旗舰店:阿珍", "consult_to_pay_rate") == (None, "true")
    assert values(out, "飞猪旗舰店:阿珍", "reply_rate") == ("0.995", "false")
    assert values(out, "飞猪旗舰店:阿珍", "avg_response_s") == ("12.4", "false")


def test_jd_report() -> None:
    raw = frame(
        [
            [
                "客服",
                "促成下单商品金额",
                "售前接待人数",
                "促成下单人数",
                "平均响应时长（新）",
                "接待量",
                "30s应答率",
                "客服3分钟人工回复率",
                "好评量",
                "评价量",
            ],
            ["jd_小东", "5,600.00", "70", "14", "25.6", "95", "91.20%", "99.00%", "18", "20"],
        ]
    )
    preset = detect_preset(raw.columns)
    assert preset.id == "platform:jd"
    out = apply_preset(preset, raw, period="2024-03")
    assert values(out, "jd_小东", "jd_first_30s_rate")[0] == "0.912"
    assert values(out, "jd_小东", "avg_response_s")[0] == "25.6"
    assert values(out, "jd_小东", "received_buyers")[0] == "70"
    assert values(out, "jd_小东", "ratings")[0] == "20"
    assert values(out, "jd_小东", "order_amount")[0] == "5600"


def test_douyin_reception_report() -> None:
    raw = frame(
        [
            [
                "日期",
                "店铺id",
                "店铺名称",
                "客服昵称",
                "账号名称",
                "人工已接待人数",
                "人工已接待会话量",
                "3分钟人工回复率(会话)",
                "3分钟人工回复率",
                "首次响应时长（秒）",
                "平均响应时长（秒）",
                "满意率",
                "客服销售额（元）",
                "询单人数",
                "下单人数",
                "支付人数",
                "询单转化率",
            ],
            [
                "2024/3/5",
                "123",
                "山茶小铺",
                "小茶",
                "山茶小铺-小茶",
                "45",
                "50",
                "96.0%",
                "95.5%",
                "6",
                "18",
                "98.0%",
                "2,000.00",
                "30",
                "12",
                "10",
                "33.33%",
            ],
        ]
    )
    preset = detect_preset(raw.columns)
    assert preset.id == "platform:douyin"
    out = apply_preset(preset, raw)
    assert set(out["period"]) == {"2024-03-05"} and set(out["subject"]) == {"小茶"}
    assert values(out, "小茶", "douyin_3min_rate")[0] == "0.96"
    assert values(out, "小茶", "douyin_3min_rate_buyers")[0] == "0.955"
    assert values(out, "小茶", "consult_to_pay_rate")[0] == "0.3333"
    assert values(out, "小茶", "sales_amount")[0] == "2000"
    assert values(out, "小茶", "received_buyers")[0] == "45"


def test_kuaishou_report() -> None:
    raw = frame(
        [
            ["客服昵称", "好评率", "3分钟人工回复率", "客服销售额", "询单人数", "询单转化率"],
            ["快手小店:阿乐", "97.5%", "88.0%", "1200", "50", "20%"],
        ]
    )
    preset = detect_preset(raw.columns)
    assert preset.id == "platform:kuaishou"
    out = apply_preset(preset, raw, period="2024-03")
    assert values(out, "快手小店:阿乐", "good_rate")[0] == "0.975"
    assert values(out, "快手小店:阿乐", "kuaishou_3min_rate")[0] == "0.88"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("85.3%", ("0.853", False)),
        (" 1,234.50 ", ("1234.5", False)),
        ("¥99", ("99", False)),
        ("0:01:30", ("90", False)),
        ("延迟统计", (None, True)),
        ("-", None),
        ("", None),
        ("abc", ("abc", False)),
        ("12秒", ("12", False)),
        ("100%", ("1", False)),
    ],
)
def test_parse_cell(cell: str, expected: tuple[str | None, bool] | None) -> None:
    assert parse_cell(cell) == expected


# ---------------------------------------------------------------- user mapping files

USER_MAPPING = """\
id: my_crm
table: orders
name_zh: 自建CRM订单
name_en: in-house CRM orders
signature: [单号, 下单]
columns:
  order_id: [单号]
  shop: [门店]
  buyer: [会员]
  created_at: [下单]
values:
  status: {待付款: created}
"""


def test_user_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "my-crm.yaml"
    path.write_text(
        USER_MAPPING.replace(
            "values:\n  status: {待付款: created}\n",
            "  status: [状态]\nvalues:\n  status: {待付款: created, 已付款: paid}\n",
        ),
        "utf-8",
    )
    preset = load_preset(str(path))
    raw = frame(
        [
            ["单号", "门店", "会员", "下单", "状态"],
            ["X1", "门店A", "m1", "2024-03-01 10:00:00", " 已付款 "],
        ]
    )
    out = apply_preset(preset, raw)
    assert out.row(0) == ("X1", "门店A", "m1", "2024-03-01 10:00:00", "paid", 2)


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        (USER_MAPPING.replace("  buyer: [会员]", "  buyer: 会员"), 9, "columns.buyer"),
        (
            USER_MAPPING.replace("  shop: [门店]", "  shop: [门店]\n  colour: [颜色]"),
            9,
            "columns.colour",
        ),
        (USER_MAPPING.replace("table: orders", "table: order"), 2, "table"),
        (USER_MAPPING + "optoins: {}\n", 13, "optoins"),
        (USER_MAPPING + "options:\n  skip_values: 汇总\n", 14, "options.skip_values"),
    ],
)
def test_malformed_mapping_names_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as info:
        load_preset(str(path))
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), line, field)
    assert str(path) in str(err) and field in str(err)


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\ncolumns: [unclosed\n", "utf-8")
    with pytest.raises(ConfigError) as info:
        load_preset(str(path))
    assert info.value.file == str(path) and info.value.line is not None


def test_missing_mapping_file() -> None:
    with pytest.raises(UsageError, match="not found"):
        load_preset("/nonexistent/mapping.yaml")
