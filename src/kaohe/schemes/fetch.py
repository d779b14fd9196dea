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
from kaohe.errors import UsageError
from kaohe.schemes.model import Scheme


def metric_rows(
    store: Any, scheme: Scheme, period: str, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One row per agent: {"agent": ..., metric id: value, ...} for every metric the scheme
    reads. An engine value wins over an imported one for the same id; an imported one fills
    in where the engine has none (service_score from another QA tool, no reviews in kaohe),
    and wins for the figures the platforms report (`Metric.imported_first`: JD's 抽检 counts,
    改评数 …). `params`: the engine overrides (kaohe.params.resolve_params(...).engine)."""
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
    merge_imported(rows, imported_values(store, list(ids), period))
    return list(rows.values())


def merge_imported(
    rows: dict[str, dict[str, Any]], imported: list[tuple[str, str, float]]
) -> dict[str, dict[str, Any]]:
    """Imported (subject, metric, value) into per-agent rows: they fill gaps, and replace the
    engine's value of a metric marked `imported_first`."""
    first = imported_first_ids()
    for subject, metric, value in imported:
        row = rows.setdefault(subject, {"agent": subject})
        if row.get(metric) is None or metric in first:
            row[metric] = value
    return rows


def imported_first_ids() -> frozenset[str]:
    return frozenset(m.id for m in all_metrics() if m.imported_first)


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
    """Score a scheme on a store's data for a period. A `cycle: month` scheme on a longer
    period (2026-Q4) is scored month by month and combined (score.combine_months); the engine
    metrics under `params`."""
    from kaohe.engine.periods import months_of, parse_period
    from kaohe.schemes.score import combine_months, score

    months = months_of(parse_period(period))
    if scheme.cycle == "month" and len(months) > 1:
        return combine_months(
            scheme, period, [score_period(store, scheme, m.label, params) for m in months]
        )
    rows = metric_rows(store, scheme, period, params)
    roster = roster_rows(store)
    if scheme.team_score:
        with_team_scores(store, scheme, rows, roster, period, params)
    return score(scheme, rows, roster, period)


def with_team_scores(
    store: Any,
    scheme: Scheme,
    rows: list[dict[str, Any]],
    roster: list[dict[str, Any]],
    period: str,
    params: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Each supervisor's row gets the team score (`team_score.metric`): the mean total of the
    agents of their roster team under the agents' schemes for the same period. A team nobody
    was scored in keeps an imported figure, if any."""
    from kaohe.schemes.load import load_scheme
    from kaohe.schemes.score import team_means

    assert scheme.team_score is not None
    metric = scheme.team_score.metric
    results = []
    for ref in scheme.team_score.schemes:
        agents_scheme = load_scheme(ref)
        if agents_scheme.team_score is not None:
            raise UsageError(
                f"scheme {scheme.id}: team_score reads {ref}, which itself reads a team score "
                "/ 团队评分不能再取团队评分"
            )
        results.append(score_period(store, agents_scheme, period, params))
    means = team_means(results, roster)
    by_agent = {str(r["agent"]): r for r in rows}
    for who in roster:
        team = who.get("team")
        if who.get("level") != "supervisor" or team not in means:
            continue
        row = by_agent.setdefault(str(who["agent"]), {"agent": who["agent"]})
        row[metric], row[f"{metric}_agents"] = means[team]
        if row not in rows:
            rows.append(row)
    return rows


def is_settled(scheme: Scheme, period: str, params: Mapping[str, Any] | None = None) -> bool:
    """A scheme's period is settled when every engine metric it reads is (under `params`)."""
    from kaohe.engine.settle import settled_reading

    return settled_reading(period, scheme.metric_ids(), params)
