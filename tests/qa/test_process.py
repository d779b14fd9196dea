"""Process rules on hand-built chats and orders (issue 15; seeds 001 and 003): each rule once
firing, once not, and the boundaries that keep it quiet."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from kaohe.engine import conversation
from kaohe.qa.process import process_findings
from kaohe.qa.rules import load_pack
from kaohe.store import Store
from tests.engine.conftest import fill, msg

T0 = datetime(2026, 10, 12, 10, 0, 0)
PACK = load_pack("default")


def messages(*rows: tuple) -> pl.DataFrame:
    """The conversation model of (buyer, minutes after T0, sender, text[, msg_type]) rows of
    shop s1 and agent a1; message keys k1, k2, … in the order given."""
    lines = [
        msg(r[0], "a1", r[2], str(T0 + timedelta(minutes=r[1])), r[3], kind=(r[4:] or ("text",))[0])
        for r in rows
    ]
    with Store(":memory:") as store:
        fill(store, lines)
        return pl.from_arrow(conversation.frame(store))  # type: ignore[return-value]


def orders(*rows: tuple) -> pl.DataFrame:
    """(order id, buyer, created minutes after T0, paid minutes after T0 or None)."""
    return pl.DataFrame(
        {
            "order_id": [r[0] for r in rows],
            "shop": "s1",
            "buyer": [r[1] for r in rows],
            "created_at": [T0 + timedelta(minutes=r[2]) for r in rows],
            "paid_at": [None if r[3] is None else T0 + timedelta(minutes=r[3]) for r in rows],
        },
        schema_overrides={"paid_at": pl.Datetime("us")},
    )


def found(rule: str, chat: pl.DataFrame, placed: pl.DataFrame | None = None) -> list[tuple]:
    got = process_findings(chat, placed if placed is not None else orders(), PACK)
    return got.filter(pl.col("rule") == rule).select("msg_key", "buyer", "matched").rows()


# seed 001: 客户拍下订单，10分钟内 … 跟您核对下 … 收件人XXX，地址XXX，电话XXX


def test_an_order_in_chat_without_an_address_check_within_10_minutes():
    chat = messages(
        ("b1", 0, "buyer", "这个有货吗"),
        ("b1", 1, "agent", "有的亲，可以直接拍"),  # k2: the order's agent
        ("b1", 8, "agent", "亲，跟您核对下收件人和地址：XXX，请您确认"),  # b1: checked in time
        ("b2", 0, "buyer", "这个有货吗"),
        ("b2", 1, "agent", "有的亲，可以直接拍"),  # k5: b2's order is never checked
        ("b2", 30, "agent", "亲，还有什么可以帮您"),  # k6: after the 10 minutes
        ("b3", 30, "agent", "亲，在的"),  # keeps every deadline inside the messages
    )
    placed = orders(("o1", "b1", 2, 3), ("o2", "b2", 2, 3))
    assert found("no_address_check", chat, placed) == [
        ("k5", "b2", "订单o2下单后10分钟内未核对收货地址")
    ]


def test_silent_orders_and_open_deadlines_are_not_judged():
    chat = messages(
        ("b1", 0, "agent", "有的亲"),
        ("b2", 0, "agent", "有的亲"),
        ("b2", 50, "agent", "亲，在吗"),
    )
    # b1 ordered 45 minutes after the agent's reply: a silent order, nobody's to check;
    # b2 ordered at 45: its 10 minutes end after the last message, not judged yet
    placed = orders(("o1", "b1", 45, None), ("o2", "b2", 45, None))
    assert found("no_address_check", chat, placed) == []


# seed 001 拍下后未付款跟进


def test_an_unpaid_order_without_a_payment_reminder():
    chat = messages(
        ("b1", 0, "agent", "有货的亲"),
        ("b1", 40, "agent", "亲，您拍下的宝贝还没付款哦，5点前付款今天就能发出"),  # reminded
        ("b2", 0, "agent", "有货的亲"),  # k3: b2 is never reminded
        ("b2", 60, "agent", "亲，地址核对好了"),  # k4: no payment word
        ("b3", 0, "agent", "有货的亲"),  # b3 paid after 5 minutes: no reminder due
        ("b4", 0, "agent", "有货的亲"),
        ("b4", 24 * 60 + 30, "agent", "亲，在的"),  # keeps b2's 24 hours inside the messages
    )
    placed = orders(
        ("o1", "b1", 5, 120),
        ("o2", "b2", 5, None),
        ("o3", "b3", 5, 10),
    )
    assert found("no_payment_reminder", chat, placed) == [
        ("k4", "b2", "订单o2拍下30分钟未付款，未催付")
    ]


def test_a_reminder_after_payment_does_not_count():
    chat = messages(
        ("b1", 0, "agent", "有货的亲"),  # k1
        ("b1", 130, "agent", "付款成功啦"),  # after the payment at 120: too late
    )
    assert found("no_payment_reminder", chat, orders(("o1", "b1", 5, 120))) == [
        ("k1", "b1", "订单o1拍下30分钟未付款，未催付")
    ]


# seed 003: 转人工或者二次进线时，不要让用户重复要咨询的问题


def test_asking_to_repeat_after_a_hand_off_or_on_a_second_contact():
    chat = messages(
        # b1: the bot hands over (a 转人工 line), the agent asks to describe it again
        ("b1", 0, "system", "由 服务助手 转交给 a1", "handoff"),
        ("b1", 0.2, "buyer", "我的快递到哪了"),
        ("b1", 0.5, "agent", "您好，请您再描述一下您的问题"),  # k3
        # b2: a first contact, the same words: no rule broken
        ("b2", 0, "buyer", "在吗"),
        ("b2", 0.5, "agent", "您好，请您再描述一下您的问题"),
        # b3 wrote yesterday; today the agent asks what the problem was: a second contact
        ("b3", -24 * 60, "buyer", "我要退货"),
        ("b3", -24 * 60 + 1, "agent", "好的亲"),
        ("b3", 0, "buyer", "昨天说的退货怎么样了"),
        ("b3", 1, "agent", "您之前是什么问题呢"),  # k9
        # b4 asked for a human herself, then was asked to repeat in the 4th reply: too late
        ("b4", 0, "buyer", "转人工"),
        ("b4", 1, "agent", "您好"),
        ("b4", 2, "agent", "请稍等"),
        ("b4", 3, "agent", "正在查询"),
        ("b4", 4, "agent", "请您重新描述一下"),
    )
    assert found("asks_to_repeat", chat) == [
        ("k3", "b1", "再描述一下"),
        ("k9", "b3", "之前是什么问题"),
    ]


def test_asking_whether_it_is_the_earlier_problem_is_no_repeat_request():
    # the agent looked at the history first (seed 003: 查看用户之前的咨询记录)
    chat = messages(
        ("b1", -60 * 24, "buyer", "发票开了吗"),
        ("b1", 0, "buyer", "在吗"),
        ("b1", 1, "agent", "您是来问昨天那张发票的进度吗？我看到记录了"),
    )
    assert found("asks_to_repeat", chat) == []


def test_a_new_question_may_be_asked_for():
    # a second contact where the buyer says it is another question (其他问题)
    chat = messages(
        ("b1", -60 * 24, "buyer", "发票开了吗"),
        ("b1", 0, "buyer", "这次是其他问题"),
        ("b1", 1, "agent", "好的，请您描述一下您的问题"),
    )
    assert found("asks_to_repeat", chat) == []


def test_process_rules_are_not_session_rules_of_behaviour():
    from kaohe.qa.behaviour import behaviour_findings

    chat = messages(("b1", 0, "system", "转交", "handoff"), ("b1", 1, "agent", "请您重新描述"))
    assert behaviour_findings(chat, PACK).filter(pl.col("rule") == "asks_to_repeat").is_empty()
