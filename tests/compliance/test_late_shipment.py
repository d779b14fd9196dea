"""延迟发货 (seeds 000, 004): 72 hours after payment, the three platforms' penalty formulas at
their floors and caps, an exempt holiday, and a preset switched off."""

from __future__ import annotations

from datetime import datetime

import pytest

from kaohe.compliance import run_checks
from kaohe.compliance.load import load_preset
from kaohe.compliance.report import notes_text, result_row
from tests.compliance.helpers import NOW, make


def order(oid: str, shop: str, platform: str, paid: str, amount: float, shipped: str | None):
    return {
        "order_id": oid,
        "shop": shop,
        "platform": platform,
        "buyer": f"{oid}-buyer",
        "created_at": paid,
        "paid_at": paid,
        "amount": amount,
        "shipped_at": shipped,
    }


ORDERS = [
    # Tmall, paid 12 October 10:00: the 72 h end on the 15th at 10:00
    order("t1", "tm", "tmall", "2026-10-12 10:00:00", 10.0, "2026-10-15 11:00:00"),  # ¥10
    order("t2", "tm", "tmall", "2026-10-12 10:00:00", 3000.0, "2026-10-16 10:00:00"),  # ¥3,000
    order("t3", "tm", "tmall", "2026-10-12 11:00:00", 100.0, "2026-10-15 10:59:00"),  # on time
    # Taobao: 5 %, at most ¥30
    order("b1", "tb", "taobao", "2026-10-12 10:00:00", 200.0, "2026-10-16 10:00:00"),
    order("b2", "tb", "taobao", "2026-10-12 10:00:00", 1000.0, None),  # never shipped
    # JD: 30 %, ¥5–500
    order("j1", "jd", "jd", "2026-10-12 10:00:00", 10.0, "2026-10-20 10:00:00"),
    order("j2", "jd", "jd", "2026-10-13 10:00:00", 100.0, "2026-10-14 10:00:00"),  # on time
]


@pytest.mark.parametrize(
    ("platform", "amount", "owed"),
    [
        ("tmall", 10.0, 5.0),  # 30 % = 3 → the ¥5 floor
        ("tmall", 3000.0, 500.0),  # 30 % = 900 → the ¥500 cap
        ("tmall", 100.0, 30.0),  # 30 %
        ("jd", 10.0, 5.0),
        ("jd", 3000.0, 500.0),
        ("taobao", 200.0, 10.0),  # 5 %
        ("taobao", 1000.0, 30.0),  # 5 % = 50 → the ¥30 cap
        ("taobao", 10.0, 0.5),  # no floor on Taobao
    ],
)
def test_the_three_penalty_formulas(platform, amount, owed):
    assert load_preset("late_shipment").order_penalty[platform].owed(amount) == owed


def test_late_shipments_per_shop_and_day_with_what_they_owe():
    with make(orders=ORDERS) as store:
        got = {
            (r.subject, r.cycle): r
            for r in run_checks(store, "2026-10", ["late_shipment"], now=NOW)
        }
    tm = got[("tm", "2026-10-12")]
    assert (tm.value, tm.status) == (2, "fail")  # t1 73 h, t2 96 h; t3 in 71 h 59 min
    assert [(c["order_id"], c["penalty"]) for c in tm.cases] == [("t1", 5.0), ("t2", 500.0)]
    assert tm.owed == 505.0
    tb = got[("tb", "2026-10-12")]
    assert [(c["order_id"], c["penalty"]) for c in tb.cases] == [("b1", 10.0), ("b2", 30.0)]
    assert tb.owed == 40.0
    assert got[("jd", "2026-10-12")].owed == 5.0
    assert got[("jd", "2026-10-13")].status == "pass" and got[("jd", "2026-10-13")].owed is None
    assert result_row(tm)["owed"] == 505.0


def test_an_exempt_holiday_is_not_applicable_with_the_reason():
    # JD paused assessments over the 2024 Spring Festival (2024-02-04 to 02-17): an order
    # paid on 8 February and shipped 6 days later is not held against the shop; the same on
    # Tmall is, the exemption being JD's
    rows = [
        order("j9", "jd", "jd", "2024-02-08 10:00:00", 100.0, "2024-02-14 10:00:00"),
        order("t9", "tm", "tmall", "2024-02-08 10:00:00", 100.0, "2024-02-14 10:00:00"),
        order("j8", "jd", "jd", "2024-02-20 10:00:00", 100.0, "2024-02-26 10:00:00"),
    ]
    with make(orders=rows) as store:
        got = {
            (r.subject, r.cycle): r
            for r in run_checks(store, "2024-02", ["late_shipment"], now=datetime(2024, 3, 5))
        }
    jd = got[("jd", "2024-02-08")]
    assert jd.status == "not_applicable" and jd.cases == [] and jd.owed is None
    exempt = "平台豁免考核: 京东2024年春节期间暂停部分考核 2024-02-04–2024-02-17"
    assert notes_text(jd)[-1] == exempt
    assert got[("tm", "2024-02-08")].status == "fail"
    assert got[("jd", "2024-02-20")].status == "fail"  # after the holiday


def test_kuaishou_attitude_can_be_switched_off_with_the_reason():
    from tests.compliance.helpers import rating

    ratings = [rating("ks", datetime(2026, 10, 5 + i, 12), "失望", "服务态度差") for i in range(3)]
    shop = [order("k1", "ks", "kuaishou", "2026-10-05 10:00:00", 1.0, "2026-10-05 12:00:00")]
    with make(ratings=ratings, orders=shop) as store:
        on = run_checks(store, "2026-10", ["kuaishou_attitude"], now=NOW)
        off = run_checks(
            store,
            "2026-10",
            ["kuaishou_attitude"],
            now=NOW,
            overrides={"kuaishou_attitude.enabled": "false"},
        )
    assert [r.status for r in on] == ["fail"]  # 3 of 3 poor ratings for 服务态度差
    assert [r.status for r in off] == ["not_applicable"]
    assert notes_text(off[0])[-1].startswith("已关闭: 快手2022年11月修订后已删减")
