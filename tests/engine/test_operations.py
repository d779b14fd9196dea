"""Hand-computed values for "Operations, complaints, call centre" (seeds 001, 002)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import ibis
import pytest

from kaohe.engine import compute_kpis
from kaohe.engine.registry import all_metrics, get
from kaohe.errors import ConfigError
from tests.engine import fixtures_operations as F
from tests.engine.conftest import fill_table

# all_metrics() loads every family; importing kaohe.engine.operations first would register
# this family alone (registry._load only runs on an empty registry)
IDS = [m.id for m in all_metrics() if m.section == "Operations, complaints, call centre"]


@pytest.fixture
def store(make_store):
    s = make_store([], roster=[("ops-a1", "A组"), ("ops-c1", "呼叫组")])
    for table, rows in F.PARITY.items():
        fill_table(s, table, rows)
    return s


# issue 15's figures have their own rows and tests (fixtures_issue15, test_fulfilment.py,
# test_repeat_calls_and_first_contact_resolution below)
ISSUE_15 = {
    "repeat_calls",
    "first_contact_resolution_rate",
    "late_shipments",
    "late_shipment_rate",
    "quality_refund_rate",
    "repeat_buyer_rate",
    "payment_reminder_rate",
}
OPS_IDS = [m for m in IDS if m not in ISSUE_15]


def by(store, key: str, period: str | None = "2026-10", **kw: Any) -> dict[Any, dict]:
    rows = compute_kpis(
        store, by=key, period=period, metrics=kw.pop("metrics", OPS_IDS), use_facts=False, **kw
    )
    return {r[key]: r for r in rows}


def test_every_operations_metric_is_registered():
    assert IDS == [
        "orders_placed",
        "valid_orders",
        "order_payment_conversion",
        "order_conversion",
        "order_accuracy_rate",
        "order_timeliness_rate",
        "same_city_delivery_h",
        "other_city_delivery_h",
        "complaints",
        "complaint_rate",
        "complaining_buyers",
        "repeat_complaining_buyers",
        "calls_handled",
        "aht_s",
        "service_level_20s",
        "abandon_rate",
        "call_volume_index",
        "service_quality_index",
        "training_index",
        "repeat_calls",
        "first_contact_resolution_rate",
        "late_shipments",
        "late_shipment_rate",
        "quality_refund_rate",
        "repeat_buyer_rate",
        "payment_reminder_rate",
    ]


# orders ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # National Day 2026: 1–7 October off, Saturday the 10th a make-up working day
        ("2026-10-02 10:00:00", "2026-10-07 10:00:00", 0),  # inside the holiday
        ("2026-10-05 09:00:00", "2026-10-13 09:00:00", 5),  # 8, 9, 10 (Sat), 12, 13
        ("2026-10-09 09:00:00", "2026-10-12 09:00:00", 2),  # Fri → Mon: Sat 10th works
        ("2026-10-16 09:00:00", "2026-10-18 23:00:00", 0),  # Fri → Sun: none
        ("2026-10-19 09:00:00", "2026-10-19 18:00:00", 0),  # same day
        ("2026-10-12 09:00:00", "2026-11-09 09:00:00", 20),  # four ordinary weeks
    ],
)
def test_working_days_follow_the_chinese_holiday_calendar(start, end, expected):
    from kaohe.engine.workdays import with_working_days, workdays_after

    t = ibis.memtable({"a": [start], "b": [end]}).mutate(
        a=ibis._.a.cast("timestamp"), b=ibis._.b.cast("timestamp")
    )
    expr = with_working_days(t, "a", "b", "n")
    assert ibis.duckdb.connect().execute(expr)["n"].tolist() == [expected]
    first, last = (date.fromisoformat(x[:10]) for x in (start, end))
    assert workdays_after(first, last) == expected  # the Python helper agrees


def test_order_timeliness_by_region_tier_promise(store):
    shop = by(store, "shop")["ops-s1"]
    # working days on the holiday calendar: o1 city 0 (2nd → 7th, all holiday), o2 county 5
    # (5th → 13th), o3 town 2 (6th → 9th): all within 3 / 5 / 7; o6 has no tier
    assert shop["order_timeliness_rate"] == 1.0
    strict = by(store, "shop", params={"promise_days": {"city": 3, "county": 4, "town": 7}})
    assert strict["ops-s1"]["order_timeliness_rate"] == pytest.approx(2 / 3)  # o2: 5 > 4
    stricter = by(store, "shop", params={"promise_days": {"city": 3, "county": 4, "town": 1}})
    assert stricter["ops-s1"]["order_timeliness_rate"] == pytest.approx(1 / 3)  # only o1


def test_order_counts_accuracy_and_conversions(store):
    shop = by(store, "shop")["ops-s1"]
    assert shop["orders_placed"] == 6  # o1–o6, paid or not
    assert shop["valid_orders"] == 4  # paid o1 o2 o3 o5 o6, minus cancelled o5
    assert shop["order_payment_conversion"] == pytest.approx(5 / 6)  # o4 never paid
    assert shop["order_accuracy_rate"] == pytest.approx((5 - 1) / 5)  # o3 has an error
    assert shop["order_conversion"] == pytest.approx(5 / 100)  # 5 paid / 100 visits


def test_delivery_hours_same_city_and_other_city(store):
    shop = by(store, "shop")["ops-s1"]
    assert shop["same_city_delivery_h"] == 120.0  # o1: 5 days
    assert shop["other_city_delivery_h"] == (192.0 + 72.0) / 2  # o2 8 days, o3 3 days
    wider = by(store, "shop", params={"same_city_tiers": ["city", "county"]})["ops-s1"]
    assert wider["same_city_delivery_h"] == (120.0 + 192.0) / 2
    assert wider["other_city_delivery_h"] == 72.0
    from_cli = by(store, "shop", params={"same_city_tiers": "city, county"})["ops-s1"]
    assert from_cli["same_city_delivery_h"] == wider["same_city_delivery_h"]


def test_order_metrics_are_dated_by_the_event_they_count(store):
    friday = by(store, "shop", period="2026-10-02")["ops-s1"]
    assert friday["orders_placed"] == 1 and friday["valid_orders"] == 1  # o1
    assert friday["order_timeliness_rate"] is None  # o1 is delivered on the 7th
    wednesday = by(store, "shop", period="2026-10-07")["ops-s1"]
    assert wednesday["orders_placed"] == 1 and wednesday["valid_orders"] == 0  # o5 cancelled
    assert wednesday["order_timeliness_rate"] == 1.0  # o1 delivered
    assert wednesday["order_conversion"] is None  # visits are dated on the 1st


def test_orders_are_shop_level(store):
    agents = by(store, "agent")
    assert None not in agents  # rows without an agent count for the shop only
    assert agents["ops-a1"]["orders_placed"] == 0
    assert agents["ops-a1"]["complaint_rate"] is None  # no orders per agent


# complaints ----------------------------------------------------------------------------------


def test_complaints_and_repeat_complainers(store):
    agents = by(store, "agent")
    a1, a2 = agents["ops-a1"], agents["ops-a2"]
    # a1: t1 t2 (b1, 5th) and t4 (b2, 6th); the email t5 and b2's November t6 do not count
    assert (a1["complaints"], a1["complaining_buyers"]) == (3, 2)
    assert (a2["complaints"], a2["complaining_buyers"]) == (1, 1)  # t3 (b1, 9th)
    # b1 filed 3 complaints in October: a repeat complainer in both agents' groups
    assert a1["repeat_complaining_buyers"] == 1 and a2["repeat_complaining_buyers"] == 1
    shop = by(store, "shop")["ops-s1"]
    assert shop["complaints"] == 4
    assert shop["complaining_buyers"] == 3  # b1 on the 5th and 9th, b2 on the 6th
    assert shop["repeat_complaining_buyers"] == 1  # b1; b2 once in October
    assert shop["complaint_rate"] == pytest.approx(4 / 5)  # per paid order


def test_repeat_complainers_over_all_data(store):
    shop = by(store, "shop", period=None)["ops-s1"]
    assert shop["complaints"] == 5
    assert shop["repeat_complaining_buyers"] == 2  # b2's second complaint is in November
    assert shop["complaint_rate"] == 1.0  # 5 / 5 paid orders


# call centre ---------------------------------------------------------------------------------


def test_call_centre_metrics(store):
    c1 = by(store, "agent")["ops-c1"]
    assert c1["calls_handled"] == 3  # k1, k2 in, k5 out
    assert c1["aht_s"] == (360.0 + 150.0 + 600.0) / 3  # talk + wrap-up
    assert c1["service_level_20s"] == pytest.approx(1 / 3)  # k1 in 10 s of k1 k2 k3
    assert c1["abandon_rate"] == pytest.approx(1 / 3)  # k3
    everyone = compute_kpis(store, by="all", period="2026-10", metrics=IDS, use_facts=False)[0]
    assert everyone["service_level_20s"] == 0.25  # k4 abandoned in the queue joins
    assert everyone["abandon_rate"] == 0.5  # k3, k4 of 4 inbound
    slower = by(store, "agent", params={"answer_s": 30})["ops-c1"]
    assert slower["service_level_20s"] == pytest.approx(2 / 3)  # k2 waited exactly 30 s


def test_call_volume_index_seed_002_example():
    # seed 002: a seat's monthly target 5000, 500 of its calls were complaints
    metric = get("call_volume_index")
    assert metric.params["unit_target"] == 5000
    value = metric.value({"calls_handled": 5500, "complaint_calls": 500}, metric.params)
    assert value == 1.0  # (5500 − 500) / 5000 = 100 %


def test_call_volume_index_on_calls(store):
    c1 = by(store, "agent", params={"unit_target": 4})["ops-c1"]
    assert c1["call_volume_index"] == 0.5  # (3 handled − 1 complaint k2) / 4
    assert by(store, "agent")["ops-c1"]["call_volume_index"] == 2 / 5000


# indices from metric_values ------------------------------------------------------------------


def test_service_quality_index(store):
    a1 = by(store, "agent")["ops-a1"]
    assert a1["service_quality_index"] == (90.0 + 80.0) / 2 - 3 * 1.0  # 3 complaints
    heavier = by(store, "agent", params={"complaint_coef": 2})["ops-a1"]
    assert heavier["service_quality_index"] == 85.0 - 3 * 2.0
    # a2: only a provisional (null) assessment score, no rating score
    assert by(store, "agent")["ops-a2"]["service_quality_index"] is None


def test_service_quality_index_counts_calls_flagged_as_complaints(store):
    # seed 002 客户投诉数: c1 has no complaint ticket but answered k2, a complaint call
    fill_table(
        store,
        "metric_values",
        [
            F.value("2026-10", "ops-c1", "assessment_score", 90.0),
            F.value("2026-10", "ops-c1", "rating_score", 80.0),
        ],
    )
    c1 = by(store, "agent")["ops-c1"]
    assert c1["service_quality_index"] == 85.0 - 1 * 1.0  # (90 + 80) / 2 − 1 complaint call
    tickets_only = by(store, "agent", params={"with_calls": "false"})["ops-c1"]
    assert tickets_only["service_quality_index"] == 85.0


def test_training_index_literal_formula_and_the_other_forms(store):
    # seed 002 培训考核指标=月平均培训成绩-(培训缺勤次数*培训考勤次数)*100%: day scores 80
    # and 90 win over the month's 50 (mean 85); 2 absences, 4 sessions held
    agents = by(store, "agent")
    assert agents["ops-a1"]["training_index"] == 85.0 - 2 * 4  # literal: 77
    assert agents["ops-a2"]["training_index"] == 70.0  # a week value, no absences
    coef = by(store, "agent", params={"form": "coefficient"})["ops-a1"]["training_index"]
    assert coef == 85.0 - 2 * 1.0  # the coefficient form, absence_coef 1
    heavier = by(store, "agent", params={"form": "coefficient", "absence_coef": 5})
    assert heavier["ops-a1"]["training_index"] == 85.0 - 2 * 5.0
    rate = by(store, "agent", params={"form": "rate"})["ops-a1"]["training_index"]
    assert rate == 85.0 - 2 / 4 * 100  # absences ÷ sessions × 100: 35
    day = by(store, "agent", period="2026-10-05")
    assert day["ops-a1"]["training_index"] == 80.0  # the month's absences are on the 1st
    assert day["ops-a2"]["training_index"] == 70.0  # week 41 starts on the 5th
    with pytest.raises(ConfigError, match="form must be one of literal"):
        by(store, "agent", params={"form": "guess"})


def test_training_absences_without_sessions_give_no_literal_value(make_store):
    store = make_store([])
    fill_table(
        store,
        "metric_values",
        [
            F.value("2026-10", "x1", "training_score", 90.0),
            F.value("2026-10", "x1", "training_absences", 1.0),
        ],
    )
    x1 = by(store, "agent", metrics=["training_index"])["x1"]
    assert x1["training_index"] is None  # 培训考勤次数 unknown: the seed's formula cannot run


def test_repeat_calls_and_first_contact_resolution(make_store):
    from tests.engine import fixtures_issue15 as I15

    store = make_store([])
    fill_table(store, "calls", I15.CALLS)
    ids = ["repeat_calls", "first_contact_resolution_rate"]
    agents = by(store, "agent", metrics=ids)
    # c2 (cb1 3 days after c1) and c5 (recorded is_repeat) are second contacts, both c2's
    assert agents["i15-c2"]["repeat_calls"] == 2 and agents["i15-c1"]["repeat_calls"] == 0
    # c1's first contacts: c1 (repeated by c2 within 7 days), c3 (cb2 came back after 15
    # days: a new contact), c4, c6 (recorded as a new issue): 3 of 4 resolved
    assert agents["i15-c1"]["first_contact_resolution_rate"] == 3 / 4
    assert agents["i15-c2"]["first_contact_resolution_rate"] is None  # only repeats
    fortnight = by(store, "agent", metrics=ids, params={"repeat_days": 20})
    # within 20 days c4 repeats c3, so c3 is no longer resolved; c4 is no first contact
    assert fortnight["i15-c1"]["first_contact_resolution_rate"] == 1 / 3
    assert fortnight["i15-c1"]["repeat_calls"] == 1


def test_month_value_is_used_without_finer_values_and_team_subjects_are_ignored(make_store):
    store = make_store([], roster=[("x1", "A组")])
    fill_table(
        store,
        "metric_values",
        [
            F.value("2026-10", "x1", "training_score", 60.0),
            F.value("2026-10", "A组", "training_score", 10.0),
            F.value("2026-11-02", "x1", "training_score", 99.0),  # a finer value, other month
        ],
    )
    agents = by(store, "agent", metrics=["training_index"])
    assert agents == {"x1": {"agent": "x1", "training_index": 60.0}}


@pytest.mark.parametrize(
    ("period", "start"),
    [
        ("2026-10", date(2026, 10, 1)),
        ("2026-10-05", date(2026, 10, 5)),
        (" 2026-W41 ", date(2026, 10, 5)),
        ("2026-W01", date(2025, 12, 29)),
        ("2027-W01", date(2027, 1, 4)),
        ("October", None),
    ],
)
def test_metric_value_periods_are_dated_by_their_first_day(period, start):
    from kaohe.engine.operations import _period_start

    t = ibis.memtable({"period": [period]})
    got = ibis.duckdb.connect().execute(t.select(d=_period_start(t.period)))["d"].tolist()[0]
    assert (
        None if got is None or got != got else got.date() if hasattr(got, "date") else got
    ) == start


# nulls, parity ------------------------------------------------------------------------------


def test_agent_with_no_data_gets_nulls(store):
    row = compute_kpis(
        store, by="agent", period="2026-10", metrics=IDS, agents=["ops-zz"], use_facts=False
    )
    assert len(row) == 1
    counts = {
        "orders_placed",
        "valid_orders",
        "complaints",
        "complaining_buyers",
        "repeat_complaining_buyers",
        "calls_handled",
        "repeat_calls",
        "late_shipments",
    }
    for metric_id in IDS:
        assert row[0][metric_id] == (0 if metric_id in counts else None), metric_id


def test_every_metric_has_a_value_on_the_parity_fixture(store):
    seen = {m: False for m in OPS_IDS}
    for key in ("agent", "shop"):
        for row in by(store, key).values():
            for m in seen:
                seen[m] |= row[m] not in (None, 0, 0.0)
    assert all(seen.values()), [m for m, ok in seen.items() if not ok]


def _same(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for key, value in x.items():
            if isinstance(value, float) and isinstance(y[key], float):
                assert math.isclose(value, y[key], rel_tol=1e-9, abs_tol=1e-9), (x, key)
            else:
                assert value == y[key], (x, key, y[key])
