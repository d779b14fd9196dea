"""When a period's figures are final: the reply horizon after its last day, plus what the
metric's family needs (attribution window and pay horizon for sales, clawback for net figures).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from kaohe.engine.params import GLOBAL_DEFAULTS, resolve
from kaohe.engine.periods import Period, parse_period
from kaohe.engine.registry import REGISTRY, Metric, all_metrics, get
from kaohe.engine.sales import settle_hours


def settled(
    period: Period | None,
    overrides: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    metrics: Sequence[Metric | str] | None = None,
) -> bool:
    """Whether a period's values are final. Response metrics are once the reply horizon after
    the period's last day passed; conversion and sales metrics need window + pay_horizon more,
    net figures (refund_amount, net_sales, refund_rate) clawback_days on top. Without
    `metrics`, only the reply horizon counts (the response metrics)."""
    if period is None:
        return False
    chosen = [get(m) if isinstance(m, str) else m for m in metrics or ()]
    hours = float({**GLOBAL_DEFAULTS, **(overrides or {})}["reply_horizon"])
    if chosen:
        hours = max(
            float(params["reply_horizon"]) + settle_hours(metric, params)
            for metric in chosen
            for params in [resolve(metric.id, metric.params, metric.fixed, overrides)]
        )
    due = datetime.combine(period.end + timedelta(days=1), datetime.min.time())
    return (now or datetime.now()) >= due + timedelta(hours=hours)


def settled_reading(
    period: str, ids: Iterable[str], overrides: Mapping[str, Any] | None = None
) -> bool:
    """Whether a period (2026-10) is settled for everything that reads `ids` (under the
    parameter `overrides`): the engine metrics among them decide; imported figures are final
    as imported."""
    all_metrics()
    known = sorted({i for i in ids if i in REGISTRY})
    return settled(parse_period(period), overrides, metrics=known or None)
