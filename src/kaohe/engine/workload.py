"""Reception and workload metrics (spec: metrics.md, "Reception and workload")."""

from __future__ import annotations

from kaohe.engine.registry import (
    Direction,
    Metric,
    Part,
    count,
    counting,
    difference,
    ratio,
    register,
    summing,
)
from kaohe.units import Unit

SECTION = "Reception and workload"

CONSULT = Part("consult_buyers", "buyer_messages", lambda t, p: t.tid.notnull(), level="buyer_day")
RECEIVED = Part("received_buyers", "rounds", lambda t, p: t.answered, level="buyer_day")
BUYER_MSGS = counting("buyer_messages", "buyer_messages", lambda t, p: t.time.notnull())
AGENT_MSGS = counting("agent_messages", "replies", lambda t, p: t.time.notnull())
SESSIONS = counting("sessions", "sessions", lambda t, p: t.start.notnull())
SESSION_MS = summing("session_ms", "sessions", lambda t, p: t.duration_ms)


def _m(
    id: str,
    zh: str,
    en: str,
    unit: Unit,
    direction: Direction,
    grain: str,
    parts: tuple,
    value,
    formula: str,
    source: str = "metrics.md",
    **params,
) -> Metric:  # noqa: ANN001
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
        params=params,
        section=SECTION,
        source=source,
    )


register(
    _m(
        "consult_buyers",
        "咨询人数",
        "Consulting buyers",
        "count",
        "neutral",
        "buyer-day",
        (CONSULT,),
        count("consult_buyers"),
        "buyer-days with ≥1 buyer message to the agent",
    ),
    _m(
        "received_buyers",
        "接待人数",
        "Received buyers",
        "count",
        "higher",
        "buyer-day",
        (RECEIVED,),
        count("received_buyers"),
        "consult buyer-days with ≥1 answered round",
    ),
    _m(
        "unreplied_buyers",
        "未回复人数",
        "Unreplied buyers",
        "count",
        "lower",
        "buyer-day",
        (CONSULT, RECEIVED),
        difference("consult_buyers", "received_buyers"),
        "consult_buyers − received_buyers",
    ),
    _m(
        "reply_rate",
        "回复率",
        "Reply rate",
        "ratio",
        "higher",
        "buyer-day",
        (RECEIVED, CONSULT),
        ratio("received_buyers", "consult_buyers"),
        "received_buyers / consult_buyers",
        source="旺旺回复率 (seed 000 item 6)",
    ),
    _m(
        "sessions",
        "会话量",
        "Sessions",
        "count",
        "neutral",
        "session",
        (SESSIONS,),
        count("sessions"),
        "sessions with ≥1 buyer message",
    ),
    _m(
        "buyer_messages",
        "买家消息数",
        "Buyer messages",
        "count",
        "neutral",
        "message",
        (BUYER_MSGS,),
        count("buyer_messages"),
        "buyer messages",
    ),
    _m(
        "agent_messages",
        "客服消息数",
        "Agent messages",
        "count",
        "neutral",
        "message",
        (AGENT_MSGS,),
        count("agent_messages"),
        "valid replies",
    ),
    _m(
        "answer_ratio",
        "答问比",
        "Answer ratio",
        "ratio",
        "higher",
        "message",
        (AGENT_MSGS, BUYER_MSGS),
        ratio("agent_messages", "buyer_messages"),
        "agent_messages / buyer_messages",
    ),
    _m(
        "agent_chars",
        "客服字数",
        "Agent characters",
        "count",
        "neutral",
        "message",
        (summing("agent_chars", "replies", lambda t, p: t.chars),),
        count("agent_chars"),
        "characters in valid replies",
    ),
    _m(
        "max_concurrent",
        "最大同时接待",
        "Max concurrent sessions",
        "count",
        "neutral",
        "agent-moment",
        (Part("max_concurrent", "concurrency", lambda t, p: t.open.max(), combine="max"),),
        lambda parts, p: (
            None if parts.get("max_concurrent") is None else int(parts["max_concurrent"])
        ),
        "the most sessions of the agent open at one moment",
    ),
    _m(
        "avg_session_minutes",
        "平均接待时长",
        "Average session minutes",
        "minutes",
        "neutral",
        "session",
        (SESSION_MS, SESSIONS),
        lambda parts, p: (
            None
            if not parts.get("sessions")
            else float(parts["session_ms"]) / 60_000.0 / float(parts["sessions"])
        ),
        "Σ session duration / sessions",
    ),
    _m(
        "long_sessions",
        "长接待人数",
        "Long sessions",
        "count",
        "neutral",
        "session",
        (
            counting(
                "long_sessions",
                "sessions",
                lambda t, p: t.duration_ms > float(p["long_session"]) * 60_000,
            ),
        ),
        count("long_sessions"),
        "sessions longer than `long_session` minutes",
        long_session=30,
    ),
    _m(
        "transfers_out",
        "转出人数",
        "Transfers out",
        "count",
        "neutral",
        "buyer-day",
        (Part("transfers_out", "transfers_out", lambda t, p: t.tid.notnull(), level="buyer_day"),),
        count("transfers_out"),
        "buyer-days where the thread moved from the agent to another within a session gap",
    ),
    _m(
        "transfers_in",
        "转入人数",
        "Transfers in",
        "count",
        "neutral",
        "buyer-day",
        (Part("transfers_in", "transfers_in", lambda t, p: t.tid.notnull(), level="buyer_day"),),
        count("transfers_in"),
        "buyer-days where the thread moved to the agent from another within a session gap",
    ),
)
