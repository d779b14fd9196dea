"""Hand-built alerts for the alert handling metrics (kaohe.engine.alerting): their times are
worked out by hand in tests/engine/test_alerting.py."""

from __future__ import annotations

from typing import Any

# 小美 and 阿强 are in 售后一组, whose lead is 组长甲; 小丽 is in 售后二组, which has no lead.
ROSTER = [
    {"agent": "小美", "team": "售后一组", "level": "regular"},
    {"agent": "阿强", "team": "售后一组", "level": "regular"},
    {"agent": "组长甲", "team": "售后一组", "level": "lead"},
    {"agent": "小丽", "team": "售后二组", "level": "regular"},
]


def alert(
    id: int, rule: str, agent: str | None, team: str | None, fired: str, **kw: str
) -> dict[str, Any]:
    return {
        "id": id,
        "rule": rule,
        "subject": f"s{id}",
        "kind": "rating",
        "state": "fired",
        "severity": "warning",
        "status": "resolved" if kw.get("resolved_at") else "open",
        "active": True,
        "title": "t",
        "shop": "s1",
        "platform": "kuaishou",
        "agent": agent,
        "team": team,
        "fired_at": fired,
        "updated_at": fired,
        **kw,
    }


# bad_rating #1: acknowledged after 30 min by 组长甲, resolved by hand after 90 min.
# bad_rating #2: never acknowledged, resolved by the system after 10 min.
# slow_reply #3: acknowledged after 6 min, still open.
# slow_reply #4 (小丽's team has no lead): acknowledged after 12 min, resolved after 20 min.
ALERTS = [
    alert(
        1,
        "bad_rating",
        "小美",
        "售后一组",
        "2026-10-05 10:00:00",
        acknowledged_at="2026-10-05 10:30:00",
        acknowledged_by="组长甲",
        resolved_at="2026-10-05 11:30:00",
        resolved_by="组长甲",
    ),
    alert(
        2,
        "bad_rating",
        "阿强",
        "售后一组",
        "2026-10-06 09:00:00",
        resolved_at="2026-10-06 09:10:00",
        resolved_by="system",
    ),
    alert(
        3,
        "slow_reply",
        "小美",
        "售后一组",
        "2026-10-06 14:00:00",
        acknowledged_at="2026-10-06 14:06:00",
        acknowledged_by="组长甲",
    ),
    alert(
        4,
        "slow_reply",
        "小丽",
        "售后二组",
        "2026-10-07 08:00:00",
        acknowledged_at="2026-10-07 08:12:00",
        acknowledged_by="主管",
        resolved_at="2026-10-07 08:20:00",
        resolved_by="主管",
    ),
]
