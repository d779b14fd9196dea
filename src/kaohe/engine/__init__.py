"""The metric engine: building blocks, the registry, grouped computation, facts, Spark."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kaohe.engine.periods import Period, parse_period

if TYPE_CHECKING:
    from kaohe.store import Store


def compute_kpis(
    store: Store,
    by: str | Sequence[str] | None = ("agent",),
    period: Period | str | None = None,
    metrics: Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
    agents: Sequence[str] | None = None,
    use_facts: bool = True,
) -> list[dict[str, Any]]:
    """Metric rows for a period (None = all data), grouped by `by` (agent, team, shop,
    platform, day; () or "all" for one row). Ratios are fractions; empty denominators null."""
    from kaohe.engine.compute import make_request
    from kaohe.engine.facts import answer

    if isinstance(period, str):
        period = parse_period(period)
    request = make_request(by, period, metrics, params, agents)
    return answer(store, request, use_facts=use_facts)


__all__ = ["compute_kpis", "Period", "parse_period"]
