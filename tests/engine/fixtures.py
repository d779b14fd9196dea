"""The hand-computed scenarios, shared by the DuckDB tests and the Spark parity test."""

from __future__ import annotations

from tests.engine.conftest import msg

D = "2026-10-05"

# a round spanning three buyer messages, answered 60 s after the first
MULTI = [
    msg("b1", "a1", "buyer", f"{D} 10:00:00"),
    msg("b1", "a1", "buyer", f"{D} 10:00:20"),
    msg("b1", "a1", "buyer", f"{D} 10:00:40"),
    msg("b1", "a1", "agent", f"{D} 10:01:00", "您好"),
]
# an automatic reply does not end the round: 90 s
AUTO = [
    msg("b2", "a1", "buyer", f"{D} 10:00:00"),
    msg("b2", "a1", "agent", f"{D} 10:00:05", "欢迎光临", auto=True),
    msg("b2", "a1", "agent", f"{D} 10:01:30", "在的"),
]
# a reply after midnight: 120 s, the round belongs to the 5th
MIDNIGHT = [
    msg("b3", "a1", "buyer", f"{D} 23:59:00"),
    msg("b3", "a1", "agent", "2026-10-06 00:01:00", "好"),
]
# a reply after the session gap (40 min): still answered, 2400 s
GAP = [msg("b4", "a1", "buyer", f"{D} 12:00:00"), msg("b4", "a1", "agent", f"{D} 12:40:00", "抱歉")]
# an unanswered round
UNANSWERED = [msg("b5", "a1", "buyer", f"{D} 13:00:00")]
# bot hand-off: bot at +5 s, hand-off at +20 s, human at +62 s -> 42 s
HANDOFF = [
    msg("b6", "a2", "buyer", f"{D} 10:00:00"),
    msg("b6", None, "bot", f"{D} 10:00:05", "我是机器人"),
    msg("b6", None, "system", f"{D} 10:00:20", "转人工", kind="handoff"),
    msg("b6", "a2", "agent", f"{D} 10:01:02", "人工客服为您服务"),
]
# Taobao 平响: 60 s, 900 s (capped 600), unanswered (600), and a 07:00 round outside the window
TAOBAO = [
    msg("t1", "a3", "buyer", f"{D} 09:00:00"),
    msg("t1", "a3", "agent", f"{D} 09:01:00"),
    msg("t2", "a3", "buyer", f"{D} 10:00:00"),
    msg("t2", "a3", "agent", f"{D} 10:15:00"),
    msg("t3", "a3", "buyer", f"{D} 11:00:00"),
    msg("t4", "a3", "buyer", f"{D} 07:00:00"),
    msg("t4", "a3", "agent", f"{D} 07:00:30"),
]
# JD: x1 answered in 20 s, again after 15 min (new session with the 10-min gap) in 60 s;
# y1 starts at 23:30 (excluded by 23:00-09:00), answered in 10 s
JD = [
    msg("x1", "a4", "buyer", f"{D} 10:00:00", platform="jd", shop="jd1"),
    msg("x1", "a4", "agent", f"{D} 10:00:20", platform="jd", shop="jd1"),
    msg("x1", "a4", "buyer", f"{D} 10:15:00", platform="jd", shop="jd1"),
    msg("x1", "a4", "agent", f"{D} 10:16:00", platform="jd", shop="jd1"),
    msg("y1", "a4", "buyer", f"{D} 23:30:00", platform="jd", shop="jd1"),
    msg("y1", "a4", "agent", f"{D} 23:30:10", platform="jd", shop="jd1"),
]
# 拼多多: p1 waits 61 minutes once (invalid), q1 waits 30 minutes (valid)
PDD = [
    msg("p1", "a5", "buyer", f"{D} 09:00:00", shop="pdd1", platform="pdd"),
    msg("p1", "a5", "agent", f"{D} 09:01:00", shop="pdd1", platform="pdd"),
    msg("p1", "a5", "buyer", f"{D} 10:00:00", shop="pdd1", platform="pdd"),
    msg("p1", "a5", "agent", f"{D} 11:01:00", shop="pdd1", platform="pdd"),
    msg("q1", "a5", "buyer", f"{D} 09:00:00", shop="pdd1", platform="pdd"),
    msg("q1", "a5", "agent", f"{D} 09:30:00", shop="pdd1", platform="pdd"),
]
# one buyer, two agents of shop s2 on one day: a transfer from a6 to a7
TWO_AGENTS = [
    msg("c1", "a6", "buyer", f"{D} 10:00:00", shop="s2"),
    msg("c1", "a6", "agent", f"{D} 10:00:30", shop="s2"),
    msg("c1", "a7", "buyer", f"{D} 10:01:00", shop="s2"),
    msg("c1", "a7", "agent", f"{D} 10:01:30", shop="s2"),
]
# horizon: unanswered for 25 h, then a new round answered in 60 s
HORIZON = [
    msg("h1", "a8", "buyer", f"{D} 10:00:00", shop="s3"),
    msg("h1", "a8", "buyer", "2026-10-06 11:00:00", shop="s3"),
    msg("h1", "a8", "agent", "2026-10-06 11:01:00", shop="s3"),
]
# concurrency: a9 has two overlapping sessions
CONCURRENT = [
    msg("m1", "a9", "buyer", f"{D} 10:00:00", shop="s4"),
    msg("m2", "a9", "buyer", f"{D} 10:05:00", shop="s4"),
    msg("m2", "a9", "agent", f"{D} 10:06:00", shop="s4"),
    msg("m1", "a9", "agent", f"{D} 10:10:00", shop="s4"),
]

ALL = (
    MULTI
    + AUTO
    + MIDNIGHT
    + GAP
    + UNANSWERED
    + HANDOFF
    + TAOBAO
    + JD
    + PDD
    + TWO_AGENTS
    + HORIZON
    + CONCURRENT
)
ROSTER = [("a1", "A组"), ("a2", "A组"), ("a3", "B组")]
