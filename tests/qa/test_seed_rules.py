"""Issue 15: every wording the seeds give is flagged by the right rule, and polite look-alikes
by no rule at all (seed 004 天猫 发票/信用卡, seed 000 快手 2.4/2.5/2.13 and 拼多多, seed 002
严禁事项 and 泄露公司资料)."""

from __future__ import annotations

import polars as pl
import pytest

from kaohe.compliance.load import load_preset
from kaohe.qa.rules import load_pack
from kaohe.qa.scan import scan

PACK = load_pack("default")

SEED_WORDINGS = [
    # seed 004 天猫 发票问题: the seven refusals (the wordings first)
    ("发票需要您承担税额", "invoice_tax_postage"),
    ("发票邮费需要您承担", "invoice_tax_postage"),
    ("发票打印机正在维修中", "invoice_excuse"),
    ("当月限量发票尚未申请", "invoice_excuse"),
    ("财务不在无法开具", "invoice_excuse"),
    ("只能开办公用品发票", "invoice_wrong_type"),
    ("只能给收据", "invoice_receipt_only"),
    ("我们不提供发票", "invoice_refusal"),
    ("这是特殊产品，无法提供发票", "invoice_special_product"),
    ("只能开公司抬头的，不能开个人", "invoice_company_only"),
    ("纳税人变更申请中，发票暂时开不了", "invoice_excuse"),
    ("开票要加6个点的税", "invoice_tax_postage"),
    # seed 004 信用卡问题
    ("信用卡手续费需要您承担", "credit_card_fee"),
    ("用信用卡要加收手续费的", "credit_card_fee"),
    ("分期不行", "no_instalment"),
    ("不支持分期付款哦", "no_instalment"),
    # seed 000 快手 2.13: 弄虚作假客服服务评价
    ("好评返现", "review_cashback"),
    ("给个五星好评返现10元", "review_cashback"),
    ("好评截图发我领红包", "review_cashback"),
    # seed 000 快手 2.4 / 2.5: 骚扰他人
    ("你单身吗？交个朋友", "harassment"),
    ("不退款我就天天给你打电话", "harassment"),
    # seed 002: 严禁向外泄露公司之任何资料
    ("这个进货价才30块", "company_info_leak"),
    ("成本只有一半", "company_info_leak"),
    ("我们的供应商是广州的一家厂", "company_info_leak"),
    # seed 002 严禁事项: 讲道理, 说出客户的错误, 不承认错误
    ("这是您自己拍错了", "blame_customer"),
    ("你讲不讲道理", "blame_customer"),
    ("又不是我们的错", "blame_customer"),
    # seed 000 拼多多: 诽谤、谩骂平台的官方客服等工作人员
    ("官方客服就是骗子", "defame_platform"),
    ("平台小二乱判的，别理他们", "defame_platform"),
]

POLITE = [
    "亲，发票是免费开具的，下单时备注抬头就可以",
    "发票邮费由我们承担，和货分开寄给您",
    "电子发票会在确认收货后24小时内开具哦",
    "特价商品也是正常开发票的哦",
    "个人和公司抬头都可以开的",
    "我们开的都是正规发票，没有收据这一说",
    "请您提供下发票的抬头和税号",
    "信用卡付款不收手续费的哦",
    "信用卡分期是支持的，下单时选择分期就可以",
    "亲，满意的话麻烦给个五星好评哦",
    "退款会原路返回到您的信用卡",
    "请您提供一下收货地址，我帮您核对",
    "这已经是成本价了，真的不能再便宜了",
    "这个问题建议您联系供应商售后哦",
    "您看下是不是拍错了呢，我帮您修改",
    "不是您的问题，是我们发错了，非常抱歉",
    "平台客服会帮您处理的哦",
    "官方客服不在线的话，您也可以联系我们",
    "麻烦您简单说下遇到的情况",
]


def _frame(texts: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "msg_key": [f"m{i}" for i in range(len(texts))],
            "shop": "店",
            "buyer": "买家",
            "agent": "店:小美",
            "sender": "agent",
            "text": texts,
            "time": pl.Series([None] * len(texts), dtype=pl.Datetime("ms")),
            "msg_type": "text",
        }
    )


@pytest.mark.parametrize(("text", "rule"), SEED_WORDINGS)
def test_seed_wording_is_flagged_by_the_right_rule(text: str, rule: str):
    hits = scan(_frame([text]), PACK)
    assert hits["rule"].to_list() == [rule]


def test_polite_look_alikes_are_flagged_by_no_rule():
    hits = scan(_frame(POLITE), PACK)
    assert hits.select("msg_key", "rule").rows() == []


def test_every_new_rule_has_a_seed_wording():
    new = {
        "invoice_refusal",
        "invoice_tax_postage",
        "invoice_special_product",
        "invoice_excuse",
        "invoice_wrong_type",
        "invoice_company_only",
        "invoice_receipt_only",
        "credit_card_fee",
        "no_instalment",
        "review_cashback",
        "harassment",
        "company_info_leak",
        "blame_customer",
        "defame_platform",
    }
    assert new <= {rule for _, rule in SEED_WORDINGS}


def test_tmall_red_lines_count_all_seven_invoice_refusals():
    rules = load_preset("tmall_redlines").rules
    invoice = {r.id for r in PACK.rules if r.category == "invoice"}
    assert len(invoice) == 7 and {rules[r] for r in invoice} == {6}
