"""What a scheme needs from a store: its metrics per agent for a period, and the roster.

Metric ids the engine knows are computed by ``kaohe.engine.compute_kpis``; the others (manual
and platform figures: tmall ad_roi, cooperation points, spot-check counts…) are read from
``metric_values`` rows whose period is exactly the scheme's period (e.g. ``2026-10``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kaohe.engine import compute_kpis
from kaohe.engine.registry import all_metrics
from kaohe.schemes.model import Scheme


def metric_rows(
    store: Any, scheme: Scheme, period: str, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One row per agent: {"agent": ..., metric id: value, ...} for every metric the scheme
    reads. An engine value wins over an imported one for the same id; an imported one fills
    in where the engine has none (service_score from another QA tool, no reviews in kaohe).
    `params`: the engine overrides (kaohe.params.resolve_params(...).engine)."""
    engine_ids = {m.id for m in all_metrics()}
    ids = scheme.metric_ids()
    known = [m for m in ids if m in engine_ids]
    rows: dict[str, dict[str, Any]] = {}
    computed = (
        compute_kpis(store, by="agent", period=period, metrics=known, params=params)
        if known
        else []
    )
    for row in computed:
        rows[str(row["agent"])] = dict(row)
    imported = list(ids)
    for subject, metric, value in imported_values(store, imported, period):
        row = rows.setdefault(subject, {"agent": subject})
        if row.get(metric) is None:
            row[metric] = value
    return list(rows.values())


def imported_values(
    store: Any,
    metrics: list[str],
    period: str,
) -> list[tuple[str, str, float]]:
    """(subject, metric, value) of metric_values rows of exactly `period`."""
    if not metrics:
        return []
    marks = ", ".join("?" for _ in metrics)
    # several sources for one (subject, metric): the alphabetically first source wins
    sql = (
        f"SELECT subject, metric, arg_min(value, source) FROM metric_values "
        f"WHERE period = ? AND metric IN ({marks}) AND value IS NOT NULL "
        f"GROUP BY subject, metric ORDER BY subject, metric"
    )
    return [
        (str(s), str(m), float(v))
        for s, m, v in store.con.execute(sql, [period, *metrics]).fetchall()
    ]


def roster_rows(store: Any) -> list[dict[str, Any]]:
    """The agents table as dicts (agent, name, team, role, shops, base_salary, active…)."""
    cur = store.con.execute("SELECT * FROM agents ORDER BY agent")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def score_period(
    store: Any, scheme: Scheme, period: str, params: Mapping[str, Any] | None = None
) -> Any:
    """Score a scheme on a store's data for a period, the engine metrics under `params`."""
    from kaohe.schemes.score import score

    return score(scheme, metric_rows(store, scheme, period, params), roster_rows(store), period)


def is_settled(scheme: Scheme, period: str, params: Mapping[str, Any] | None = None) -> bool:
    """A scheme's period is settled when every engine metric it reads is (under `params`)."""
    from kaohe.engine.compute import settled_reading

    return settled_reading(period, scheme.metric_ids(), params)
