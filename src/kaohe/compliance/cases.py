"""The cases behind a failing or at-risk check: the buyers who made a 拼多多 day invalid, the
slow rounds, the refunds near or past the 48-hour auto-approval, the 快手 ratings with
服务态度差, the merchant-liable disputes, the long hang-ups, the late JD e-mails and tickets,
the red-line QA hits, the agents whose scheme total is below the line, the late-shipped orders
with what each owes its buyer. Buyer accounts are masked (kaohe.privacy.mask_buyer), matched
chat text too (mask_text)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kaohe.compliance.cycles import Cycle
from kaohe.compliance.model import Check, Preset
from kaohe.compliance.values import SHOP_PLATFORM_SQL, Key, ValueSource, bounds
from kaohe.engine.params import BlockParams
from kaohe.privacy import mask_buyer, mask_text

Case = dict[str, Any]
LIMIT = 200
FREE_TEXT = ("reason", "matched")  # may quote a buyer's phone or address


def find_cases(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    if check.cases is None:
        return []
    return FINDERS[check.cases](source, preset, check, key, cycle)


def _iso(value: Any) -> Any:
    return (
        value.isoformat(sep=" ")
        if isinstance(value, datetime)
        else (value.isoformat() if hasattr(value, "isoformat") else value)
    )


def _query(source: ValueSource, sql: str, args: list[Any]) -> list[Case]:
    cur = source.store.con.execute(sql, args)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        if "buyer" in row:
            row["buyer"] = mask_buyer(row["buyer"])
        for name, value in row.items():
            row[name] = mask_text(value) if name in FREE_TEXT else _iso(value)
    return rows


def _subject_filter(key: Key, alias: str = "", agent: bool = True) -> tuple[str, list[Any]]:
    p = f"{alias}." if alias else ""
    sql, args = f" AND {p}shop = ?", [key.shop]
    if agent and key.agent is not None:
        sql, args = sql + f" AND {p}agent = ?", [*args, key.agent]
    return sql, args


# message blocks: the rows of a metric's part -------------------------------------------------


def _part_rows(
    source: ValueSource,
    metric_id: str,
    part: str,
    minus: str | None,
    key: Key,
    cycle: Cycle,
    columns: tuple[str, ...],
    order: str,
    per_buyer_day: bool = False,
) -> list[Case]:
    """The rows of a part's source flagged by the part (and not by `minus`), for the key;
    `per_buyer_day`: only the first row of each buyer and day."""
    import polars as pl

    flagged = _flagged(source, metric_id, part, minus, cycle, columns, order)
    t = flagged.filter(
        (pl.col("shop") == key.shop) & pl.col("day").is_between(cycle.start, cycle.end)
    )
    if key.agent is not None:
        t = t.filter(pl.col("agent") == key.agent)
    rows = t.head(LIMIT).select([c for c in columns if c in t.columns]).to_dicts()
    if per_buyer_day:
        firsts: dict[tuple[Any, Any], Case] = {}
        for row in rows:
            firsts.setdefault((row.get("buyer"), row.get("day")), row)
        rows = list(firsts.values())
    for row in rows:
        row["buyer"] = mask_buyer(row.get("buyer"))
        for name, value in row.items():
            row[name] = round(value, 1) if isinstance(value, float) else _iso(value)
    return rows


def _flagged(
    source: ValueSource,
    metric_id: str,
    part: str,
    minus: str | None,
    cycle: Cycle,
    columns: tuple[str, ...],
    order: str,
) -> Any:
    """Every flagged row of the span (all shops, agents and days) as one Polars frame, fetched
    once per part and shared by the cases of every subject and cycle."""
    import polars as pl

    from kaohe.engine.registry import get

    span = source.span or cycle.period()
    cache = source.flagged_rows
    cache_key = (metric_id, part, minus, span.start, span.end, columns, order)
    if cache_key not in cache:
        metric = get(metric_id)
        evaluator = source.evaluator(metric_id, span)
        params = evaluator.req.params(metric)
        parts = {p.name: p for p in metric.parts_for(params)}
        t = evaluator.source(BlockParams.from_params(params), parts[part].source, params)
        flag = parts[part].row_value()(t, params).fill_null(False)  # type: ignore[misc]
        if minus:
            flag = flag & ~parts[minus].row_value()(t, params).fill_null(False)  # type: ignore[misc]
        cols = list(dict.fromkeys(["shop", *[c for c in columns if c in t.columns]]))
        cache[cache_key] = pl.from_arrow(t.filter(flag).order_by(order).select(*cols).to_pyarrow())
    return cache[cache_key]


ROUND_COLUMNS = ("day", "buyer", "agent", "round_start", "answered", "response_s")


def bad_buyers(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    """The buyers of each day with a round unanswered or answered too late (one line per
    buyer and day: their first such round)."""
    return _part_rows(
        source,
        check.metric,
        "bad_buyer_days",
        None,
        key,
        cycle,
        ROUND_COLUMNS,
        "round_start",
        per_buyer_day=True,
    )


def slow_rounds(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    return _part_rows(
        source, check.metric, "rounds", "within", key, cycle, ROUND_COLUMNS, "round_start"
    )


def slow_first_sessions(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    return _part_rows(
        source,
        check.metric,
        "first_sessions",
        "first_within",
        key,
        cycle,
        ("day", "buyer", "agent", "start", "answered", "response_s"),
        "start",
    )


# tables ---------------------------------------------------------------------------------------


def refunds_48h(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    """Refunds answered late or left past the deadline (auto-approved), and those still
    without response within `warn_hours` of it."""
    out = []
    for row in source.refund_cases(cycle, check.hours, check.warn_hours, key.shop):
        if row["state"] in ("late", "near"):
            out.append(
                {
                    "refund_id": row["refund_id"],
                    "order_id": row["order_id"],
                    "buyer": mask_buyer(row["buyer"]),
                    "agent": row["agent"],
                    "applied_at": _iso(row["applied_at"]),
                    "first_response_at": _iso(row["first_response_at"]),
                    "state": row["state"],
                    "hours": row["age_h"],
                }
            )
    return out


def interventions(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    lo, hi = bounds(cycle.start, cycle.end)  # the 30 days up to the cycle's end
    where, args = _subject_filter(key)
    return _query(
        source,
        "SELECT refund_id, order_id, buyer, agent, type, applied_at, status "
        f"FROM refunds WHERE platform_intervened AND applied_at >= ? AND "
        f"applied_at < ?{where} ORDER BY applied_at LIMIT {LIMIT}",
        [lo, hi, *args],
    )


def _ratings(
    source: ValueSource, key: Key, cycle: Cycle, condition: str, args: list[Any]
) -> list[Case]:
    lo, hi = bounds(cycle.start, cycle.end)
    where, subject = _subject_filter(key)
    return _query(
        source,
        "SELECT time, buyer, agent, level_label AS rating, level, reason, "
        f"source FROM ratings WHERE time >= ? AND time < ? AND {condition}{where} "
        f"ORDER BY time LIMIT {LIMIT}",
        [lo, hi, *args, *subject],
    )


def poor_ratings(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    return _ratings(source, key, cycle, "CAST(level AS INTEGER) <= 3", [])


def _params(source: ValueSource, metric_id: str) -> dict[str, Any]:
    """The metric's parameters as the engine resolves them (defaults, globals, `--set`)."""
    from kaohe.engine.compute import make_request
    from kaohe.engine.registry import get

    metric = get(metric_id)
    return make_request((), None, [metric_id], source.overrides).params(metric)


