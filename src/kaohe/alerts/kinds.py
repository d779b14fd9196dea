"""What each kind of rule finds, as Findings with their evidence, and the scope it judged
(so that alerts inside the scope whose condition no longer holds resolve themselves).

Import-time kinds read the new data only (the imports just committed, the QA findings since
the last run); clock kinds read the pending cases and the timers the import-time pass left.
Every threshold comes from where it is defined: metric rows from the engine
(kaohe.engine.rows), refund states from the compliance code, compliance statuses from
`run_checks`, metric values from `compute_kpis`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kaohe.alerts import evidence as ev
from kaohe.alerts.deadlines import business_due, deadline_state, left_text
from kaohe.alerts.inbox import ALL, Finding, Scope, buyer_ref
from kaohe.engine.periods import Period

if TYPE_CHECKING:
    from kaohe.store import Store

Found = tuple[list[Finding], Scope]
NOTHING: Found = ([], Scope())
DEADLINE_LOOKBACK = timedelta(days=7)  # answered cases this old still resolve their alert


@dataclass
class Context:
    store: Store
    now: datetime
    base_url: str = "http://127.0.0.1:8000"
    overrides: Mapping[str, Any] = field(default_factory=dict)
    import_ids: tuple[int, ...] = ()
    qa_since: datetime | None = None
    _cache: dict[Any, Any] = field(default_factory=dict)
    pool: Any = None  # the engine's blocks shared by the rules of one evaluation

    def __post_init__(self) -> None:
        from kaohe.engine.compute import BlockPool

        self.pool = BlockPool()

    def close(self) -> None:
        self.pool.close()

    def new_days(self, table: str, column: str) -> list[date]:
        """The days of `table`'s rows written by the new imports."""
        key = ("days", table)
        if key not in self._cache:
            self._cache[key] = (
                [
                    d
                    for (d,) in self.store.con.execute(
                        f'SELECT DISTINCT CAST("{column}" AS DATE) FROM "{table}" '
                        "WHERE import_id IN (SELECT unnest(?::BIGINT[])) ORDER BY 1",
                        [list(self.import_ids)],
                    ).fetchall()
                    if d is not None
                ]
                if self.import_ids
                else []
            )
        return self._cache[key]

    def shop_platforms(self) -> dict[str, str]:
        if "platforms" not in self._cache:
            from kaohe.compliance.values import SHOP_PLATFORM_SQL

            self._cache["platforms"] = dict(self.store.con.execute(SHOP_PLATFORM_SQL).fetchall())
        return self._cache["platforms"]


def _allowed(rule: Any, platform: str | None) -> bool:
    return not rule.platforms or platform in rule.platforms


def _period(days: list[date]) -> Period:
    return Period(days[0], days[-1], "alerts")


def _open_subjects(ctx: Context, rule_id: str) -> list[str]:
    rows = ctx.store.con.execute(
        "SELECT DISTINCT subject FROM alerts WHERE rule = ? AND active", [rule_id]
    ).fetchall()
    return [r[0] for r in rows]


# ratings ----------------------------------------------------------------------------------------


def _bad_ratings(ctx: Context, parts: list[str], keys: list[str]) -> dict[str, list[str]]:
    """rating_key → the metric parts that count it (of the ratings named)."""
    if not keys:
        return {}
    days = [
        d
        for (d,) in ctx.store.con.execute(
            "SELECT DISTINCT CAST(time AS DATE) FROM ratings "
            "WHERE rating_key IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1",
            [keys],
        ).fetchall()
    ]
    if not days:
        return {}
    wanted, out = set(keys), {}
    from kaohe.engine.rows import flagged_rows

    for ref in parts:
        metric_id, _, part = ref.partition(".")
        for row in flagged_rows(
            ctx.store,
            metric_id,
            part,
            _period(days),
            ("rating_key",),
            overrides=ctx.overrides,
            pool=ctx.pool,
        ):
            if row["rating_key"] in wanted:
                out.setdefault(row["rating_key"], []).append(ref)
    return out


