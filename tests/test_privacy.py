from kaohe.privacy import mask_buyer, mask_text


def test_mobile_numbers_are_masked_in_every_common_form() -> None:
    assert mask_text("电话13812345678谢谢") == "电话138****5678谢谢"
    assert mask_text("+86 138-1234-5678") == "138****5678"
    assert mask_text("打 138 1234 5678") == "打 138****5678"


def test_prices_and_long_digit_runs_are_not_phones() -> None:
    assert mask_text("价格¥13800138000") == "价格¥13800138000"
    assert mask_text("订单号 2026101213812345678") == "订单号 2026101213812345678"


def test_addresses_and_cued_names_are_masked() -> None:
    masked = mask_text("寄到浙江省杭州市西湖区文三路100号3栋, 收件人：张三丰")
    assert "西湖区" not in masked and "文三路" not in masked
    assert "[地址已隐藏]" in masked
    assert "收件人：张**" in masked


def test_ordinary_text_is_unchanged() -> None:
    text = "亲，您好，请问有什么可以帮您？这款3天内发货哦"
    assert mask_text(text) == text
    assert mask_text(None) is None


def test_buyer_accounts() -> None:
    assert mask_buyer("tb_小明的店") == "t***店"
    assert mask_buyer("ab") == "a*"
