"""Rule packs: quality-inspection rules as data (spec: qa.md, "Automatic rules").

A pack is YAML (kaohe/qa/packs/*.yaml or a manager's own file) validated with pydantic; a
mistake names the file, the line and the field, like the scheme and mapping files.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kaohe.datafile import FieldProblem, exists, parse_model
from kaohe.errors import UsageError
from kaohe.suggest import unknown

Severity = Literal["info", "minor", "major", "redline"]
SEVERITY_LABELS: dict[str, str] = {
    "info": "提示",
    "minor": "轻微",
    "major": "严重",
    "redline": "红线",
}
# the shipped packs' categories in Chinese (reports; a pack's own category shows as written)
CATEGORY_LABELS: dict[str, str] = {
    "abuse": "辱骂骚扰",
    "advertising_law": "广告法用语",
    "attitude": "服务态度",
    "diversion": "站外引流",
    "efficiency": "响应效率",
    "invoice": "发票",
    "order": "订单处理",
    "payment": "支付",
    "privacy": "隐私",
    "process": "服务流程",
    "promise": "承诺",
    "rating": "评价",
    "spam": "广告骚扰",
}
Scope = Literal["agent", "buyer", "session"]
IdentifierKind = Literal["phone", "wechat", "qq", "bank_card", "id_card", "payment", "link"]

# Detectors of one message's text; the spec's named text detectors (invoice_refusal, ...)
# are phrase lists with their own name so findings and reports can tell them apart.
PHRASE_DETECTORS = frozenset(
    {"phrases", "invoice_refusal", "promise_breach", "close_order", "info_leak", "extreme_words"}
)
TEXT_DETECTORS = PHRASE_DETECTORS | {"pattern", "ad_buyer", "withdrawn"}
# Detectors over a session's timing and turns (declared here, computed elsewhere).
SESSION_DETECTORS = frozenset(
    {"repeated_reply", "no_greeting", "no_farewell", "slow_reply", "left_unanswered", "no_soothing"}
)
# Process rules over chats and orders (kaohe.qa.process): what should follow an order, a
# hand-off or a second contact.
PROCESS_DETECTORS = frozenset({"no_address_check", "no_payment_reminder", "asks_to_repeat"})
DETECTORS = TEXT_DETECTORS | SESSION_DETECTORS | PROCESS_DETECTORS


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhraseParams(_Params):
    phrases: list[str] = Field(default_factory=list, description="fire when inside the message")
    whole: list[str] = Field(
        default_factory=list,
        description="fire when the message, without punctuation and "
        "spaces, is exactly one of these",
    )
    exceptions: list[str] = Field(
        default_factory=list, description="never fire on a message containing one of these"
    )
    regex: list[str] = Field(
        default_factory=list,
        description="fire on a match inside the message (words apart: 特殊产品，无法提供发票)",
    )

    @model_validator(mode="after")
    def _some(self) -> PhraseParams:
        if not self.phrases and not self.whole and not self.regex:
            raise FieldProblem(("phrases",), "give phrases or whole (or both)")
        for name in ("phrases", "whole", "exceptions"):
            for i, p in enumerate(getattr(self, name)):
                if not p.strip():
                    raise FieldProblem((name, i), "empty phrase")
        _check_regex(self.regex)
        return self


def _check_regex(patterns: list[str]) -> None:
    for i, rx in enumerate(patterns):
        # Polars' (Rust) regex dialect, not Python's: a linear-time engine (no backtracking),
        # so a rule pack's pattern needs no time limit (kaohe.saferegex is for Python's side)
        try:
            pl.Series([""]).str.contains(rx)
        except pl.exceptions.ComputeError as exc:
            raise FieldProblem(("regex", i), f"invalid regular expression: {exc}") from None


class PatternParams(_Params):
    kinds: list[IdentifierKind] = Field(
        default_factory=list, description="validated identifiers to find"
    )
    regex: list[str] = Field(default_factory=list, description="extra regular expressions")
    exceptions: list[str] = Field(
        default_factory=list, description="never fire on a message containing one of these"
    )
    allow: list[str] = Field(
        default_factory=list,
        description="a match containing one of these is no hit (the platform's own domains)",
    )

    @model_validator(mode="after")
    def _check(self) -> PatternParams:
        if not self.kinds and not self.regex:
            raise FieldProblem(("kinds",), "give kinds or regex (or both)")
        _check_regex(self.regex)
        return self


class AdParams(_Params):
    phrases: list[str] = Field(min_length=1, description="spam words (兼职, 刷单, ...)")
    kinds: list[IdentifierKind] = Field(default_factory=list)
    min_signals: int = Field(2, ge=1, description="distinct spam words + identifier kinds")


class WithdrawnParams(_Params):
    msg_types: list[str] = Field(default_factory=lambda: ["withdrawn"])


class RepeatedParams(_Params):
    min_count: int = Field(3, ge=2)
    min_chars: int = Field(6, ge=1, description="shorter texts (好的, 嗯) are not scripts")


class GreetingParams(_Params):
    phrases: list[str] = Field(min_length=1)


class SlowParams(_Params):
    round_seconds: float = Field(60, gt=0)
    first_seconds: float = Field(30, gt=0)
    severe_seconds: float = Field(300, gt=0)


class UnansweredParams(_Params):
    closing: list[str] = Field(
        default_factory=list,
        description="a short last buyer message containing one of these "
        "(谢谢, 好的, 没有了) ends the session itself",
    )
    closing_whole: list[str] = Field(
        default_factory=list,
        description="… or, without punctuation and spaces, equal to one of these (好, 嗯, 哦)",
    )
    closing_max_chars: int = Field(8, ge=1, description="longer messages are never closings")


class SoothingParams(_Params):
    upset: list[str] = Field(min_length=1)
    soothing: list[str] = Field(min_length=1)
    exceptions: list[str] = Field(
        default_factory=list,
        description="a buyer message containing one of these is not upset (不让人失望, 不会给差评)",
    )


class AddressCheckParams(_Params):
    """seed 001: 客户拍下订单，10分钟内 … 我跟您核对下您拍的商品 … 收件人、地址、电话,
    请您核对确认下."""

    minutes: float = Field(10, gt=0, description="the check is due this long after the anchor")
    anchor: Literal["created", "paid"] = Field("created", description="from 拍下 or from 付款")
    chat_minutes: float = Field(
        30, gt=0, description="the order follows the agent's last reply by at most this"
    )
    phrases: list[str] = Field(min_length=1, description="what a confirmation says (地址, 核对)")


class ReminderParams(_Params):
    """seed 001 拍下后未付款跟进 / 未付款第二、三天追踪."""

    wait_minutes: float = Field(30, gt=0, description="unpaid this long: a reminder is due")
    deadline_hours: float = Field(24, gt=0, description="the reminder comes within this")
    chat_minutes: float = Field(
        30, gt=0, description="the order follows the agent's last reply by at most this"
    )
    phrases: list[str] = Field(
        default_factory=list,
        description="what a reminder says; empty: the list 催付成功率 counts "
        "(kaohe.engine.fulfilment.REMINDER_PHRASES)",
    )


class AsksToRepeatParams(_Params):
    """seed 003: 用户由智能客服转人工客服或者二次进线时，不要让用户重复要咨询的问题."""

    phrases: list[str] = Field(min_length=1, description="asking the buyer to say it again")
    handoff_phrases: list[str] = Field(
        default_factory=list, description="a buyer message asking for a human (转人工)"
    )
    new_issue_phrases: list[str] = Field(
        default_factory=list,
        description="the buyer says it is a new question (其他问题): asking for it is fine",
    )
    repeat_days: float = Field(3, gt=0, description="an earlier contact this recent: 二次进线")
    within_replies: int = Field(3, ge=1, description="the agent's first replies judged")


PARAMS: dict[str, type[_Params]] = {
    **{d: PhraseParams for d in PHRASE_DETECTORS},
    "pattern": PatternParams,
    "ad_buyer": AdParams,
    "withdrawn": WithdrawnParams,
    "repeated_reply": RepeatedParams,
    "no_greeting": GreetingParams,
    "no_farewell": GreetingParams,
    "slow_reply": SlowParams,
    "left_unanswered": UnansweredParams,
    "no_soothing": SoothingParams,
    "no_address_check": AddressCheckParams,
    "no_payment_reminder": ReminderParams,
    "asks_to_repeat": AsksToRepeatParams,
}


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1, description="short label (中文)")
    category: str = Field(min_length=1)
    severity: Severity
    scope: Scope
    detector: str
    params: dict = Field(default_factory=dict)
    deduction: float = Field(0, ge=0, description="points off the session's 100")
    explanation: str = Field(min_length=1, description="shown to the agent")
    source: str = ""
    enabled: bool = True

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if self.detector not in DETECTORS:
            raise FieldProblem(
                ("detector",), unknown("检测器", "detector", self.detector, DETECTORS)
            )
        if self.detector in TEXT_DETECTORS and self.scope == "session":
            raise FieldProblem(
                ("scope",), f"detector {self.detector} reads messages: scope agent or buyer"
            )
        if self.detector in PROCESS_DETECTORS and self.scope != "session":
            raise FieldProblem(
                ("scope",), f"detector {self.detector} follows a session: scope session"
            )
        try:
            PARAMS[self.detector].model_validate(self.params)
        except ValidationError as exc:
            err = exc.errors()[0]
            problem = (err.get("ctx") or {}).get("error")
            loc = (
                problem.loc
                if isinstance(problem, FieldProblem)
                else tuple(p for p in err["loc"] if isinstance(p, int | str))
            )
            msg = str(problem) if isinstance(problem, FieldProblem) else err["msg"]
            if err["type"] == "extra_forbidden":
                allowed = PARAMS[self.detector].model_fields
                msg = unknown(
                    f"{self.detector} 的参数",
                    f"parameter of {self.detector}",
                    str(loc[-1]),
                    allowed,
                )
            raise FieldProblem(("params", *loc), msg) from None
        return self

    def parsed(self) -> _Params:
        """The params as the detector's typed model."""
        return PARAMS[self.detector].model_validate(self.params)


