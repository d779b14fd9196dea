"""Response metrics and the named platform instances (spec: metrics.md, "Response")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis

from kaohe.engine.blocks import in_window
from kaohe.engine.params import parse_window
from kaohe.engine.registry import (
    Direction,
    Metric,
    Part,
    count,
    counting,
    direct,
    instance,
    ratio,
    register,
    summing,
)
from kaohe.units import Unit

SECTION = "Response"


def _win(t: Any, p: Mapping[str, Any], key: str = "service_window") -> Any:
    return in_window(t.round_start, parse_window(p.get(key)))


def _session_win(t: Any, p: Mapping[str, Any]) -> Any:
    """A session (of first_rounds) that starts inside the service window."""
    return in_window(t.start, parse_window(p.get("service_window")))


def _m(
    id: str,
    zh: str,
    en: str,
    unit: Unit,
    direction: Direction,
    grain: str,
    parts: Any,
    value: Any,
    formula: str,
    **params: Any,
) -> Metric:
    return Metric(
        id,
        zh,
        en,
        unit,
        direction,
        grain,
        parts,
        value,
        formula,
        params={"service_window": None, **params},
        section=SECTION,
        source="metrics.md",
    )


ROUNDS = counting("rounds", "rounds", _win)


def _within(t: Any, p: Mapping[str, Any]) -> Any:
    return t.answered & (t.response_s <= float(p["seconds"]))


def _slow(t: Any, p: Mapping[str, Any]) -> Any:
    return t.answered & (t.response_s > float(p["slow_s"]))


def _capped_value(t: Any, p: Mapping[str, Any]) -> Any:
    cap = p.get("cap_s")
    resp = t.response_s if cap is None else ibis.least(t.response_s, float(cap))
    unanswered = (
        ibis.literal(float(cap))
        if cap is not None and p.get("unanswered_as_cap")
        else ibis.null("float64")
    )
    value = ibis.ifelse(t.answered, resp, unanswered)
    return ibis.ifelse(_win(t, p), value, ibis.null("float64"))


def _capped_counted(t: Any, p: Mapping[str, Any]) -> Any:
    counted = t.answered | ibis.literal(
        bool(p.get("cap_s") is not None and p.get("unanswered_as_cap"))
    )
    return _win(t, p) & counted


def _mean(num: str, den: str) -> Any:
    return ratio(num, den)


def _within_parts(p: Mapping[str, Any]) -> tuple[Part, ...]:
    if p["level"] == "buyer":
        return (
            Part("buyer_days", "rounds", lambda t, q: _win(t, q), level="buyer_day"),
            Part(
                "bad_buyer_days",
                "rounds",
                lambda t, q: _win(t, q) & ~_within(t, q),
                level="buyer_day",
            ),
        )
    if p["level"] != "round":
        from kaohe.errors import ConfigError

        raise ConfigError(f"level must be round or buyer, got {p['level']!r}", field="level")
    return (counting("within", "rounds", lambda t, q: _win(t, q) & _within(t, q)), ROUNDS)


def _within_value(parts: Mapping[str, Any], p: Mapping[str, Any]) -> Any:
    if p["level"] == "buyer":
        den = parts.get("buyer_days") or 0
        return None if not den else (den - (parts.get("bad_buyer_days") or 0)) / den
    return ratio("within", "rounds")(parts, p)


def _first_in(t: Any, p: Mapping[str, Any]) -> Any:
    excluded = parse_window(p.get("exclude_start"))
    return ~in_window(t.start, excluded) if excluded else t.start.notnull()


register(
    _m(
        "rounds",
        "对话轮次",
        "Rounds",
        "count",
        "neutral",
        "round",
        (ROUNDS,),
        count("rounds"),
        "rounds started in the period (and `service_window`)",
    ),
    _m(
        "avg_response_s",
        "平均响应时长(秒)",
        "Average response (s)",
        "seconds",
        "lower",
        "round",
        (
            summing("response_sum", "rounds", _capped_value),
            counting("responses", "rounds", _capped_counted),
        ),
        _mean("response_sum", "responses"),
        "Σ min(response, cap_s) over answered rounds (+ cap_s per unanswered round when "
        "unanswered_as_cap) / those rounds",
        cap_s=None,
        unanswered_as_cap=False,
    ),
    _m(
        "median_response_s",
        "响应时长中位数",
        "Median response (s)",
        "seconds",
        "lower",
        "round",
        (
            Part(
                "median",
                "rounds",
                lambda t, p: ibis.ifelse(
                    t.answered & _win(t, p), t.response_s, ibis.null("float64")
                ).median(),
                combine=None,
            ),
        ),
        direct("median"),
        "median response time of answered rounds",
    ),
    _m(
        "p90_response_s",
        "响应时长P90",
        "P90 response (s)",
        "seconds",
        "lower",
        "round",
        (
            Part(
                "p90",
                "rounds",
                lambda t, p: ibis.ifelse(
                    t.answered & _win(t, p), t.response_s, ibis.null("float64")
                ).quantile(0.9),
                combine=None,
            ),
        ),
        direct("p90"),
        "90th percentile response time of answered rounds",
    ),
    _m(
        "first_response_s",
        "首次响应时长(秒)",
        "First response (s)",
        "seconds",
        "lower",
        "session",
        (
            summing(
                "first_sum",
                "first_rounds",
                lambda t, p: ibis.ifelse(
                    t.answered & _session_win(t, p), t.response_s, ibis.null("float64")
                ),
            ),
            counting(
                "first_answered", "first_rounds", lambda t, p: t.answered & _session_win(t, p)
            ),
        ),
        ratio("first_sum", "first_answered"),
        "mean response time of the first round of sessions started by a buyer (inside "
        "`service_window`)",
    ),
    _m(
        "slow_rounds",
        "慢响应次数",
        "Slow rounds",
        "count",
        "lower",
        "round",
        (counting("slow_rounds", "rounds", lambda t, p: _win(t, p) & _slow(t, p)),),
        count("slow_rounds"),
        "answered rounds slower than `slow_s` seconds (Taobao's 100 s reminder)",
        slow_s=100,
    ),
    _m(
        "slow_buyers",
        "慢响应人数",
        "Slow buyers",
        "count",
        "lower",
        "buyer-day",
        (
            Part(
                "slow_buyers",
                "rounds",
                lambda t, p: _win(t, p) & (_slow(t, p) | ~t.answered),
                level="buyer_day",
            ),
        ),
        count("slow_buyers"),
        "buyer-days with ≥1 slow or unanswered round",
        slow_s=100,
    ),
    _m(
        "unanswered_rounds",
        "未回复轮次",
        "Unanswered rounds",
        "count",
        "lower",
        "round",
        (counting("unanswered", "rounds", lambda t, p: _win(t, p) & ~t.answered),),
        count("unanswered"),
        "rounds without a valid reply within the horizon",
    ),
    _m(
        "reply_within_rate",
        "N秒回复率",
        "Reply-within-N-seconds rate",
        "ratio",
        "higher",
        "round or buyer-day",
        _within_parts,
        _within_value,
        "level=round: rounds answered within `seconds` / rounds; level=buyer: buyer-days none "
        "of whose rounds is unanswered or slower / buyer-days with rounds (in `service_window`)",
        seconds=180,
        level="round",
    ),
    Metric(
        "first_within_rate",
        "首次N秒应答率",
        "First reply within N seconds rate",
        "ratio",
        "higher",
        "session",
        (
            counting(
                "first_within",
                "first_rounds",
                lambda t, p: _first_in(t, p) & t.answered & (t.response_s <= float(p["seconds"])),
            ),
            counting("first_sessions", "first_rounds", _first_in),
        ),
        ratio("first_within", "first_sessions"),
        "sessions whose first round was answered within `seconds` / sessions started by a "
        "buyer (starts inside `exclude_start` left out)",
        params={"seconds": 30, "exclude_start": None},
        section=SECTION,
        source="metrics.md",
    ),
)

register(
    instance(
        "avg_response_s",
        "taobao_avg_response_s",
        "旺旺人工平响",
        "Taobao avg response (s)",
        "Taobao 旺旺人工平响",
        service_window="08:00-23:00",
        cap_s=600,
        unanswered_as_cap=True,
    ),
    instance(
        "reply_within_rate",
        "taobao_3min_rate",
        "淘宝3分钟响应率",
        "Taobao 3-min rate",
        "Taobao 3分钟响应率",
        level="round",
        seconds=180,
        service_window="08:00-24:00",
    ),
    instance(
        "first_within_rate",
        "jd_first_30s_rate",
        "京东首次30秒应答率",
        "JD first-30s rate",
        "JD 首次30秒应答率",
        seconds=30,
        exclude_start="23:00-09:00",
        session_gap=10,
    ),
    instance(
        "reply_within_rate",
        "kuaishou_3min_rate",
        "快手人工3分钟回复率",
        "Kuaishou 3-min rate",
        "快手 人工3分钟回复率",
        level="buyer",
        seconds=180,
        service_window="08:00-23:00",
    ),
    instance(
        "reply_within_rate",
        "douyin_3min_rate",
        "抖店3分钟人工回复率",
        "Douyin 3-min rate",
        "抖店 3分钟人工回复率",
        level="round",
        seconds=180,
        service_window="08:00-23:00",
    ),
    instance(
        "reply_within_rate",
        "pdd_effective_reply_rate",
        "拼多多有效回复率",
        "PDD effective reply rate",
        "拼多多 有效回复率 (seed 000)",
        level="buyer",
        seconds=3600,
        service_window="08:00-23:00",
    ),
    instance(
        "reply_within_rate",
        "pdd_5min_reply_rate",
        "拼多多5分钟回复率",
        "PDD 5-min reply rate",
        "拼多多 (seed 004)",
        level="round",
        seconds=300,
    ),
    instance(
        "first_within_rate",
        "greet_30s_rate",
        "30秒首次问候率",
        "Greeting within 30s rate",
        "seed 001",
        seconds=30,
    ),
    instance(
        "reply_within_rate",
        "reply_60s_rate",
        "60秒回复率",
        "Reply within 60s rate",
        "seed 001",
        level="round",
        seconds=60,
    ),
)
