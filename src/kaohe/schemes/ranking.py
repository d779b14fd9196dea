"""PK ranking (seed 002): rank the population on each metric separately; ties share a place.

Places are competition ranks (1, 1, 3): two agents tied first both take place 1 and its
reward, the next agent is third. Agents below ``min_sample`` or without a value are listed
but not ranked. For a rate, ``wilson_trials`` ranks by the lower bound of the Wilson
interval, so 3 of 3 does not beat 290 of 300.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kaohe.schemes.model import MinSample, Pk, PkMetric
from kaohe.schemes.rules import metric_direction, metric_unit
from kaohe.units import Unit, format_value

RANKED, INSUFFICIENT, NO_VALUE = "ranked", "insufficient_data", "no_value"


@dataclass
class PkEntry:
    agent: str
    metric: str
    value: float | None
    score: float | None  # what was ranked: the value, or its Wilson lower bound
    place: int | None
    reward: float = 0.0  # yuan
    status: str = RANKED
    explanation: str = ""
    unit: Unit | None = None  # the metric's unit (of value and score)


def wilson_lower(successes: float, trials: float, z: float = 1.96) -> float:
    """Lower bound of the Wilson score interval of successes / trials (0 without trials)."""
    if trials <= 0:
        return 0.0
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return (centre - spread) / (1 + z2 / trials)


def pk_rank(
    rows: Sequence[Mapping[str, Any]], pk: Pk, direction: Callable[[str], str] = metric_direction
) -> dict[str, list[PkEntry]]:
    """Metric id -> entries, best first (unranked agents last)."""
    return {
        m.metric: rank_metric(rows, m, pk.min_sample, pk.places, pk.rewards, pk.z, direction)
        for m in pk.metrics
    }


def rank_metric(
    rows: Sequence[Mapping[str, Any]],
    metric: PkMetric,
    min_sample: MinSample | None = None,
    places: int = 3,
    rewards: list[float] | None = None,
    z: float = 1.96,
    direction: Callable[[str], str] = metric_direction,
) -> list[PkEntry]:
    lower = (metric.direction or direction(metric.metric)) == "lower"
    entries = [_entry(row, metric, min_sample, z) for row in rows]
    ranked = [e for e in entries if e.status == RANKED]
    scores = sorted(e.score for e in ranked)
    for e in ranked:
        better = (
            bisect.bisect_left(scores, e.score)
            if lower
            else len(scores) - bisect.bisect_right(scores, e.score)
        )
        e.place = better + 1
        if e.place <= places and rewards and e.place <= len(rewards):
            e.reward = rewards[e.place - 1]
    ranked.sort(key=lambda e: (e.place, e.agent))
    return ranked + sorted((e for e in entries if e.status != RANKED), key=lambda e: e.agent)


def _entry(
    row: Mapping[str, Any], metric: PkMetric, min_sample: MinSample | None, z: float
) -> PkEntry:
    agent, value = str(row["agent"]), row.get(metric.metric)
    entry = PkEntry(agent, metric.metric, None if value is None else float(value), None, None)
    entry.unit = metric_unit(metric.metric)
    if min_sample and (
        row.get(min_sample.metric) is None or float(row[min_sample.metric]) < min_sample.min
    ):
        entry.status = INSUFFICIENT
        entry.explanation = (
            f"{min_sample.metric} = {row.get(min_sample.metric)} < {min_sample.min:g}: not ranked"
        )
        return entry
    if value is None:
        entry.status, entry.explanation = NO_VALUE, f"{metric.metric} is null: not ranked"
        return entry
    entry.score = float(value)
    if metric.wilson_trials:
        trials = float(row.get(metric.wilson_trials) or 0)
        entry.score = wilson_lower(float(value) * trials, trials, z)
        entry.explanation = (
            f"Wilson lower bound of {format_value(value, entry.unit)} over {trials:g} "
            f"{metric.wilson_trials} = {format_value(entry.score, entry.unit)}"
        )
    return entry