class Pack(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = ""
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Pack:
        seen: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.id in seen:
                raise FieldProblem(("rules", i, "id"), f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
        return self

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def active(self, detectors: frozenset[str] = DETECTORS) -> list[Rule]:
        return [r for r in self.rules if r.enabled and r.detector in detectors]


def parse_pack_text(text: str, file: str) -> Pack:
    """Validate one rule-pack YAML; errors name file, line and field."""
    return parse_model(Pack, text, file, "a rule pack must be a mapping (id, name, rules)")[0]


@functools.cache
def _builtin() -> tuple[Pack, ...]:
    folder = resources.files("kaohe.qa").joinpath("packs")
    files = sorted(
        (f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))), key=lambda f: f.name
    )
    return tuple(parse_pack_text(f.read_text("utf-8"), f"kaohe/qa/packs/{f.name}") for f in files)


def list_packs() -> list[Pack]:
    return [p.model_copy(deep=True) for p in _builtin()]


@functools.cache
def rule_names() -> dict[str, str]:
    """Rule id → its Chinese name, over every shipped pack (for labels in reports and pages)."""
    return {rule.id: rule.name for pack in _builtin() for rule in pack.rules}


def load_pack(id_or_path: str = "default") -> Pack:
    """A shipped pack by id or a manager's YAML file."""
    for pack in list_packs():
        if pack.id == id_or_path:
            return pack
    path = Path(id_or_path)
    if path.suffix.lower() not in (".yaml", ".yml") and not exists(path):
        known = [p.id for p in list_packs()]
        raise UsageError(unknown("规则包", "rule pack", id_or_path, known) + " (or a .yaml file)")
    if not exists(path, file=True):
        raise UsageError(f"rule pack file not found: {id_or_path}")
    return parse_pack_text(path.read_text("utf-8"), str(path))
