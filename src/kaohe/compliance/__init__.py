"""Platform compliance checks (平台合规): each platform's rules as presets (spec:
platform-rules.md), checked per shop or agent and cycle, warning before the platform does."""

from kaohe.compliance.check import (
    AT_RISK,
    FAIL,
    NOT_APPLICABLE,
    PASS,
    CheckResult,
    run_checks,
    summary,
    worst,
)
from kaohe.compliance.load import list_presets, load_preset, parse_preset_text
from kaohe.compliance.model import Preset

__all__ = [
    "AT_RISK",
    "FAIL",
    "NOT_APPLICABLE",
    "PASS",
    "CheckResult",
    "Preset",
    "list_presets",
    "load_preset",
    "parse_preset_text",
    "run_checks",
    "summary",
    "worst",
]
