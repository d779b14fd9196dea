import polars as pl
import pytest

from kaohe.qa import detectors as d
from kaohe.qa.rules import TEXT_DETECTORS, PhraseParams, load_pack
from kaohe.qa.scan import rule_hits, scan

PACK = load_pack("default")

# rule -> (a message that must fire, a message that must not)
EXAMPLES = {
    "rhetorical": ("哪个？", "亲，请问您想看哪个颜色呢？"),
    "interrogation": ("不是告诉你了么？", "亲，我再给您说明一下发货时间哦。"),
    "shirking": ("不知道！", "我不知道您是否需要开发票呢？需要的话我帮您备注哦~"),
    "cold_refusal": ("不行", "抱歉亲，这个不行哦，您看换成这款可以吗？"),
    "perfunctory": ("嗯", "嗯嗯，好的亲，这边马上为您处理哦"),
    "sarcasm": ("买不起就别买", "亲，这款性价比很高，您可以放心购买哦"),
    "insult": ("你是不是有病吧", "亲，这款滚筒洗衣机有现货哦"),
    "offsite_contact": ("加我微信 abc_123456 发你", "亲，您可以用微信支付的哦"),
    "phone_number": ("打我电话13800138000", "这个价格是¥13800138000"),
    "third_party_payment": ("扫我的收款码付款就行", "退款会原路退回到您的银行卡哦"),
    "offsite_link": ("看这个 http://evil.cn/a", "宝贝链接 https://item.jd.com/100.html"),
    "personal_id": ("身份证号11010519491231002X", "订单号110105194912310021"),
    "invoice_refusal": ("本店不提供发票", "亲，发票是免费开具的，下单时备注抬头就可以"),
    "invoice_tax_postage": ("发票要加税点的哦", "发票邮费我们承担，单独给您寄出"),
    "invoice_special_product": ("这是特价商品没有发票", "特价商品也可以开发票的哦"),
    "invoice_excuse": ("发票打印机正在维修中", "发票会在确认收货后开具哦"),
    "invoice_wrong_type": ("只能开办公用品发票", "发票按实际商品名称开具"),
    "invoice_company_only": ("不能开个人抬头的发票，只能开公司抬头", "个人和公司抬头都可以开"),
    "invoice_receipt_only": ("我们只能给收据", "我们开的都是正规发票，没有收据这一说"),
    "credit_card_fee": ("信用卡付款要加3%手续费", "信用卡付款不收手续费的哦"),
    "no_instalment": ("分期不行的亲", "信用卡分期是可以的，下单时选择分期就行"),
    "review_cashback": ("好评返现5元哦", "亲，满意的话麻烦给个好评哦"),
    "harassment": ("我知道你住哪", "请您提供一下收货地址哦"),
    "company_info_leak": ("我们的进货价是80", "这已经是成本价了哦"),
    "blame_customer": ("这是您自己拍错了", "您看下是不是拍错了呢，我帮您处理"),
    "defame_platform": ("平台小二都是骗子", "平台客服会帮您处理的哦"),
    "promise_breach": ("这是特价宝贝，不参加包邮", "亲，全场包邮的哦"),
    "close_order": ("我帮您关闭订单了", "按您的要求，我帮您关闭订单了"),
    "info_leak": ("他的电话是[电话x]", "请用拍下的账号联系我核对信息哦"),
    "extreme_words": ("这是全网最低价", "这款价格很实惠哦"),
    "ad_buyer": ("兼职刷单，日结200，加微信 wx8899123 了解", "可以加你微信吗？我想问问尺码"),
}


def frame(rows: list[tuple[str, str]], msg_type: str = "text") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "msg_key": [f"m{i}" for i in range(len(rows))],
            "shop": "店",
            "buyer": "买家",
            "agent": "店:小美",
            "sender": [s for s, _ in rows],
            "text": [t for _, t in rows],
            "time": pl.Series([None] * len(rows), dtype=pl.Datetime("ms")),
            "msg_type": msg_type,
        }
    )


def fired(rule_id: str, text: str) -> pl.DataFrame:
    rule = PACK.rule(rule_id)
    base = pl.DataFrame({"text": [text], "msg_type": ["text"]}).with_row_index("_i")
    return rule_hits(rule, base)


def test_every_text_rule_has_examples():
    text_rules = {r.id for r in PACK.rules if r.detector in TEXT_DETECTORS} - {"withdrawn"}
    assert text_rules == set(EXAMPLES)


@pytest.mark.parametrize("rule_id", sorted(EXAMPLES))
def test_rule_fires_on_positive(rule_id: str):
    assert fired(rule_id, EXAMPLES[rule_id][0]).height == 1


@pytest.mark.parametrize("rule_id", sorted(EXAMPLES))
def test_rule_silent_on_negative(rule_id: str):
    assert fired(rule_id, EXAMPLES[rule_id][1]).height == 0


def test_polite_bu_zhidao_is_not_shirking_in_any_rule():
    hits = scan(frame([("agent", "我不知道您是否需要开发票呢？需要的话我帮您备注哦~")]), PACK)
    assert hits.is_empty()


def test_spans_are_characters_not_bytes():
    hit = fired("phone_number", "亲，我电话13800138000哦")
    assert hit.row(0) == (0, 5, 16, "13800138000")
    hit = fired("interrogation", "亲亲，不是告诉你了么")
    assert hit.row(0) == (0, 3, 9, "不是告诉你了")


