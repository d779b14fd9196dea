"""Masking of buyer personal data: a corpus of the forms buyers type (positives, each with its
expected mask) and of look-alikes that must stay as they are (order numbers, amounts, times)."""

from __future__ import annotations

import pytest

from kaohe.privacy import fold, mask_buyer, mask_text, personal_spans

A = "[地址已隐藏]"

# (text, its masked form)
MASKED = [
    # mobile phones
    ("电话13812345678谢谢", "电话138****5678谢谢"),
    ("１３８１２３４５６７８", "138****5678"),  # full-width digits
    ("138.1234.5678", "138****5678"),
    ("1 3 8 1 2 3 4 5 6 7 8", "138****5678"),
    ("打 138 1234 5678", "打 138****5678"),
    ("138－1234－5678", "138****5678"),  # full-width dashes
    ("+86 138-1234-5678", "138****5678"),
    ("＋86 138 1234 5678", "138****5678"),
    ("(+86)13812345678", "138****5678"),
    ("8613812345678", "138****5678"),
    ("手机：１３８ １２３４ ５６７８", "手机：138****5678"),
    ("2026-10-01 13812345678 到货", "2026-10-01 138****5678 到货"),
    # landlines
    ("(010) 12345678", "010-****"),
    ("（010）12345678", "010-****"),
    ("0571-8888888", "0571-****"),
    ("座机021 6123 4567", "座机021-****"),
    ("0755-86012345转123", "0755-****"),
    # ID numbers (valid check digits), with or without a cue
    ("110101199003074514", "110***********4514"),
    ("身份证号：11010119900307451X", "身份证号：110***********451X"),
    ("身份证 110101900307451", "身份证 110********7451"),  # 15 digits, cued
    # bank cards
    ("6222021234567890128", "6222 **** **** 0128"),  # UnionPay prefix, Luhn
    ("4111 1111 1111 1111", "4111 **** **** 1111"),  # grouped, Luhn
    ("卡号6222021234567890123", "卡号6222 **** **** 0123"),  # cued: masked even if mistyped
    # e-mail
    ("邮箱zhangsan@qq.com", "邮箱z***@qq.com"),
    ("ｚｈａｎｇｓａｎ＠ｑｑ．ｃｏｍ", "z***@qq.com"),
    # street addresses
    ("张江路123弄", A),
    ("我家住在张江路123弄", f"我家住在{A}"),
    ("上海市浦东新区张江路123弄4号501室", A),
    ("寄到浙江省杭州市西湖区文三路100号3栋, 收件人：张三丰", f"寄到{A}, 收件人：张**"),
    ("寄到浙江省杭州市西湖区文三路，你自己看", f"寄到{A}，你自己看"),
    ("幸福小区5幢1201室", A),
    ("3栋2单元501", A),
    ("人民路88号2号楼3单元", A),
    ("南京西路1266号", A),
    ("文三路一百号", A),
    ("放1201室门口", f"放{A}门口"),
    ("张江路１２３弄", A),  # full-width digits in an address
    # cued names
    ("收件人 李四", "收件人 李**"),
]

# look-alikes that are not personal data
UNCHANGED = [
    "订单号 2026101213812345678",  # a phone inside a longer run
    "订单号：3348617891234567890",  # 19-digit order number
    "订单 210987654321098765",  # 18 digits, not a valid ID, not a card
    "订单号 138123456789",  # 12 digits starting like a phone
    "订单20261012138123",
    "编号 12345678901234567",
    "SF1234567890123",  # tracking numbers carry letters
    "JD0012345678901",
    "msg_key a13812345678b",
    "1381234567",  # 10 digits
    "价格¥13800138000",
    "¥138.12",
    "共计1,380.00元",
    "退款 13800 元",
    "合计 138 件",
    "13:45:12 到货",
    "2026-10-01 13:45",
    "2026年10月12日",
    "10月3号发货",  # 号 as a day
    "快递在路上了",
    "3楼客服",
    "第2单元课程",
    "长江路3个小时能到吗",
    "亲，您好，请问有什么可以帮您？这款3天内发货哦",
]


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_every_variant_is_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", UNCHANGED)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_folding_keeps_every_character_in_place() -> None:
    text = "手机：１３８ １２３４－５６７８。"
    assert len(fold(text)) == len(text)
    assert fold(text) == "手机:138 1234-5678."


def test_spans_name_their_rule() -> None:
    rules = [rule for _, _, rule, _ in personal_spans("打13812345678或(010) 12345678到张江路1号")]
    assert rules == ["mobile", "landline", "address"]


def test_none_and_empty_text() -> None:
    assert mask_text(None) is None
    assert mask_text("") == ""


def test_buyer_accounts() -> None:
    assert mask_buyer("tb_小明的店") == "t***店"
    assert mask_buyer("ab") == "a*"


def test_masking_that_runs_out_of_time_hides_the_whole_text(monkeypatch) -> None:
    from kaohe import privacy, saferegex

    slow = saferegex.compile(r"^(a|aa)+$", "test", timeout=0.05)
    monkeypatch.setattr(privacy, "RULES", (privacy.Rule("slow", slow, privacy._address),))
    assert privacy.mask_text("a" * 40 + "b 13812345678") == privacy.TIMED_OUT_MASK
