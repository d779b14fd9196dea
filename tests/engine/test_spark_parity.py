"""Every registered metric, on the hand-computed fixtures, through DuckDB and PySpark."""

from __future__ import annotations

import math

import pytest

from kaohe.engine.compute import make_request, run
from kaohe.engine.periods import parse_period
from kaohe.engine.spark import run_on_spark
from tests.engine import fixtures as F

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


@pytest.mark.parametrize("by", ["agent", "shop,day"])
def test_duckdb_and_spark_agree_on_every_metric(make_store, spark, by):
    store = make_store(F.ALL, roster=F.ROSTER)
    request = make_request(by, parse_period("2026-10"), None, {})
    duck = run(store.ibis(), request)
    assert duck and any(r["rounds"] for r in duck)
    _same(duck, run_on_spark(store, request, session=spark))
