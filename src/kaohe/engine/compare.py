"""Platform figures next to kaohe's: `kaohe kpi --compare-platform` (issue: a platform's own
per-agent report imported into metric_values under the catalogue's metric ids)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from kaohe.engine.periods import Period
from kaohe.engine.registry import Metric

if TYPE_CHECKING:
    from kaohe.store import Store

ADDITIVE_UNITS = ("count", "days", "yuan")  # daily platform figures of these units may be summed
PLATFORM, DIFF = "_platform", "_diff"


def platform_values(
    store: Store, period: Period | None, metrics: Sequence[Metric], subjects: Sequence[str]
) -> dict[tuple[str, str], float]:
    """{(subject, metric id): the platform's figure for the period}: a row whose period is
    the requested one (2026-10, or the day), else — for counts and amounts — the sum of
    the period's daily rows. Ratios and times of single days are not averaged."""
    if period is None or not metrics or not subjects:
        return {}
    ids = [m.id for m in metrics]
    marks = ", ".join("?" for _ in ids)
    subject_marks = ", ".join("?" for _ in subjects)
    rows = store.con.execute(
        f"SELECT subject, metric, period, value FROM metric_values WHERE metric IN ({marks}) "
        f"AND subject IN ({subject_marks}) AND value IS NOT NULL",
        [*ids, *subjects],
    ).fetchall()
    exact_labels = {period.label, f"{period.start.isoformat()}~{period.end.isoformat()}"}
    if period.start == period.end:
        exact_labels.add(period.start.isoformat())
    units = {m.id: m.unit for m in metrics}
    exact: dict[tuple[str, str], float] = {}
    daily: dict[tuple[str, str], float] = defaultdict(float)
    for subject, metric, label, value in rows:
        if str(label) in exact_labels:
            exact[(subject, metric)] = float(value)
        elif units[metric] in ADDITIVE_UNITS and _day_in(str(label), period):
            daily[(subject, metric)] += float(value)
    return {**daily, **exact}


def _day_in(label: str, period: Period) -> bool:
    try:
        day = date.fromisoformat(label)
    except ValueError:
        return False
    return period.start <= day <= period.end


def with_platform(
    rows: list[dict[str, Any]],
    key: str,
    metrics: Sequence[Metric],
    values: dict[tuple[str, str], float],
) -> list[dict[str, Any]]:
    """Each row with `<id>_platform` and `<id>_diff` (kaohe − platform) after each metric."""
    out = []
    for row in rows:
        merged: dict[str, Any] = {k: v for k, v in row.items() if k not in {m.id for m in metrics}}
        for metric in metrics:
            ours = row.get(metric.id)
            theirs = values.get((row.get(key), metric.id))
            merged[metric.id] = ours
            merged[metric.id + PLATFORM] = theirs
            merged[metric.id + DIFF] = (
                None if ours is None or theirs is None else float(ours) - theirs
            )
        out.append(merged)
    return out
