"""Why an agent stands where they do under a scheme, in one piece a page shows: status, total
out of the maximum, grade and its band, place among the agents with enough data, every item
(kaohe.schemes.breakdown) and what reaches the next grade (kaohe.schemes.advice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kaohe.schemes.advice import Advice, advise
from kaohe.schemes.breakdown import ItemLine, breakdown
from kaohe.schemes.model import Scheme
from kaohe.schemes.score import (
    INSUFFICIENT,
    SCORED,
    STATUS_ZH,
    ScoreResult,
    Scoring,
    ranks,
    scoring,
)

STATUS_EN = {SCORED: "scored", INSUFFICIENT: "too little data", "gated_out": "not applicable"}


@dataclass
class Why:
    agent: str
    name: str | None
    status: str  # scored | insufficient_data | gated_out
    status_text: str  # 已评分 / 数据不足 / 不适用
    total: float | None
    max_total: float
    grade: str | None
    band: str | None
    rank: int | None  # None: not ranked (数据不足, gated out)
    ranked: int  # how many agents are ranked
    items: list[ItemLine] = field(default_factory=list)
    advice: Advice | None = None

    @property
    def enough_data(self) -> bool:
        return self.status == SCORED


@dataclass
class Scored:
    """A scheme scored on a period, with what explaining any agent needs."""

    scheme: Scheme
    result: ScoreResult
    base: Scoring
    places: dict[str, int]


def scored(scheme: Scheme, result: ScoreResult, rows: list[dict[str, Any]], roster: Any) -> Scored:
    """`result`: score(scheme, rows, roster, period, params) on the same rows."""
    return Scored(scheme, result, scoring(scheme, rows, roster, result.params), ranks(result))


def why(s: Scored, agent: str, lang: str = "zh") -> Why | None:
    """The agent's explanation; None when the scheme does not cover them."""
    found = next((a for a in s.result.agents if a.agent == agent), None)
    if found is None:
        return None
    status_text = (STATUS_EN if lang == "en" else STATUS_ZH).get(found.status, found.status)
    return Why(
        agent,
        found.name,
        found.status,
        status_text,
        found.total,
        found.max_total,
        found.grade.label if found.grade else None,
        found.grade.band if found.grade else None,
        s.places.get(agent),
        len(s.places),
        breakdown(s.scheme, found, s.result.params, lang),
        advise(s.scheme, s.base, found),
    )
