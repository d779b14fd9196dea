"""How fast alerts are handled: time to acknowledge and time to resolve, per rule, per team
(its lead's) or per person who acknowledged, over the alerts fired in a period.

Time to acknowledge counts alerts someone acknowledged (or resolved by hand); time to resolve
counts alerts resolved by anyone, the system included (a condition that cleared). Minutes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kaohe.engine.periods import Period
from kaohe.errors import UsageError

if TYPE_CHECKING:
    from kaohe.store import Store

GROUPS = {
    "rule": "rule",
    "team": "coalesce(team, '')",
    "lead": "coalesce(team, '')",
    "acknowledged_by": "coalesce(acknowledged_by, '')",
}
COLUMNS = (
    "group",
    "alerts",
    "acknowledged",
    "ack_mean_min",
    "ack_median_min",
    "resolved",
    "self_resolved",
    "resolve_mean_min",
    "resolve_median_min",
)


def response_times(
    store: Store, by: str = "rule", period: Period | None = None
) -> list[dict[str, Any]]:
    if by not in GROUPS:
        raise UsageError(f"未知分组 / unknown --by {by!r} (use {', '.join(GROUPS)})")
    where, args = "1 = 1", []
    if period is not None:
        where, args = "CAST(fired_at AS DATE) BETWEEN ? AND ?", [period.start, period.end]
    ack = "date_diff('second', fired_at, acknowledged_at) / 60.0"
    done = "date_diff('second', fired_at, resolved_at) / 60.0"
    sql = f"""
        SELECT {GROUPS[by]} AS grp, count(*), count(acknowledged_at),
               round(avg({ack}), 1), round(median({ack}), 1),
               count(resolved_at), count(*) FILTER (WHERE resolved_by = 'system'),
               round(avg({done}), 1), round(median({done}), 1)
        FROM alerts WHERE {where} GROUP BY grp ORDER BY grp"""
    return [dict(zip(COLUMNS, row, strict=True)) for row in store.con.execute(sql, args).fetchall()]
