"""Live alerts (预警): rules as data evaluated on new data and by the clock, an inbox of alerts
keyed by rule and subject (fired once, resolved when the condition clears, audited), and their
delivery to WeCom, DingTalk, Feishu, e-mail, webhooks or a file with routing, quiet hours,
escalation and rate limits (seed 003: "第一时间定位到用户给出了'失望'评价的会话和回复慢的会话").

The server's scheduler (later) calls `evaluate_imports` after each import and `evaluate_clock`
every minute; the CLI is `kaohe alerts`."""

from kaohe.alerts.evaluate import Report, evaluate_clock, evaluate_imports
from kaohe.alerts.setup import Setup, make_setup, parse_settings, setup_from_config

__all__ = [
    "Report",
    "Setup",
    "evaluate_clock",
    "evaluate_imports",
    "make_setup",
    "parse_settings",
    "setup_from_config",
]