def test_phone_finds_the_real_number_after_a_price():
    hit = fired("phone_number", "¥13800138000 不对，电话 139-1234-5678")
    assert hit["matched"].to_list() == ["139-1234-5678"]


@pytest.mark.parametrize(
    "text", ["138001380001", "订单213800138000", "13800138000元", "¥ 13800138000", "12800138000"]
)
def test_not_a_phone(text: str):
    assert fired("phone_number", text).is_empty()


def test_luhn():
    digits = pl.Series(["4111111111111111", "4111111111111112", "79927398713", "6011000990139424"])
    assert pl.select(d.luhn_ok(pl.lit(digits))).to_series().to_list() == [True, False, True, True]


def test_bank_card_needs_luhn_and_a_bank_cue():
    assert fired("third_party_payment", "打到我银行卡 4111 1111 1111 1111").height == 1
    assert fired("third_party_payment", "银行卡 4111111111111112").is_empty()  # Luhn fails
    assert fired("third_party_payment", "订单号 4111111111111111").is_empty()  # no cue


def test_id_card_checksum_and_birth_date():
    ok = pl.Series(
        ["11010519491231002X", "11010519491231002x", "110105194912310021", "11010519491331002X"]
    )
    assert pl.select(d.id_card_ok(pl.lit(ok))).to_series().to_list() == [True, True, False, False]


def test_link_allow_list_keeps_platform_links():
    hit = fired("offsite_link", "看 https://item.jd.com/1.html 或 www.abc.com/x")
    assert hit["matched"].to_list() == ["www.abc.com/x"]


def test_qq_and_wechat_cues():
    assert fired("offsite_contact", "联系QQ 2839445512").height == 1
    assert fired("offsite_contact", "加V：lucky_job77").height == 1
    assert fired("offsite_contact", "微信号是 lucky_job77").height == 1
    assert fired("offsite_contact", "微信支付和支付宝都可以").is_empty()


def test_phrase_exceptions_veto_the_message():
    params = PhraseParams(phrases=["关闭订单"], exceptions=["您要求"])
    base = pl.DataFrame({"text": ["帮您关闭订单", "您要求的，帮您关闭订单"]}).with_row_index("_i")
    assert d.phrase_hits(base, params)["_i"].to_list() == [0]


def test_whole_ignores_punctuation_and_spaces():
    for text in ("不知道！", " 不知道 ", "不知道。。"):
        assert fired("shirking", text).height == 1
    assert fired("shirking", "不知道呢亲，我帮您问一下").is_empty()


def test_ad_buyer_needs_two_signals():
    assert fired("ad_buyer", "点击链接领红包 http://t.cn/A6x9kq2").height == 1
    assert fired("ad_buyer", "加VX：lucky_job77，免费领取福利").height == 1
    assert fired("ad_buyer", "低价代运营，淘宝刷单冲销量，联系QQ 2839445512").height == 1
    assert fired("ad_buyer", "招聘吗").is_empty()


def test_scan_scopes_columns_and_withdrawn():
    msgs = frame(
        [
            ("buyer", "你是不是有病吧"),
            ("agent", "哪个？"),
            ("bot", "哪个？"),
            ("agent", "好的亲"),
            ("buyer", "兼职刷单，日结200，加微信 wx8899123"),
        ]
    )
    msgs = msgs.with_columns(
        pl.when(pl.col("msg_key") == "m3")
        .then(pl.lit("withdrawn"))
        .otherwise(pl.col("msg_type"))
        .alias("msg_type")
    )
    out = scan(msgs, PACK).sort("msg_key")
    assert out.select("msg_key", "rule", "severity").rows() == [
        ("m1", "rhetorical", "minor"),
        ("m3", "withdrawn", "info"),
        ("m4", "ad_buyer", "info"),
    ]
    assert out.columns == [
        "msg_key",
        "shop",
        "buyer",
        "agent",
        "time",
        "rule",
        "category",
        "severity",
        "deduction",
        "start",
        "end",
        "matched",
    ]
    assert out.row(0, named=True)["deduction"] == 5.0


def test_scan_uses_msg_id_without_msg_key_and_handles_empty():
    msgs = frame([("agent", "哪个")]).rename({"msg_key": "msg_id"})
    assert scan(msgs, PACK)["msg_key"].to_list() == ["m0"]
    assert scan(frame([]), PACK).is_empty()


def test_demo_spam_is_all_ad_buyer_and_demo_scripts_are_clean():
    from kaohe.demo import phrases as ph

    spam = scan(frame([("buyer", t) for t in ph.SPAM]), PACK)
    assert spam["rule"].to_list() == ["ad_buyer"] * len(ph.SPAM)
    polite = [
        *ph.GREETINGS,
        *ph.FAREWELLS,
        *ph.URGE_PAY,
        *ph.ORDER_CONFIRM,
        *ph.RATING_INVITE,
        *ph.AUTO_WELCOME,
        *ph.AWAY_AUTO,
        *[
            a
            for topics in (ph.PRESALES, ph.AFTERSALES)
            for _, answers in topics.values()
            for a in answers
        ],
    ]
    assert scan(frame([("agent", t) for t in polite]), PACK).is_empty()


def test_every_demo_rude_line_fires():
    from kaohe.demo import phrases as ph

    hits = scan(frame([("agent", t) for t in ph.RUDE]), PACK)
    assert hits["msg_key"].n_unique() == len(ph.RUDE)