def _rating_rows(ctx: Context, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    cur = ctx.store.con.execute(
        "SELECT rating_key, shop, buyer, agent, time, level, level_label, reason, source "
        "FROM ratings WHERE rating_key IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(keys)],
    )
    names = [d[0] for d in cur.description]
    return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def _shop_values(ctx: Context, metric_id: str) -> dict[str, Any]:
    """The metric per shop for the month so far (the value an alert puts a case against)."""
    key = ("month", metric_id)
    if key not in ctx._cache:
        from kaohe.engine import compute_kpis

        month = ctx.now.date().replace(day=1)
        rows = compute_kpis(
            ctx.store,
            by=("shop",),
            period=Period(month, ctx.now.date(), f"{month:%Y-%m}"),
            metrics=[metric_id],
            params=ctx.overrides,
            use_facts=False,  # one metric on demand, not a refresh of every metric's facts
        )
        ctx._cache[key] = {r["shop"]: r[metric_id] for r in rows}
    return ctx._cache[key]


def rating(ctx: Context, rule: Any) -> Found:
    from kaohe.engine.rows import part_params
    from kaohe.rated import rated_conversations

    new = [
        k
        for (k,) in ctx.store.con.execute(
            "SELECT rating_key FROM ratings WHERE import_id IN (SELECT unnest(?::BIGINT[]))",
            [list(ctx.import_ids)],
        ).fetchall()
    ]
    keys = sorted(set(new) | set(_open_subjects(ctx, rule.id)))
    bad = _bad_ratings(ctx, rule.parts, keys)
    rows = _rating_rows(ctx, bad)
    platforms = ctx.shop_platforms()
    rated = rated_conversations(ctx.store, list(rows), rule.lookback_hours)
    findings = []
    for key, row in rows.items():
        platform = platforms.get(row["shop"])
        if not _allowed(rule, platform):
            continue
        conv = rated.get(key)
        metric_id = bad[key][-1].partition(".")[0]
        params = part_params(metric_id, ctx.overrides)
        value = _shop_values(ctx, metric_id).get(row["shop"])
        buyer = ev.buyer_shown(row["buyer"])
        label = row["level_label"] or row["level"]
        findings.append(
            Finding(
                subject=key,
                state="bad",
                title=f"{rule.name}: {row['shop']} · 客服 {row['agent']} · 买家 {buyer} "
                f"评价「{label}」",
                shop=row["shop"],
                platform=platform,
                agent=row["agent"],
                msg_key=conv["msg_key"] if conv else None,
                day=row["time"].date(),
                occurred_at=row["time"],
                excerpt_at=(row["shop"], row["buyer"], conv["msg_time"]) if conv else None,
                evidence={
                    "buyer": buyer,
                    "agent": row["agent"],
                    "rating": label,
                    "reason": ev.mask_text(row["reason"]),
                    "rated_at": row["time"],
                    "counted_by": bad[key],
                    "conversation": (
                        {"matched_by": conv["matched_by"], "last_message_at": conv["msg_time"]}
                        if conv
                        else None
                    ),
                    "metric": ev.metric_info(metric_id, params, value, f"{row['shop']} 本月"),
                    "penalty": ev.penalty_for(platform, metric_id),
                },
            )
        )
    return findings, Scope(subjects=frozenset(keys))


# rounds -----------------------------------------------------------------------------------------

ROUND_COLUMNS = (
    "shop",
    "platform",
    "buyer",
    "agent",
    "day",
    "round_start",
    "answered",
    "response_s",
)


def _round_parts(metric_id: str, params: Mapping[str, Any]) -> tuple[str, str | None]:
    """The part flagging a response metric's late rows: a buyer-level metric's bad buyer-days,
    else its rounds not within."""
    return ("bad_buyer_days", None) if params.get("level") == "buyer" else ("rounds", "within")


def _counted_part(params: Mapping[str, Any]) -> str:
    """The part flagging every round a response metric counts (those in its window)."""
    return "buyer_days" if params.get("level") == "buyer" else "rounds"


def slow_round(ctx: Context, rule: Any) -> Found:
    from kaohe.engine.rows import flagged_rows, part_params

    days = ctx.new_days("messages", "time")
    if not days:
        return NOTHING
    params = part_params(rule.metric, ctx.overrides)
    part, minus = _round_parts(rule.metric, params)
    horizon = timedelta(hours=float(params["reply_horizon"]))
    rows = flagged_rows(
        ctx.store, rule.metric, part, _period(days), ROUND_COLUMNS, minus, ctx.overrides, ctx.pool
    )
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        # an unanswered round still inside the reply horizon is the `waiting` rules' matter
        if not _allowed(rule, row["platform"]) or (
            not row["answered"] and ctx.now - row["round_start"] < horizon
        ):
            continue
        groups.setdefault((row["shop"], row["buyer"], row["agent"], row["day"]), []).append(row)
    starts = ev.messages_at(
        ctx.store, [(r["shop"], r["buyer"], r["round_start"]) for g in groups.values() for r in g]
    )
    findings = [_slow_finding(ctx, rule, params, key, g, starts) for key, g in groups.items()]
    return findings, Scope(days=frozenset(days))


def _slow_finding(
    ctx: Context,
    rule: Any,
    params: Mapping[str, Any],
    key: tuple,
    rounds: list[dict[str, Any]],
    starts: Mapping[tuple, str],
) -> Finding:
    shop, buyer, agent, day = key
    unanswered = [r for r in rounds if not r["answered"]]
    worst = unanswered[0] if unanswered else max(rounds, key=lambda r: r["response_s"] or 0)
    state = "unanswered" if unanswered else "slow"
    shown = ev.buyer_shown(buyer)
    what = "未回复" if unanswered else f"最慢 {worst['response_s']:.0f} 秒"
    return Finding(
        subject=f"{shop}/{buyer_ref(buyer)}/{agent or ''}/{day}",
        state=state,
        title=f"{rule.name}: {shop} · 客服 {agent or '—'} · 买家 {shown} · {day} {what}",
        shop=shop,
        platform=rounds[0]["platform"],
        agent=agent,
        msg_key=starts.get((shop, buyer, worst["round_start"])),
        day=day,
        occurred_at=worst["round_start"],
        excerpt_at=(shop, buyer, worst["round_start"]),
        evidence={
            "buyer": shown,
            "agent": agent,
            "rounds": len(rounds),
            "unanswered": len(unanswered),
            "worst_round_start": worst["round_start"],
            "worst_response_s": worst["response_s"],
            "limit_s": float(params["seconds"]),
            "metric": ev.metric_info(rule.metric, params),
            "penalty": ev.penalty_for(rounds[0]["platform"], rule.metric),
        },
    )


def waiting_timers(ctx: Context, rule: Any) -> tuple[list[tuple], frozenset[date]]:
    """At import: the rounds of the new days still unanswered, as timers due when the
    metric's `seconds` have passed."""
    from kaohe.engine.rows import flagged_rows, part_params

    days = ctx.new_days("messages", "time")
    if not days:
        return [], frozenset()
    params = part_params(rule.metric, ctx.overrides)
    limit = timedelta(seconds=float(params["seconds"]))
    oldest = ctx.now - timedelta(hours=rule.max_age_hours)
    part = _counted_part(params)
    rows = flagged_rows(
        ctx.store, rule.metric, part, _period(days), ROUND_COLUMNS, None, ctx.overrides, ctx.pool
    )
    open_rounds = [
        r
        for r in rows
        if not r["answered"] and r["round_start"] >= oldest and _allowed(rule, r["platform"])
    ]
    at = [(r["shop"], r["buyer"], r["round_start"]) for r in open_rounds]
    starts, chats = ev.messages_at(ctx.store, at), ev.excerpts(ctx.store, at)
    timers = []
    for r in open_rounds:
        shown = ev.buyer_shown(r["buyer"])
        finding = {
            "subject": f"{r['shop']}/{buyer_ref(r['buyer'])}/{r['round_start']:%Y-%m-%d %H:%M:%S}",
            "title": f"{rule.name}: {r['shop']} · 客服 {r['agent'] or '—'} · 买家 {shown} "
            f"{r['round_start']:%H:%M} 起未回复",
            "shop": r["shop"],
            "platform": r["platform"],
            "agent": r["agent"],
            "msg_key": starts.get((r["shop"], r["buyer"], r["round_start"])),
            "day": r["day"],
            "occurred_at": r["round_start"],
            "evidence": {
                "buyer": shown,
                "agent": r["agent"],
                "waiting_since": r["round_start"],
                "limit_s": limit.total_seconds(),
                "excerpt": chats.get((r["shop"], r["buyer"], r["round_start"]), []),
                "metric": ev.metric_info(rule.metric, params),
                "penalty": ev.penalty_for(r["platform"], rule.metric),
            },
        }
        timers.append((finding["subject"], r["day"], None, r["round_start"] + limit, finding))
    return timers, frozenset(days)


def from_timers(ctx: Context, rule: Any, states: Callable[[datetime, Any], str | None]) -> Found:
    """The clock over a rule's timers: a finding for each timer whose state (at `now`, from
    its due time) is not None."""
    rows = ctx.store.con.execute(
        "SELECT subject, warn_at, due_at, finding FROM alert_timers WHERE rule = ?", [rule.id]
    ).fetchall()
    findings = []
    for _subject, warn_at, due_at, text in rows:
        state = states(due_at, warn_at)
        if state is None:
            continue
        f = json.loads(text)
        f["evidence"]["due_at"] = due_at
        f["evidence"]["left"] = left_text(ctx.now, due_at)
        findings.append(
            Finding(
                subject=f["subject"],
                state=state,
                title=f["title"],
                shop=f["shop"],
                platform=f["platform"],
                agent=f["agent"],
                msg_key=f["msg_key"],
                day=date.fromisoformat(f["day"]) if f["day"] else None,
                occurred_at=datetime.fromisoformat(f["occurred_at"]) if f["occurred_at"] else None,
                due_at=due_at,
                evidence=f["evidence"],
            )
        )
    return findings, ALL


def waiting(ctx: Context, rule: Any) -> Found:
    return from_timers(ctx, rule, lambda due, _warn: "waiting" if ctx.now >= due else None)


# QA findings ------------------------------------------------------------------------------------


def qa_finding(ctx: Context, rule: Any) -> Found:
    from kaohe.compliance.load import load_preset

    preset = load_preset(rule.preset) if rule.preset else None
    where, args = ["f.severity IN (SELECT unnest(?::VARCHAR[]))"], [list(rule.severities)]
    if rule.rules:
        where.append("f.rule IN (SELECT unnest(?::VARCHAR[]))")
        args.append(list(rule.rules))
    since = ctx.qa_since or datetime(1970, 1, 1)
    open_ = _open_subjects(ctx, rule.id)
    cur = ctx.store.con.execute(
        "SELECT f.msg_key, f.rule, f.category, f.severity, f.shop, f.platform, f.buyer, f.agent, "
        "f.time, f.matched, f.deduction FROM qa_findings f "
        f"WHERE {' AND '.join(where)} AND (f.found_at > ? OR "
        "(f.msg_key || '/' || f.rule) IN (SELECT unnest(?::VARCHAR[])))",
        [*args, since, open_],
    )
    names = [d[0] for d in cur.description]
    findings = {}
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        if not _allowed(rule, row["platform"]):
            continue
        subject = f"{row['msg_key']}/{row['rule']}"
        points = preset.rules.get(row["rule"]) if preset else None
        applies = preset is not None and row["platform"] in preset.platforms
        shown = ev.buyer_shown(row["buyer"])
        findings[subject] = Finding(
            subject=subject,
            state="found",
            title=f"{rule.name}: {row['shop']} · 客服 {row['agent'] or '—'} · {row['rule']}"
            f"「{ev.mask_text(row['matched']) or ''}」",
            shop=row["shop"],
            platform=row["platform"],
            agent=row["agent"],
            msg_key=row["msg_key"],
            day=row["time"].date() if row["time"] else None,
            occurred_at=row["time"],
            excerpt_at=(row["shop"], row["buyer"], row["time"]) if row["time"] else None,
            evidence={
                "buyer": shown,
                "agent": row["agent"],
                "qa_rule": row["rule"],
                "category": row["category"],
                "severity": row["severity"],
                "matched": ev.mask_text(row["matched"]),
                "deduction": row["deduction"],
                "penalty": (
                    {
                        **(ev.penalty_for(row["platform"], preset_id=preset.id) or {}),
                        "points": points,
                    }
                    if applies and preset
                    else None
                ),
            },
        )
    return list(findings.values()), Scope(subjects=frozenset([*findings, *open_]))


# deadlines --------------------------------------------------------------------------------------


def refund_deadline(ctx: Context, rule: Any) -> Found:
    """Refunds without response near or past the preset check's deadline, with the states
    the compliance code gives them (near → at_risk, late → missed)."""
    from kaohe.compliance.cycles import Cycle
    from kaohe.compliance.load import load_preset
    from kaohe.compliance.values import ValueSource

    preset = load_preset(rule.preset)
    check = next(c for c in preset.checks if c.id == rule.check)
    start = (ctx.now - timedelta(hours=check.hours) - DEADLINE_LOOKBACK).date()
    source = ValueSource(ctx.store, ctx.now, ctx.overrides)
    try:
        rows = source.refund_cases(
            Cycle("alerts", start, ctx.now.date()), check.hours, check.warn_hours
        )
    finally:
        source.close()
    findings, seen = [], set()
    for row in rows:
        seen.add(row["refund_id"])
        pending = row["first_response_at"] is None
        if (
            not pending
            or row["state"] not in ("near", "late")
            or not _allowed(rule, row["platform"])
        ):
            continue
        state = "missed" if row["state"] == "late" else "at_risk"
        due = row["applied_at"] + timedelta(hours=check.hours)
        shown = ev.buyer_shown(row["buyer"])
        findings.append(
            Finding(
                subject=row["refund_id"],
                state=state,
                title=f"{rule.name}: {row['shop']} · 售后单 {row['refund_id']} · 买家 {shown} "
                f"· 已等 {row['age_h']:g} 小时",
                shop=row["shop"],
                platform=row["platform"],
                agent=row["agent"],
                day=row["applied_at"].date(),
                occurred_at=row["applied_at"],
                due_at=due,
                evidence={
                    "buyer": shown,
                    "agent": row["agent"],
                    "refund_id": row["refund_id"],
                    "order_id": row["order_id"],
                    "type": row["type"],
                    "applied_at": row["applied_at"],
                    "waited_h": row["age_h"],
                    "hours": check.hours,
                    "warn_hours": check.warn_hours,
                    "due_at": due,
                    "left": left_text(ctx.now, due),
                    "penalty": ev.penalty_for(row["platform"], preset_id=preset.id),
                },
            )
        )
    return findings, Scope(subjects=frozenset(seen))


def _pending(ctx: Context, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    cur = ctx.store.con.execute(sql, args)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    platforms = ctx.shop_platforms()  # after fetching: a new query ends the cursor's result
    for row in rows:
        row["platform"] = platforms.get(row["shop"])
    return rows


def _deadline_findings(
    ctx: Context,
    rule: Any,
    rows: list[dict[str, Any]],
    due_of: Callable[[dict[str, Any]], datetime],
    describe: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]],
    penalty: dict[str, Any] | None,
) -> Found:
    """Rows with `id`, `pending`, `begin`: a finding for each pending one near or past due."""
    findings, seen = [], set()
    warn = timedelta(minutes=rule.warn_minutes)
    for row in rows:
        seen.add(str(row["id"]))
        if not row["pending"] or not _allowed(rule, row["platform"]):
            continue
        due = due_of(row)
        state = deadline_state(ctx.now, due, warn)
        if state is None:
            continue
        what, extra = describe(row)
        findings.append(
            Finding(
                subject=str(row["id"]),
                state=state,
                title=f"{rule.name}: {row['shop']} · {what} · 到期 {due:%m-%d %H:%M}",
                shop=row["shop"],
                platform=row["platform"],
                agent=row.get("agent"),
                day=row["begin"].date(),
                occurred_at=row["begin"],
                due_at=due,
                evidence={
                    "agent": row.get("agent"),
                    **extra,
                    "due_at": due,
                    "left": left_text(ctx.now, due),
                    "penalty": penalty,
                },
            )
        )
    return findings, Scope(subjects=frozenset(seen))