def bad_attitude(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    reason = str(_params(source, check.metric)["attitude_reason"])
    return _ratings(
        source,
        key,
        cycle,
        "CAST(level AS INTEGER) <= 3 AND contains(coalesce(reason, ''), ?)",
        [reason],
    )


def liable_disputes(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    lo, hi = bounds(cycle.start, cycle.end)
    where, args = _subject_filter(key)
    return _query(
        source,
        "SELECT refund_id, order_id, buyer, agent, type, applied_at, "
        "completed_at, status, reason FROM refunds WHERE merchant_liable AND "
        "status IN ('success', 'closed') AND completed_at >= ? AND completed_at < ?"
        f"{where} ORDER BY completed_at LIMIT {LIMIT}",
        [lo, hi, *args],
    )


def long_hangups(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    """Hang-ups longer than the metric's limit, dated by their start (the agent's)."""
    minutes = float(_params(source, check.metric)["hangup_minutes"])
    lo, hi = bounds(cycle.start, cycle.end)
    return _query(
        source,
        "SELECT agent, start, \"end\", round(date_diff('second', start, "
        "\"end\") / 60.0, 1) AS minutes FROM agent_status WHERE status = 'hangup' "
        "AND agent = ? AND start >= ? AND start < ? AND date_diff('millisecond', "
        f'start, "end") > ? ORDER BY start LIMIT {LIMIT}',
        [key.agent, lo, hi, minutes * 60_000],
    )


def late_emails(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    """E-mails answered after their deadline (received before the cut-off: that day's
    deadline; after it: the next day's), or not answered with the deadline passed."""
    params = _params(source, check.metric)
    lo, hi = bounds(cycle.start, cycle.end)
    where, args = _subject_filter(key, agent=False)
    rows = _query(
        source,
        "SELECT id, buyer, agent, received_at, replied_at FROM tickets "
        f"WHERE kind = 'email' AND received_at >= ? AND received_at < ?{where} "
        "ORDER BY received_at",
        [lo, hi, *args],
    )
    out = []
    for row in rows:
        due = email_due(
            datetime.fromisoformat(row["received_at"]), params["cutoff"], params["deadline"]
        )
        replied = row["replied_at"] and datetime.fromisoformat(row["replied_at"])
        if (replied and replied > due) or (not replied and source.now > due):
            out.append({**row, "due": _iso(due)})
    return out[:LIMIT]


def email_due(received: datetime, cutoff: str, deadline: str) -> datetime:
    """The deadline of a JD e-mail: `deadline` that day when received before `cutoff`,
    else `deadline` the next day."""
    from datetime import time, timedelta

    cut, due = time.fromisoformat(cutoff), time.fromisoformat(deadline)
    day = received.date() + timedelta(days=0 if received.time() < cut else 1)
    return datetime.combine(day, due)


def late_tickets(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    """Complaint tickets answered more than `hours` after receipt, or not answered with
    that time passed."""
    from datetime import timedelta

    hours = float(_params(source, check.metric)["hours"])
    lo, hi = bounds(cycle.start, cycle.end)
    where, args = _subject_filter(key, agent=False)
    rows = _query(
        source,
        "SELECT id, buyer, agent, received_at, replied_at FROM tickets "
        f"WHERE kind = 'complaint' AND received_at >= ? AND received_at < ?{where} "
        "ORDER BY received_at",
        [lo, hi, *args],
    )
    out = []
    for row in rows:
        due = datetime.fromisoformat(row["received_at"]) + timedelta(hours=hours)
        replied = row["replied_at"] and datetime.fromisoformat(row["replied_at"])
        if (replied and replied > due) or (not replied and source.now > due):
            out.append({**row, "due": _iso(due)})
    return out[:LIMIT]


def qa_hits(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    lo, hi = bounds(cycle.start, cycle.end)
    rules = list(preset.rules)
    marks = ", ".join("?" for _ in rules)
    rows = _query(
        source,
        "SELECT time, rule, agent, buyer, matched, msg_key FROM qa_findings "
        f"WHERE rule IN ({marks}) AND time >= ? AND time < ? AND shop = ? "
        f"ORDER BY time LIMIT {LIMIT}",
        [*rules, lo, hi, key.shop],
    )
    for row in rows:
        row["points"] = preset.rules.get(row["rule"])
    return rows


def low_agents(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    """The shop's agents (by their service orders, ratings or chats in the cycle) whose own
    scheme total is below the threshold."""
    from kaohe.schemes import load_scheme
    from kaohe.schemes.fetch import score_period

    lo, hi = bounds(cycle.start, cycle.end)
    worked = {
        a
        for (a,) in source.store.con.execute(
            "SELECT agent FROM service_orders "
            "WHERE shop = ? AND applied_at >= ? AND applied_at < ? "
            "UNION SELECT agent FROM ratings WHERE shop = ? AND time >= ? AND time < ? "
            "UNION SELECT agent FROM messages WHERE shop = ? AND time >= ? AND time < ?",
            [key.shop, lo, hi] * 3,
        ).fetchall()
        if a
    }
    scheme = load_scheme(str(preset.scheme))
    result = score_period(source.store, scheme, cycle.label, source.overrides)
    return [
        {
            "agent": a.agent,
            "name": a.name,
            "total": round(a.total, 2),
            "grade": a.grade.label if a.grade else None,
        }
        for a in result.agents
        if a.agent in worked and a.total is not None and a.total < check.threshold
    ]


LATE_COLUMNS = ("day", "order_id", "buyer", "amount", "paid_at", "deadline", "shipped_at")


def late_orders(
    source: ValueSource, preset: Preset, check: Check, key: Key, cycle: Cycle
) -> list[Case]:
    """Every late-shipped order of the shop in the cycle (dated by payment), each with what
    the platform makes the shop pay its buyer (`order_penalty` of the shop's platform); all
    of them, so the amount owed is whole."""
    import polars as pl

    flagged = _flagged(source, "late_shipments", "late", None, cycle, LATE_COLUMNS, "paid_at")
    t = flagged.filter(
        (pl.col("shop") == key.shop) & pl.col("day").is_between(cycle.start, cycle.end)
    )
    rule = preset.order_penalty.get(key.platform or "")
    rows = t.select([c for c in LATE_COLUMNS if c in t.columns]).to_dicts()
    for row in rows:
        amount = float(row["amount"] or 0.0)
        row["penalty"] = None if rule is None else rule.owed(amount)
        row["buyer"] = mask_buyer(row.get("buyer"))
        for name, value in row.items():
            row[name] = _iso(value)
    return rows


FINDERS: dict[str, Callable[..., list[Case]]] = {
    "bad_buyers": bad_buyers,
    "slow_rounds": slow_rounds,
    "slow_first_sessions": slow_first_sessions,
    "refunds_48h": refunds_48h,
    "interventions": interventions,
    "poor_ratings": poor_ratings,
    "bad_attitude": bad_attitude,
    "liable_disputes": liable_disputes,
    "long_hangups": long_hangups,
    "late_emails": late_emails,
    "late_tickets": late_tickets,
    "qa_hits": qa_hits,
    "low_agents": low_agents,
    "late_orders": late_orders,
}
__all__ = ["FINDERS", "SHOP_PLATFORM_SQL", "email_due", "find_cases"]
