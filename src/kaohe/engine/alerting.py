"""Alert handling metrics (issue 21.6): how fast alerts are acknowledged and resolved, per
rule, per lead (of the alert's team), per person who acknowledged, agent, team, shop or day.

They read the store's `alerts` table (kaohe.alerts writes it) as a source of their own. An
alert is dated by the day it fired. Time to acknowledge counts the alerts someone
acknowledged (resolving by hand acknowledges too); time to resolve counts the alerts resolved
by anyone, the system included (a condition that cleared). Minutes.

An alert row changes after its day (acknowledged, resolved), so no part is kept in the
per-day facts (`combine=None`): the parts are computed from the table on every request, which
is small (one row per alert)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kaohe.engine.registry import (
    Direction,
    Metric,
    Part,
    SourceDef,
    count,
    counting,
    counting_rows,
    direct,
    ratio,
    register,
    register_source,
    summing,
)
from kaohe.units import Unit

SECTION = "Alert handling"
HANDLING = "alert_handling"
SYSTEM = "system"  # the actor of what kaohe itself does to an alert (fired, resolved)
LEAD_LEVEL = "lead"  # the roster level of a team's lead (schema.LEVELS: 组长)
# grouping keys only this source carries (kaohe.engine.compute checks the others have them)
KEYS = ("rule", "lead", "handler")
MINUTE_MS = 60_000.0


def _handling(blocks: Any, params: Mapping[str, Any]) -> Any:
    """One row per alert: its rule, subject's shop / platform / agent, team and the team's
    lead (the roster's agent of level lead; the first by name when a team has several),
    who acknowledged it, and the minutes from firing to acknowledgement and to resolution."""
    from kaohe.engine.blocks import delta_ms

    a = blocks.table("alerts")
    roster = blocks.table("agents")
    leads = roster.filter(roster.level == LEAD_LEVEL)
    leads = leads.group_by(l_team=leads.team).agg(lead=leads.agent.min())
    a = a.left_join(leads, a.team == leads.l_team)
    return a.select(
        "id",
        "rule",
        "shop",
        "platform",
        "agent",
        "team",
        "lead",
        "fired_at",
        "acknowledged_at",
        "resolved_at",
        handler=a.acknowledged_by,
        day=a.fired_at.date(),
        ack_min=delta_ms(a.acknowledged_at, a.fired_at).cast("float64") / MINUTE_MS,
        resolve_min=delta_ms(a.resolved_at, a.fired_at).cast("float64") / MINUTE_MS,
        self_resolved=(a.resolved_by == SYSTEM).fill_null(False),
    )


register_source(SourceDef(HANDLING, _handling, tables=("alerts", "agents")))


def _acked(t: Any, p: Mapping[str, Any]) -> Any:
    return t.ack_min.notnull()


def _resolved(t: Any, p: Mapping[str, Any]) -> Any:
    return t.resolve_min.notnull()


def _median(name: str, column: str) -> Part:
    return Part(name, HANDLING, lambda t, p: t[column].median(), combine=None)


# live rows: never stored per day (see the module's docstring)
ALERTS = counting_rows("alerts", HANDLING, combine=None)
ACKED = counting("acknowledged", HANDLING, _acked, combine=None)
ACK_SUM = summing("ack_min", HANDLING, lambda t, p: t.ack_min, combine=None)
RESOLVED = counting("resolved", HANDLING, _resolved, combine=None)
RESOLVE_SUM = summing("resolve_min", HANDLING, lambda t, p: t.resolve_min, combine=None)
SELF = counting("self_resolved", HANDLING, lambda t, p: t.self_resolved, combine=None)


def _m(
    id: str,
    zh: str,
    en: str,
    unit: Unit,
    direction: Direction,
    parts: tuple[Part, ...],
    value: Any,
    formula: str,
) -> Metric:
    return Metric(
        id,
        zh,
        en,
        unit,
        direction,
        "alert",
        parts,
        value,
        formula,
        section=SECTION,
        source="issue 21 (预警: time to acknowledge and to resolve)",
    )


register(
    _m(
        "alerts_fired",
        "预警数",
        "Alerts fired",
        "count",
        "neutral",
        (ALERTS,),
        count("alerts"),
        "alerts fired (dated by fired_at)",
    ),
    _m(
        "alerts_acknowledged",
        "已确认预警数",
        "Alerts acknowledged",
        "count",
        "higher",
        (ACKED,),
        count("acknowledged"),
        "alerts with acknowledged_at (acknowledged, or resolved by hand); dated by fired_at",
    ),
    _m(
        "alert_ack_minutes",
        "平均确认用时",
        "Mean time to acknowledge",
        "minutes",
        "lower",
        (ACK_SUM, ACKED),
        ratio("ack_min", "acknowledged"),
        "Σ (acknowledged_at − fired_at) over acknowledged alerts / acknowledged alerts",
    ),
    _m(
        "alert_ack_median_minutes",
        "确认用时中位数",
        "Median time to acknowledge",
        "minutes",
        "lower",
        (_median("ack_median", "ack_min"),),
        direct("ack_median"),
        "median of acknowledged_at − fired_at over acknowledged alerts",
    ),
    _m(
        "alerts_resolved",
        "已解决预警数",
        "Alerts resolved",
        "count",
        "higher",
        (RESOLVED,),
        count("resolved"),
        "alerts with resolved_at (by a person or by the system); dated by fired_at",
    ),
    _m(
        "alerts_self_resolved",
        "自动解除预警数",
        "Alerts resolved on their own",
        "count",
        "neutral",
        (SELF,),
        count("self_resolved"),
        "alerts with resolved_by = system (the condition cleared); dated by fired_at",
    ),
    _m(
        "alert_resolve_minutes",
        "平均解决用时",
        "Mean time to resolve",
        "minutes",
        "lower",
        (RESOLVE_SUM, RESOLVED),
        ratio("resolve_min", "resolved"),
        "Σ (resolved_at − fired_at) over resolved alerts / resolved alerts",
    ),
    _m(
        "alert_resolve_median_minutes",
        "解决用时中位数",
        "Median time to resolve",
        "minutes",
        "lower",
        (_median("resolve_median", "resolve_min"),),
        direct("resolve_median"),
        "median of resolved_at − fired_at over resolved alerts",
    ),
)