def service_order_deadline(ctx: Context, rule: Any) -> Found:
    from kaohe.engine.rows import part_params

    params = part_params(rule.metric, ctx.overrides)
    review = rule.metric == "so_review_20min_rate"
    begin, done = ("applied_at", "first_reviewed_at") if review else ("ready_at", "first_result_at")
    rows = _pending(
        ctx,
        f"SELECT id, shop, agent, {begin} AS begin, {done} IS NULL AS pending FROM service_orders "
        f"WHERE {begin} >= ? AND {begin} <= ?",
        [ctx.now - DEADLINE_LOOKBACK, ctx.now],
    )
    seconds = float(params["minutes"]) * 60
    step = "审核" if review else "处理"
    return _deadline_findings(
        ctx,
        rule,
        rows,
        lambda r: business_due(r["begin"], seconds, params["service_hours"]),
        lambda r: (
            f"服务单 {r['id']} 待{step}",
            {
                "service_order": r["id"],
                "begin": r["begin"],
                "metric": ev.metric_info(rule.metric, params),
            },
        ),
        None,
    )


def _ticket_rows(ctx: Context, kind: str, span: timedelta) -> list[dict[str, Any]]:
    return _pending(
        ctx,
        "SELECT id, shop, agent, buyer, received_at AS begin, replied_at IS NULL AS pending "
        "FROM tickets WHERE kind = ? AND received_at >= ? AND received_at <= ?",
        [kind, ctx.now - span, ctx.now],
    )


