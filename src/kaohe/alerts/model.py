"""The pydantic model of an alert rule file (预警规则) and of the routing file (预警路由).

A rule says what to watch (its `kind`), where (platforms), and how severe each of its states
is. Thresholds are never restated here: a rule names the engine metric, the compliance preset
or the metric parameters that already define them (the 48 hours of 拼多多 after-sales are the
`pdd_aftersales` preset's, the 20 minutes within 09:00–21:00 are `so_review_20min_rate`'s).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kaohe.datafile import FieldProblem

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")  # mildest first
Platform = Literal["taobao", "tmall", "jd", "pdd", "douyin", "kuaishou", "other"]

# every kind's states, mildest first, with the severity each gets unless the rule says
KIND_STATES: dict[str, dict[str, Severity]] = {
    "rating": {"bad": "critical"},
    "slow_round": {"slow": "warning", "unanswered": "critical"},
    "waiting": {"waiting": "critical"},
    "qa_finding": {"found": "critical"},
    "refund_deadline": {"at_risk": "warning", "missed": "critical"},
    "service_order_deadline": {"at_risk": "warning", "missed": "critical"},
    "email_deadline": {"at_risk": "warning", "missed": "critical"},
    "ticket_deadline": {"at_risk": "warning", "missed": "critical"},
    "rating_window": {"at_risk": "warning", "missed": "critical"},
    "compliance": {"at_risk": "warning", "fail": "critical"},
    "metric_window": {"over": "warning"},
}
# kinds judged by the clock alone (the scheduler's minute), the others on new data
CLOCK_KINDS = (
    "waiting",
    "refund_deadline",
    "service_order_deadline",
    "email_deadline",
    "ticket_deadline",
    "rating_window",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleBase(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    name_en: str
    platforms: list[Platform] | None = Field(None, description="only shops on these platforms")
    severity: dict[str, Severity] = Field(
        default_factory=dict, description="state → info, warning or critical"
    )
    seed: str | None = Field(None, description="the seed document the rule comes from")
    notes: str | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _states_known(self) -> RuleBase:
        states = KIND_STATES[self.kind]  # type: ignore[attr-defined]
        for state in self.severity:
            if state not in states:
                raise FieldProblem(
                    ("severity", state),
                    f"{self.kind} has no state {state!r}{suggest(state, states)} "  # type: ignore[attr-defined]
                    f"(states: {', '.join(states)})",
                )
        return self

    def severity_of(self, state: str) -> str:
        return self.severity.get(state) or KIND_STATES[self.kind][state]  # type: ignore[attr-defined]

    def label(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name


class RatingRule(RuleBase):
    """A rating counted by one of `parts` (metric.part: 失望/差评 is `bad_ratings.bad`,
    服务态度差 `bad_attitude_rate.attitude`), with the conversation it rates."""

    kind: Literal["rating"]
    parts: list[str] = Field(min_length=1)
    lookback_hours: float = Field(
        72, gt=0, description="how long before the rating its conversation may have ended"
    )


class SlowRoundRule(RuleBase):
    """The buyer-days with a round answered later than the metric allows, or never answered
    within the reply horizon: a response metric's failing rows (its `bad_buyer_days`, or its
    `rounds` not `within`)."""

    kind: Literal["slow_round"]
    metric: str


class WaitingRule(RuleBase):
    """A buyer whose round is still unanswered `seconds` (the metric's parameter) after it
    began, seen by the clock."""

    kind: Literal["waiting"]
    metric: str
    max_age_hours: float = Field(
        24, gt=0, description="older unanswered rounds are no longer 'waiting now'"
    )


class QaFindingRule(RuleBase):
    """A QA finding of the given severities (or rules), with the preset's deduction points."""

    kind: Literal["qa_finding"]
    severities: list[Literal["info", "minor", "major", "redline"]] = Field(
        default_factory=lambda: ["redline"]
    )
    rules: list[str] | None = None
    preset: str | None = Field(None, description="compliance preset giving deduction points")


class RefundDeadlineRule(RuleBase):
    """Refunds without a first response, judged with the preset check's `hours` and
    `warn_hours` (拼多多: 48 h, then the platform approves the refund itself)."""

    kind: Literal["refund_deadline"]
    preset: str = "pdd_aftersales"
    check: str = "response_48h"


class ServiceOrderDeadlineRule(RuleBase):
    """JD service orders not reviewed (or not processed) within the metric's `minutes` of
    time inside its `service_hours`."""

    kind: Literal["service_order_deadline"]
    metric: Literal["so_review_20min_rate", "so_process_20min_rate"] = "so_review_20min_rate"
    warn_minutes: float = Field(5, ge=0)


class EmailDeadlineRule(RuleBase):
    """JD e-mails not answered by the metric's `deadline` (received before `cutoff`: that
    day; after it: the next day)."""

    kind: Literal["email_deadline"]
    metric: str = "email_on_time_rate"
    warn_minutes: float = Field(60, ge=0)


class TicketDeadlineRule(RuleBase):
    """Complaint tickets not answered within the metric's `hours`."""

    kind: Literal["ticket_deadline"]
    metric: str = "ticket_3h_rate"
    warn_minutes: float = Field(30, ge=0)


class RatingWindowRule(RuleBase):
    """A poor rating nobody has answered (no later message from the shop to the buyer) as
    the window to answer it closes."""

    kind: Literal["rating_window"]
    parts: list[str] = Field(min_length=1)
    window_hours: float = Field(gt=0)
    warn_hours: float = Field(ge=0)


class ComplianceRule(RuleBase):
    """A compliance cycle turning 有风险 or 不达标 (by projection while it runs)."""

    kind: Literal["compliance"]
    presets: list[str] | None = Field(None, description="preset ids (default: every preset)")
    statuses: list[Literal["at_risk", "fail"]] = Field(default_factory=lambda: ["at_risk", "fail"])
    every_minutes: float = Field(
        60, ge=0, description="run at most this often (every preset's check takes seconds)"
    )


class MetricWindowRule(RuleBase):
    """A metric over the last `days` days (today included) past `above`/`below`, judged only
    where the `volume` metric reaches `min_volume`."""

    kind: Literal["metric_window"]
    metric: str
    by: Literal["shop", "agent"] = "shop"
    days: int = Field(7, ge=1, le=90)
    above: float | None = None
    below: float | None = None
    volume: str
    min_volume: float = Field(gt=0)

    @model_validator(mode="after")
    def _one_threshold(self) -> MetricWindowRule:
        if (self.above is None) == (self.below is None):
            raise FieldProblem(("above",), "give exactly one of above / below")
        return self


Rule = Annotated[
    RatingRule
    | SlowRoundRule
    | WaitingRule
    | QaFindingRule
    | RefundDeadlineRule
    | ServiceOrderDeadlineRule
    | EmailDeadlineRule
    | TicketDeadlineRule
    | RatingWindowRule
    | ComplianceRule
    | MetricWindowRule,
    Field(discriminator="kind"),
]


class RuleFile(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique(self) -> RuleFile:
        seen: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.id in seen:
                raise FieldProblem(("rules", i, "id"), f"rule id {rule.id!r} repeats")
            seen.add(rule.id)
        return self


# routing --------------------------------------------------------------------------------------

Target = str  # "lead", "supervisor" or a channel name


class Step(_Strict):
    """One level of the escalation ladder: whom to tell, `after_minutes` unacknowledged."""

    to: list[Target] = Field(min_length=1)
    after_minutes: float = Field(0, ge=0)


class Match(_Strict):
    shops: list[str] | None = None
    teams: list[str] | None = None
    rules: list[str] | None = None
    kinds: list[str] | None = None
    min_severity: Severity = "info"


class Route(_Strict):
    match: Match = Field(default_factory=Match)
    ladder: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _ladder_rises(self) -> Route:
        minutes = [s.after_minutes for s in self.ladder]
        if minutes != sorted(minutes) or len(set(minutes)) != len(minutes):
            raise FieldProblem(("ladder",), f"after_minutes must rise step by step: {minutes}")
        return self


class Quiet(_Strict):
    """Hours when only `min_severity` and above go out; the rest wait for the morning."""

    hours: str = Field(description="a daily window such as 22:00-08:00")
    min_severity: Severity = "critical"


class Routing(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    leads: dict[str, str] = Field(
        default_factory=dict, description="team → channel reaching its lead ('*': other teams)"
    )
    supervisor: list[str] = Field(default_factory=list, description="channels of the supervisor")
    routes: list[Route] = Field(min_length=1)
    quiet: Quiet | None = None
    digest_channels: list[str] = Field(
        default_factory=list, description="where the daily digest of self-resolved alerts goes"
    )


def suggest(name: str, choices: object) -> str:
    """' (did you mean X?)' for the closest of `choices`, else ''. A local difflib helper
    until the shared one exists."""
    import difflib

    close = difflib.get_close_matches(name, [str(c) for c in choices], n=1, cutoff=0.6)  # type: ignore[attr-defined]
    return f" (did you mean {close[0]!r}?)" if close else ""
