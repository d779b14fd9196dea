"""The 千牛 chat window copied as text (preset qianniu_window)."""

from __future__ import annotations

import polars as pl

from kaohe.ingest.chat_window import COLUMNS, looks_like_chat_window, parse_chat_window
from kaohe.ingest.presets import apply_preset, load_preset

SHOP = "暖暖家居旗舰店"
XIAOYU = f"{SHOP}:小雨"
AJIE = f"{SHOP}:阿杰"
BUYER = "爱吃橘子的猫"

# A hand-written window: system lines first, a multi-line buyer message, status lines, a
# hand-off by the service assistant, a card, a withdrawal, a transfer and both header forms.
WINDOW = f"""\
当前用户来自 手机淘宝 商品详情页
{BUYER} 2024-3-5 9:58:02
你好，这款保温杯
有粉色吗？

500ml的
已读
原因：【离线留言自动分配】
由 服务助手 转交给 {XIAOYU}
[{XIAOYU}] 2024-03-05 10:00:41
亲，有的哦
未读
{XIAOYU} 2024-3-5 10:00:50
请在客户端查看原始聊天记录，网页版无法展示
发送中
{XIAOYU} 2024-3-5 10:01:10
{XIAOYU} 撤回了一条消息
{XIAOYU} --> {AJIE} 2024-3-5 10:02:00
[{BUYER}] 2024-03-05 10:03:00
好的 拍了
[{AJIE}] 2024-03-05 10:03:30
【自动回复】感谢您的支持
{BUYER} 撤回了一条消息
"""


def parsed() -> pl.DataFrame:
    return parse_chat_window(WINDOW, platform="tmall")


def test_looks_like_chat_window() -> None:
    assert looks_like_chat_window(WINDOW)
    assert looks_like_chat_window(f"\ufeff\n[{BUYER}] 2024-01-01 10:00:00\n在吗\n")
    assert not looks_like_chat_window("店铺,买家,时间\n小熊,b1,2024-01-01 10:00:00\n")
    assert not looks_like_chat_window("shop\tbuyer\ttime\n")
    assert not looks_like_chat_window("")


def test_columns_and_types() -> None:
    out = parsed()
    assert out.columns == [*COLUMNS, "_row"]
    assert out["_row"].dtype == pl.Int64
    assert all(out[c].dtype == pl.Utf8 for c in COLUMNS)


def test_rows_in_order() -> None:
    out = parsed()
    assert out["_row"].to_list() == [1, 2, 8, 9, 10, 13, 16, 18, 19, 21, 23]
    assert out["sender"].to_list() == [
        "system",
        "buyer",
        "system",
        "system",
        "agent",
        "agent",
        "agent",
        "system",
        "buyer",
        "agent",
        "buyer",
    ]
    assert out["msg_type"].to_list() == [
        "text",
        "text",
        "text",
        "handoff",
        "text",
        "card",
        "withdrawn",
        "handoff",
        "text",
        "text",
        "withdrawn",
    ]


def test_multiline_message_and_status_lines_dropped() -> None:
    out = parsed()
    first = out.filter(pl.col("_row") == 2).row(0, named=True)
    assert first["text"] == "你好，这款保温杯\n有粉色吗？\n500ml的"
    assert first["time"] == "2024-03-05 09:58:02"
    assert not out["text"].is_in(["已读", "未读", "发送中"]).any()


def test_agents_buyer_and_shop() -> None:
    out = parsed()
    assert set(out["buyer"]) == {BUYER}
    assert set(out["shop"]) == {SHOP} and set(out["platform"]) == {"tmall"}
    agents = out.filter(pl.col("sender") == "agent")["agent"].to_list()
    assert agents == [XIAOYU, XIAOYU, XIAOYU, AJIE]
    assert out.filter(pl.col("sender") == "buyer")["agent"].null_count() == 3


def test_withdrawal_is_attributed() -> None:
    out = parsed().filter(pl.col("msg_type") == "withdrawn")
    assert out.select("sender", "agent", "time").rows() == [
        ("agent", XIAOYU, "2024-03-05 10:01:10"),
        ("buyer", None, "2024-03-05 10:03:30"),
    ]


def test_transfer_and_system_lines() -> None:
    out = parsed()
    transfer = out.filter(pl.col("_row") == 18).row(0, named=True)
    assert transfer["msg_type"] == "handoff" and transfer["agent"] == AJIE
    assert transfer["time"] == "2024-03-05 10:02:00"
    assistant = out.filter(pl.col("_row") == 9).row(0, named=True)
    assert assistant["text"].startswith("由 服务助手 转交给")
    assert out.filter(pl.col("_row") == 1)["time"][0] == "2024-03-05 09:58:02"
    assert out.filter(pl.col("_row") == 8)["text"][0] == "原因：【离线留言自动分配】"


def test_card_and_auto_reply() -> None:
    out = parsed()
    assert out.filter(pl.col("_row") == 13)["msg_type"][0] == "card"
    assert out.filter(pl.col("auto_reply") == "true")["_row"].to_list() == [21]


def test_shop_argument_and_bot_nickname() -> None:
    text = "[小熊旗舰店:店小蜜] 2024-01-01 10:00:00\n欢迎光临\nb1 2024-01-01 10:00:09\n在吗\n"
    out = parse_chat_window(text, shop="小熊")
    assert out["sender"].to_list() == ["bot", "buyer"]
    assert set(out["shop"]) == {"小熊"} and set(out["buyer"]) == {"b1"}
    assert out["platform"].null_count() == 2


def test_text_preset_passes_parsed_frame_through() -> None:
    preset = load_preset("qianniu_window")
    assert preset.kind == "text"
    out = apply_preset(preset, parse_chat_window(WINDOW), platform="taobao")
    assert set(out["platform"]) == {"taobao"} and out.height == parsed().height
