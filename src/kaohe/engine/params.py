"""Metric parameters: global block parameters, service windows and override resolution."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kaohe.errors import ConfigError

# Parameters of the building blocks, shared by every metric (spec: metrics.md, Building blocks).
GLOBAL_DEFAULTS: dict[str, Any] = {
    "session_gap": 30,  # minutes
    "reply_horizon": 24,  # hours
    "auto_reply_counts": False,
    "exclude_buyers": [],  # the exclusion list: internal, test and platform accounts
    "ad_patterns": [],  # regular expressions on buyer text (ad rules plug in here)
    "exclude_ad_sessions": True,  # sessions `kaohe qa run` found advertising/spam
}

GLOBAL_DOCS: dict[str, str] = {
    "session_gap": "minutes between two messages that still belong to one session",
    "reply_horizon": "hours after a round's start within which a valid reply answers it",
    "auto_reply_counts": "automatic replies count as valid replies",
    "exclude_buyers": "buyers excluded from every performance metric",
    "ad_patterns": "regular expressions; sessions whose buyer messages match are excluded",
    "exclude_ad_sessions": "sessions the quality inspection found advertising or spam "
    "(category spam, e.g. ad_buyer) leave every metric",
}

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Window:
    """Daily hours [start, end) in seconds of the day; end < start crosses midnight."""

    start_s: int
    end_s: int

    @property
    def all_day(self) -> bool:
        return self.start_s == 0 and self.end_s >= 86400

    @property
    def crosses_midnight(self) -> bool:
        return self.end_s < self.start_s

    def contains(self, seconds_of_day: int) -> bool:
        if self.crosses_midnight:
            return seconds_of_day >= self.start_s or seconds_of_day < self.end_s
        return self.start_s <= seconds_of_day < self.end_s


def parse_window(text: str | None) -> Window | None:
    """`08:00-23:00`, `08:00-24:00`, `23:00-09:00` (crosses midnight); None / "" = all day."""
    if text is None or str(text).strip() in ("", "all", "全天"):
        return None
    match = _WINDOW.match(str(text))
    if not match:
        raise ConfigError(
            f"service window must look like 08:00-23:00, got {text!r}", field="window"
        )
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    if start > 86400 or end > 86400 or m1 > 59 or m2 > 59:
        raise ConfigError(f"invalid service window {text!r}", field="window")
    window = Window(start, end)
    return None if window.all_day else window


@dataclass(frozen=True)
class BlockParams:
    """The parameters a building block depends on (a cache key for built blocks)."""

    session_gap_ms: int = 30 * 60_000
    reply_horizon_ms: int = 24 * 3_600_000
    auto_reply_counts: bool = False
    exclude_buyers: tuple[str, ...] = ()
    ad_patterns: tuple[str, ...] = ()
    exclude_ad_sessions: bool = True

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> BlockParams:
        return cls(
            session_gap_ms=int(float(params["session_gap"]) * 60_000),
            reply_horizon_ms=int(float(params["reply_horizon"]) * 3_600_000),
            auto_reply_counts=bool(params["auto_reply_counts"]),
            exclude_buyers=tuple(str(b) for b in params.get("exclude_buyers") or ()),
            ad_patterns=tuple(str(p) for p in params.get("ad_patterns") or ()),
            exclude_ad_sessions=bool(params.get("exclude_ad_sessions", True)),
        )


def resolve(
    metric_id: str,
    defaults: Mapping[str, Any],
    fixed: frozenset[str],
    overrides: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Defaults, then plain `param` overrides (unless the named instance fixes that parameter),
    then `metric_id.param` overrides."""
    resolved = {**GLOBAL_DEFAULTS, **defaults}
    for key, value in (overrides or {}).items():
        if "." in key:
            target, _, name = key.partition(".")
            if target == metric_id:
                _check_known(metric_id, name, resolved)
                resolved[name] = value
        elif key in resolved and key not in fixed:
            resolved[key] = value
    return resolved


def _check_known(metric_id: str, name: str, resolved: Mapping[str, Any]) -> None:
    if name not in resolved:
        known = ", ".join(sorted(resolved))
        raise ConfigError(
            f"metric {metric_id!r} has no parameter {name!r} (known: {known})",
            field=f"{metric_id}.{name}",
        )
