"""Hand-computed values for "Operations, complaints, call centre" (seeds 001, 002)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import ibis
import pytest

from kaohe.engine import compute_kpis
from kaohe.engine.registry import all_metrics, get
from tests.engine import fixtures_part2c as F
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


def by(store, key: str, period: str | None = "2026-10", **kw: Any) -> dict[Any, dict]:
    rows = compute_kpis(
        store, by=key, period=period, metrics=kw.pop("metrics", IDS), use_facts=False, **kw
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
    ]


# orders ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-10-02 10:00:00", "2026-10-07 10:00:00", 3),  # Fri → Wed: Mon, Tue, Wed
        ("2026-10-05 09:00:00", "2026-10-13 09:00:00", 6),  # Mon → next Tue: 4 + 2
        ("2026-10-03 09:00:00", "2026-10-05 09:00:00", 1),  # Sat → Mon: Mon
        ("2026-10-02 09:00:00", "2026-10-04 23:00:00", 0),  # Fri → Sun: none
        ("2026-10-05 09:00:00", "2026-10-05 18:00:00", 0),  # same day
        ("2026-09-28 09:00:00", "2026-10-26 09:00:00", 20),  # four whole weeks
    ],
)
def test_working_days_are_counted_arithmetically(start, end, expected):
    from kaohe.engine.operations import working_days

    t = ibis.memtable({"a": [start], "b": [end]}).mutate(
        a=ibis._.a.cast("timestamp"), b=ibis._.b.cast("timestamp")
    )
    expr = t.select(n=working_days(t.a, t.b))
    assert ibis.duckdb.connect().execute(expr)["n"].tolist() == [expected]


def test_order_timeliness_by_region_tier_promise(store):
    shop = by(store, "shop")["ops-s1"]
    # o1 city 3 ≤ 3 on time, o2 county 6 > 5 late, o3 town 3 ≤ 7 on time; o6 has no tier
    assert shop["order_timeliness_rate"] == pytest.approx(2 / 3)
    lenient = by(store, "shop", params={"promise_days": {"city": 3, "county": 6, "town": 7}})
    assert lenient["ops-s1"]["order_timeliness_rate"] == 1.0  # o2: 6 ≤ 6
    strict = by(store, "shop", params={"promise_days": {"city": 2, "county": 5, "town": 7}})
    assert strict["ops-s1"]["order_timeliness_rate"] == pytest.approx(1 / 3)  # only o3


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


def test_training_index(store):
    agents = by(store, "agent")
    # day scores 80 and 90 win over the month's 50; 2 absences × 1
    assert agents["ops-a1"]["training_index"] == (80.0 + 90.0) / 2 - 2 * 1.0
    assert agents["ops-a2"]["training_index"] == 70.0  # a week value, no absences
    coef = by(store, "agent", params={"absence_coef": 5})["ops-a1"]["training_index"]
    assert coef == 85.0 - 2 * 5.0
    day = by(store, "agent", period="2026-10-05")
    assert day["ops-a1"]["training_index"] == 80.0  # the month's absences are on the 1st
    assert day["ops-a2"]["training_index"] == 70.0  # week 41 starts on the 5th


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
    }
    for metric_id in IDS:
        assert row[0][metric_id] == (0 if metric_id in counts else None), metric_id


def test_every_metric_has_a_value_on_the_parity_fixture(store):
    seen = {m: False for m in IDS}
    for key in ("agent", "shop"):
        for row in by(store, key).values():
            for m in IDS:
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
