"""Online-time metrics from agent_status intervals (spec: metrics.md, "Online time").

An interval crossing midnight is split at each midnight: each piece is dated by its own day.
Status rows have no shop: an agent-day is counted under the shop (and its platform) where the
agent sent messages that day (the greatest shop name if several); on a day without messages,
under the one shop the roster lists for the agent (else under no shop: an agent listing
several shops or none). A shop manager's `--by shop` then holds all of its agents' time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from kaohe.engine.blocks import delta_ms, with_platform
from kaohe.engine.registry import (
    Direction,
    Metric,
    Part,
    SourceDef,
    count,
    counting,
    counting_rows,
    register,
    register_source,
    summing,
)
from kaohe.units import Unit

SECTION = "Online time"
STATUS_DAYS = "status_days"
WORKDAYS = "workdays"
ONLINE = ("online", "busy")
MAX_SPAN_DAYS = 62  # an interval is counted on at most this many days after its start
HOUR_MS = 3_600_000


def day_offsets(n: int) -> ir.Table:
    """The integers 0 … n − 1 in column `k` (joined to spread a row over following days)."""
    return ibis.memtable(pa.table({"k": pa.array(range(n), pa.int64())}))


def plus_days(day: ir.DateValue, k: ir.IntegerValue) -> ir.TimestampValue:
    """Midnight starting the day `k` days after `day`."""
    return day.cast("timestamp") + ibis.interval(days=1) * k


ROSTER_SHOP_SEPARATORS = r"[,，、;；\s]"  # the roster's `shops` lists shops separated so


def agent_day_shops(blocks: Any) -> ir.Table:
    """(agent, day) → the shop the agent sent messages in that day."""
    m = blocks.table("messages")
    m = m.filter((m.sender == "agent") & m.agent.notnull())
    return m.group_by(["agent", m.time.date().name("day")]).agg(day_shop=m.shop.max())


def roster_shops(blocks: Any) -> ir.Table:
    """agent → the shop of an agent whose roster entry lists exactly one."""
    a = blocks.table("agents")
    one = a.filter(a.shops.notnull() & (a.shops.strip() != ""))
    one = one.filter(~one.shops.strip().re_search(ROSTER_SHOP_SEPARATORS))
    return one.select("agent", roster_shop=one.shops.strip())


def with_agent_shop(t: ir.Table, blocks: Any) -> ir.Table:
    """`t` (with `agent` and `day`) plus the shop the agent worked in that day and its
    platform: where it sent messages, else its one roster shop, else none."""
    days, roster = agent_day_shops(blocks), roster_shops(blocks)
    j = t.left_join(days, ["agent", "day"]).left_join(roster, "agent")
    shops = j.select(*t.columns, shop=ibis.coalesce(j.day_shop, j.roster_shop))
    return with_platform(shops.view(), blocks)


def _status_days(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """One row per status interval and day it covers: `ms` on that day, `first` on the
    interval's first day, `full_ms` of the whole interval."""
    s = blocks.table("agent_status")
    s = s.select(
        "agent",
        "status",
        "start",
        "end",
        first_day=s.start.date(),
        span=s.end.date().delta(s.start.date(), unit="day"),
    )
    k = day_offsets(MAX_SPAN_DAYS)
    j = s.join(k, k.k <= s.span)
    midnight = plus_days(j.first_day, j.k)
    piece_start = ibis.greatest(j.start, midnight)
    piece_end = ibis.least(j.end, midnight + ibis.interval(days=1))
    pieces = j.select(
        "agent",
        "status",
        day=midnight.date(),
        first=j.k == 0,
        ms=delta_ms(piece_end, piece_start),
        full_ms=delta_ms(j.end, j.start),
    )
    return with_agent_shop(pieces.view(), blocks)  # view: else ibis 12 rejects the join


def _workdays(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """One row per agent-day with online time or a valid reply."""
    s = blocks.get(STATUS_DAYS)
    online = s.filter(s.status.isin(ONLINE) & (s.ms > 0)).select("agent", "day")
    replies = blocks.get("replies", thread_names=False)  # the agent and the day suffice
    replies = replies.filter(replies.agent.notnull()).select("agent", "day")
    return with_agent_shop(ibis.union(online, replies, distinct=True), blocks)


TABLES = ("agent_status", "messages", "agents")
register_source(SourceDef(STATUS_DAYS, _status_days, tables=TABLES))
register_source(SourceDef(WORKDAYS, _workdays, tables=TABLES))


def _ms(t: ir.Table, statuses: tuple[str, ...]) -> Any:
    return ibis.ifelse(t.status.isin(statuses), t.ms, 0)


ONLINE_MS = summing("online_ms", STATUS_DAYS, lambda t, p: _ms(t, ONLINE))
HANGUP_MS = summing("hangup_ms", STATUS_DAYS, lambda t, p: _ms(t, ("hangup",)))
# the workdays source holds one row per agent-day, so its row count is a count of days
DAYS = counting_rows("workdays", WORKDAYS)


def hours(name: str, per: str | None = None) -> Any:
    """Milliseconds as hours (per day of `per` when given; null without such days)."""

    def value(parts: Mapping[str, Any], _: Mapping[str, Any]) -> Any:
        total, days = parts.get(name), (parts.get(per) if per else 1)
        if not days:
            return None
        return float(total or 0) / HOUR_MS / float(days)

    return value


def _long_hangups(t: ir.Table, p: Mapping[str, Any]) -> Any:
    limit_ms = float(p["hangup_minutes"]) * 60_000
    return t.first & (t.status == "hangup") & (t.full_ms > limit_ms)


def _m(
    id: str,
    zh: str,
    en: str,
    unit: Unit,
    direction: Direction,
    grain: str,
    parts: tuple[Part, ...],
    value: Any,
    formula: str,
    source: str = "metrics.md",
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
        params=params,
        section=SECTION,
        source=source,
    )


register(
    _m(
        "online_hours",
        "在线时长",
        "Online hours",
        "hours",
        "higher",
        "agent-day",
        (ONLINE_MS,),
        hours("online_ms"),
        "Σ online + busy time, split at midnight: each day gets its own part",
    ),
    _m(
        "hangup_hours",
        "挂起时长",
        "Hang-up hours",
        "hours",
        "lower",
        "agent-day",
        (HANGUP_MS,),
        hours("hangup_ms"),
        "Σ hang-up time, split at midnight",
    ),
    _m(
        "hangups_over_15min",
        "挂起超15分钟次数",
        "Hang-ups over 15 minutes",
        "count",
        "lower",
        "status interval",
        (counting("long_hangups", STATUS_DAYS, _long_hangups),),
        count("long_hangups"),
        "hang-up intervals longer than `hangup_minutes` (exactly 15 min is not over); dated by "
        "the interval's start",
        source="京东 挂起不超过15分钟 (seed 004)",
        hangup_minutes=15,
    ),
    _m(
        "workdays",
        "上班天数",
        "Workdays",
        "days",
        "neutral",
        "agent-day",
        (DAYS,),
        count("workdays"),
        "agent-days with online or busy time or a valid reply",
    ),
    _m(
        "avg_daily_online_hours",
        "平均日服务时长",
        "Average daily online hours",
        "hours",
        "higher",
        "agent-day",
        (ONLINE_MS, DAYS),
        hours("online_ms", "workdays"),
        "online_hours / workdays",
    ),
)