def _ticket_describe(rule: Any, params: Mapping[str, Any], label: str) -> Callable:
    def describe(r: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        shown = ev.buyer_shown(r["buyer"])
        return (
            f"{label} {r['id']} · 买家 {shown or '—'}",
            {
                "ticket": r["id"],
                "buyer": shown,
                "received_at": r["begin"],
                "metric": ev.metric_info(rule.metric, params),
            },
        )

    return describe


def email_deadline(ctx: Context, rule: Any) -> Found:
    from kaohe.compliance.cases import email_due
    from kaohe.engine.rows import part_params

    params = part_params(rule.metric, ctx.overrides)
    rows = _ticket_rows(ctx, "email", DEADLINE_LOOKBACK)
    return _deadline_findings(
        ctx,
        rule,
        rows,
        lambda r: email_due(r["begin"], params["cutoff"], params["deadline"]),
        _ticket_describe(rule, params, "邮件"),
        ev.penalty_for("jd", preset_id="jd_deadlines"),
    )


def ticket_deadline(ctx: Context, rule: Any) -> Found:
    from kaohe.engine.rows import part_params

    params = part_params(rule.metric, ctx.overrides)
    hours = timedelta(hours=float(params["hours"]))
    rows = _ticket_rows(ctx, "complaint", DEADLINE_LOOKBACK)
    return _deadline_findings(
        ctx,
        rule,
        rows,
        lambda r: r["begin"] + hours,
        _ticket_describe(rule, params, "投诉工单"),
        ev.penalty_for("jd", preset_id="jd_deadlines"),
    )


# the window to answer a rating ------------------------------------------------------------------

_UNANSWERED_SQL = """
SELECT r.rating_key FROM ratings r
WHERE r.rating_key IN (SELECT unnest(?::VARCHAR[]))
  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.shop = r.shop AND m.buyer = r.buyer
                  AND m.sender = 'agent' AND m.time > r.time)
"""


def rating_window_timers(ctx: Context, rule: Any) -> tuple[list[tuple], frozenset[date]]:
    """At import: the poor ratings of the last `window_hours` the shop has not answered (no
    message from the shop to the buyer after the rating), as timers due when the window
    closes. Every timer of the rule is rebuilt (the set is small)."""
    since = ctx.now - timedelta(hours=rule.window_hours)
    keys = [
        k
        for (k,) in ctx.store.con.execute(
            "SELECT rating_key FROM ratings WHERE time >= ? AND time <= ?", [since, ctx.now]
        ).fetchall()
    ]
    bad = _bad_ratings(ctx, rule.parts, keys)
    unanswered = [k for (k,) in ctx.store.con.execute(_UNANSWERED_SQL, [sorted(bad)]).fetchall()]
    rows = _rating_rows(ctx, unanswered)
    platforms = ctx.shop_platforms()
    timers = []
    for key, row in rows.items():
        platform = platforms.get(row["shop"])
        if not _allowed(rule, platform):
            continue
        due = row["time"] + timedelta(hours=rule.window_hours)
        shown = ev.buyer_shown(row["buyer"])
        finding = {
            "subject": key,
            "title": f"{rule.name}: {row['shop']} · 客服 {row['agent']} · 买家 {shown} "
            f"评价「{row['level_label'] or row['level']}」未回应",
            "shop": row["shop"],
            "platform": platform,
            "agent": row["agent"],
            "msg_key": None,
            "day": row["time"].date(),
            "occurred_at": row["time"],
            "evidence": {
                "buyer": shown,
                "agent": row["agent"],
                "rating": row["level_label"] or row["level"],
                "rated_at": row["time"],
                "window_hours": rule.window_hours,
            },
        }
        timers.append(
            (key, row["time"].date(), due - timedelta(hours=rule.warn_hours), due, finding)
        )
    return timers, frozenset()


def rating_window(ctx: Context, rule: Any) -> Found:
    def state(due: datetime, warn: datetime | None) -> str | None:
        return deadline_state(ctx.now, due, due - (warn or due))

    return from_timers(ctx, rule, state)


# compliance and metric windows ------------------------------------------------------------------


def compliance(ctx: Context, rule: Any) -> Found:
    from kaohe.alerts.inbox import state_get, state_set
    from kaohe.compliance.check import run_checks
    from kaohe.compliance.report import consequence_text, notes_text, result_threshold_text

    mark = f"ran:{rule.id}"
    last = state_get(ctx.store, mark)
    if last and timedelta(0) <= ctx.now - datetime.fromisoformat(last) < timedelta(
        minutes=rule.every_minutes
    ):
        return NOTHING
    with ctx.store.transaction() as con:
        state_set(con, mark, ctx.now.isoformat())
    month = f"{ctx.now:%Y-%m}"
    results = run_checks(ctx.store, month, rule.presets, ctx.now, dict(ctx.overrides))
    findings, seen = [], set()
    for r in results:
        subject = f"{r.preset}/{r.check}/{r.subject}/{r.cycle}"
        seen.add(subject)
        if r.status not in rule.statuses or not _allowed(rule, r.platform):
            continue
        verdict = "有风险" if r.status == "at_risk" else "不达标"
        findings.append(
            Finding(
                subject=subject,
                state=r.status,
                title=f"{rule.name}: {r.shop} · {r.preset}/{r.check} · {r.cycle} {verdict}",
                shop=r.shop,
                platform=r.platform,
                agent=r.agent,
                day=r.cycle_end,
                evidence={
                    "preset": r.preset,
                    "check": r.check,
                    "cycle": r.cycle,
                    "running": r.running,
                    "value": r.value,
                    "projected": r.projected,
                    "threshold": result_threshold_text(r),
                    "unit": r.unit,
                    "status": r.status,
                    "consequence": consequence_text(r),
                    "penalty": {"consequence": consequence_text(r), "penalty": r.penalty},
                    "cases_total": r.cases_total,
                    "cases": r.cases[:3],
                    "notes": notes_text(r),
                },
            )
        )
    return findings, Scope(subjects=frozenset(seen | _checked_before(ctx, rule)))


def _checked_before(ctx: Context, rule: Any) -> set[str]:
    """The rule's alerts on this month's cycles of the presets just run: a subject that no
    longer has data (no result at all) has no failing cycle either."""
    from kaohe.compliance.load import list_presets

    first = ctx.now.date().replace(day=1)
    run = set(rule.presets or [p.id for p in list_presets()])
    rows = ctx.store.con.execute(
        "SELECT subject FROM alerts WHERE rule = ? AND active AND day BETWEEN ? AND ?",
        [rule.id, first, first + timedelta(days=37)],
    ).fetchall()
    return {s for (s,) in rows if s.split("/", 1)[0] in run}


def metric_window(ctx: Context, rule: Any) -> Found:
    from kaohe.engine import compute_kpis
    from kaohe.engine.rows import part_params

    today = ctx.now.date()
    period = Period(today - timedelta(days=rule.days - 1), today, f"近{rule.days}天")
    by = ("shop", "platform") if rule.by == "shop" else ("agent",)
    rows = compute_kpis(
        ctx.store,
        by=by,
        period=period,
        metrics=[rule.metric, rule.volume],
        params=ctx.overrides,
        use_facts=False,
    )
    params = part_params(rule.metric, ctx.overrides)
    findings = []
    for row in rows:
        value, volume = row.get(rule.metric), row.get(rule.volume) or 0
        if value is None or volume < rule.min_volume or not _allowed(rule, row.get("platform")):
            continue
        crossed = value > rule.above if rule.above is not None else value < rule.below
        if not crossed:
            continue
        who = row.get("shop") or row.get("agent")
        unit = ev.metric_info(rule.metric, params)["unit"]
        limit = rule.above if rule.above is not None else rule.below
        sign = ">" if rule.above is not None else "<"
        findings.append(
            Finding(
                subject=str(who),
                state="over",
                title=f"{rule.name}: {who} {period.label} {ev.value_text(value, unit)} "
                f"{sign} {ev.value_text(limit, unit)} (量 {volume:g})",
                shop=row.get("shop"),
                platform=row.get("platform"),
                agent=row.get("agent"),
                day=today,
                evidence={
                    "metric": ev.metric_info(rule.metric, params, value, f"{who} {period.label}"),
                    "threshold": f"{sign} {ev.value_text(limit, unit)}",
                    "volume": {"metric": rule.volume, "value": volume, "min": rule.min_volume},
                    "from": period.start,
                    "to": period.end,
                    "penalty": ev.penalty_for(row.get("platform"), rule.metric),
                },
            )
        )
    return findings, ALL


IMPORT_KINDS: dict[str, Callable[[Context, Any], Found]] = {
    "rating": rating,
    "slow_round": slow_round,
    "qa_finding": qa_finding,
    "compliance": compliance,
    "metric_window": metric_window,
}
CLOCK: dict[str, Callable[[Context, Any], Found]] = {
    "waiting": waiting,
    "refund_deadline": refund_deadline,
    "service_order_deadline": service_order_deadline,
    "email_deadline": email_deadline,
    "ticket_deadline": ticket_deadline,
    "rating_window": rating_window,
}
TIMERS: dict[str, Callable[[Context, Any], tuple[list[tuple], frozenset[date]]]] = {
    "waiting": waiting_timers,
    "rating_window": rating_window_timers,
}
