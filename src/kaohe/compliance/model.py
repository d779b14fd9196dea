"""The pydantic model of a compliance preset file (平台合规规则): what a platform measures, for
whom, over which cycle, against which threshold, and what it costs to miss it.

A preset has one or more checks; each compares one value with a threshold (`op`: the value
must be `>=` or `<=` it). A check's value is an engine metric (`metric`), one of its parts
(`metric.part`, e.g. `intervention_rate.intervened`), or a value of another kind (`source`):
`refund_deadline` (cases answered within the deadline, pending cases near it), `scheme` (a
scheme's total), `qa_hits` (QA findings of the preset's `rules`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kaohe.datafile import FieldProblem

Op = Literal[">=", "<="]
Cycle = Literal["day", "week", "month", "rolling30"]
Subject = Literal["shop", "agent"]
Source = Literal["metric", "refund_deadline", "scheme", "qa_hits"]
Platform = Literal["taobao", "tmall", "jd", "pdd", "douyin", "kuaishou", "other"]
NoteCode = Literal[
    "running",
    "no_data",
    "near_deadline",
    "gate_projected",
    "gate_fails",
    "switched_off",
    "exempt",
    "partly_exempt",
    "grade",
    "scheme",
    "qa_points",
    "no_qa_findings",
]


@dataclass(frozen=True)
class Note:
    """A remark on a result, as a code and its values: results carry no display language
    (kaohe.compliance.report.note_text words it in Chinese or English at the edge)."""

    code: NoteCode
    args: dict[str, Any] = field(default_factory=dict)


CaseKind = Literal[
    "bad_buyers",
    "slow_rounds",
    "slow_first_sessions",
    "refunds_48h",
    "interventions",
    "poor_ratings",
    "bad_attitude",
    "liable_disputes",
    "long_hangups",
    "late_emails",
    "late_tickets",
    "qa_hits",
    "low_agents",
    "late_orders",
]

CYCLE_ZH = {"day": "每日", "week": "自然周", "month": "自然月", "rolling30": "近30天"}
CYCLE_EN = {
    "day": "day",
    "week": "natural week",
    "month": "natural month",
    "rolling30": "rolling 30 days",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Condition(_Strict):
    """A value and the threshold it must meet."""

    metric: str = Field(description="engine metric id, or metric.part for one of its parts")
    op: Op
    threshold: float
    parameter: bool = Field(
        False,
        description="the seeds give no number: the default is "
        "ours; set it with --set PRESET.threshold=…",
    )
    label: str | None = None
    label_en: str | None = None


class Check(Condition):
    id: str
    source: Source = "metric"
    margin: float = Field(0, ge=0, description="at risk when the value passes by less than this")
    at_cycle_end: bool = Field(
        False, description="a rolling metric: read on the cycle's last day only"
    )
    warn_hours: float = Field(
        0,
        ge=0,
        description="refund_deadline: a case still without "
        "response this close to the deadline puts the check at risk",
    )
    hours: float = Field(48, gt=0, description="refund_deadline: the response deadline")
    alternative: Condition | None = Field(
        None, description="the check also passes when this holds (快手: ≤ 4 cases or ≤ 0.35 %)"
    )
    cases: CaseKind | None = Field(
        None, description="the drill-down listing the cases behind a failure"
    )

    @model_validator(mode="after")
    def _metric_named(self) -> Check:
        if self.source == "metric" and not self.metric:
            raise FieldProblem(("metric",), "a metric check names its metric")
        return self


class Gate(_Strict):
    """The check applies only when `metric` (a metric or metric.part) is at least `min`."""

    metric: str
    min: float
    label: str
    label_en: str


class Exemption(_Strict):
    """Days the platform does not assess (春节 and other holidays: JD skipped several KPIs
    from 2024-02-04 to 02-17). A cycle inside a range is not_applicable, with the reason."""

    start: date
    end: date
    label: str
    checks: list[str] = Field(default_factory=list, description="only these checks (all: [])")
    platforms: list[Platform] = Field(
        default_factory=list, description="only shops on these platforms (all: [])"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Exemption:
        if self.end < self.start:
            raise FieldProblem(("end",), f"end {self.end} is before start {self.start}")
        return self

    def applies(self, check: str, platform: str | None) -> bool:
        return (not self.checks or check in self.checks) and (
            not self.platforms or platform in self.platforms
        )

    def covers(self, check: str, platform: str | None, start: date, end: date) -> bool:
        return self.applies(check, platform) and self.start <= start <= end <= self.end

    def overlaps(self, check: str, platform: str | None, start: date, end: date) -> bool:
        return self.applies(check, platform) and start <= self.end and self.start <= end


class OrderPenalty(_Strict):
    """What the platform makes the shop pay the buyer per order: amount × rate, at least
    `min`, at most `max` (延迟发货: 淘宝 5 % ≤ ¥30; 天猫, 京东 30 %, ¥5–500)."""

    rate: float = Field(gt=0, le=1)
    min: float = Field(0, ge=0)
    max: float | None = Field(None, gt=0)

    def owed(self, amount: float) -> float:
        """The penalty on an order of `amount` yuan, rounded half up to the fen."""
        value = max(amount * self.rate, self.min)
        if self.max is not None:
            value = min(value, self.max)
        return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    def text(self) -> str:
        low = f", at least ¥{self.min:g}" if self.min else ""
        high = f", at most ¥{self.max:g}" if self.max is not None else ""
        return f"{self.rate:.0%} of the amount paid{low}{high}"


class Preset(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    name_en: str
    platforms: list[Platform] = Field(min_length=1)
    subject: Subject
    cycle: Cycle
    checks: list[Check] = Field(min_length=1)
    gate: Gate | None = None
    consequence: str
    consequence_en: str
    penalty: str | None = None
    scheme: str | None = Field(None, description="source scheme: the scheme id")
    rules: dict[str, float] = Field(
        default_factory=dict, description="source qa_hits: rule id → deduction points"
    )
    seed: str
    notes: str | None = None
    enabled: bool = Field(
        True, description="false: every result is not_applicable (--set PRESET.enabled=false)"
    )
    disabled_note: str | None = Field(
        None, description="why a user might switch the preset off (a conflict of sources)"
    )
    exempt: list[Exemption] = Field(default_factory=list)
    order_penalty: dict[Platform, OrderPenalty] = Field(
        default_factory=dict, description="per platform: what each case owes the buyer"
    )

    @model_validator(mode="after")
    def _sources_complete(self) -> Preset:
        for i, check in enumerate(self.checks):
            if check.source == "scheme" and not self.scheme:
                raise FieldProblem(("checks", i, "source"), "source scheme needs `scheme`")
            if check.source == "qa_hits" and not self.rules:
                raise FieldProblem(("checks", i, "source"), "source qa_hits needs `rules`")
        ids = [c.id for c in self.checks]
        if len(set(ids)) != len(ids):
            raise FieldProblem(("checks",), f"check ids repeat: {ids}")
        for i, ex in enumerate(self.exempt):
            unknown = sorted(set(ex.checks) - set(ids))
            if unknown:
                raise FieldProblem(("exempt", i, "checks"), f"unknown checks {unknown} ({ids})")
        return self

    def exemption(
        self, check: str, platform: str | None, start: date, end: date
    ) -> Exemption | None:
        """The exemption covering the whole cycle for the check and platform, if any."""
        return next((ex for ex in self.exempt if ex.covers(check, platform, start, end)), None)

    def label(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name

    def consequence_text(self, lang: str = "zh") -> str:
        return self.consequence_en if lang == "en" else self.consequence
