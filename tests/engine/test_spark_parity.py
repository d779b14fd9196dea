"""Every registered metric, on the hand-computed fixtures of every family, through DuckDB and
PySpark: the same Ibis definitions must give identical results."""

from __future__ import annotations

import math

import pytest

from kaohe.engine.compute import make_request, run
from kaohe.engine.periods import parse_period
from kaohe.engine.registry import all_metrics
from kaohe.engine.spark import run_on_spark
from tests.engine import fixtures as F
from tests.engine import fixtures_issue15 as F15
from tests.engine import fixtures_operations as F2C
from tests.engine import fixtures_service_quality as F2B
from tests.engine.conftest import fill, fill_table
from tests.engine.fixtures_alerts import ALERTS, ROSTER
from tests.engine.test_sales import SALES_IDS, _all_scenarios

pytestmark = pytest.mark.spark


def _same(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for key, value in x.items():
            other = y[key]
            if isinstance(value, float) and isinstance(other, float):
                assert math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-9), (x, key)
            else:
                assert value == other, (x, key, other)


@pytest.fixture(scope="module")
def store(request):
    """One store holding every family's fixture rows."""
    stores = []

    def make(rows, roster=()):
        from kaohe.store import Store

        s = fill(Store(":memory:"), rows, roster)
        stores.append(s)
        return s

    s = _all_scenarios(make)  # messages, orders and refunds of the attribution scenarios
    fill(s, F.ALL + F2B.MESSAGES + F15.MESSAGES, F.ROSTER)
    for table, rows in {**F2B.PARITY_TABLES, **F2C.PARITY}.items():
        fill_table(s, table, rows)
    for table, rows in F15.TABLES.items():
        fill_table(s, table, rows)
    fill_table(s, "agents", [r for r in ROSTER if r["level"] == "lead"])
    fill_table(s, "alerts", ALERTS)
    yield s
    for st in stores:
        st.close()


@pytest.mark.parametrize("by", ["agent", "shop,day"])
def test_duckdb_and_spark_agree_on_every_metric(store, spark, by):
    request = make_request(by, parse_period("2026-10"), None, {})
    duck = run(store.ibis(), request)
    assert duck and any(r["rounds"] for r in duck)
    if by == "shop,day":  # the fixtures exercise the catalogue (agent rows lack shop metrics)
        covered = {m.id for m in all_metrics() if any(r[m.id] for r in duck)}
        assert len(covered) > 0.9 * len(all_metrics())
    _same(duck, run_on_spark(store, request, session=spark))


@pytest.mark.parametrize("by", ["rule", "lead", "handler"])
def test_duckdb_and_spark_agree_on_alert_handling(store, spark, by):
    ids = [m.id for m in all_metrics() if m.section == "Alert handling"]
    request = make_request(by, parse_period("2026-10"), ids, {})
    duck = run(store.ibis(), request)
    # two rules; two leads (one team has none); three handlers (none yet, 组长甲, 主管)
    assert len(duck) == (3 if by == "handler" else 2) and all(r["alerts_fired"] for r in duck)
    _same(duck, run_on_spark(store, request, session=spark))


def test_duckdb_and_spark_agree_on_other_attribution_rules(store, spark):
    params = {"anchor": "order_first", "touch": "first"}
    request = make_request("agent", parse_period("2026-10"), SALES_IDS, params)
    _same(run(store.ibis(), request), run_on_spark(store, request, session=spark))
