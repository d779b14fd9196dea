"""Evaluating the rules: `evaluate_imports` after an import (the new data only, since the
watermark or the import ids given), `evaluate_clock` every minute (deadlines and waiting
buyers, needing only the clock). Both then route, escalate and send; `now` is injectable so
tests and the scheduler own the clock."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kaohe.alerts import deliver, kinds
from kaohe.alerts.inbox import Changes, reconcile, state_get, state_set
from kaohe.alerts.setup import Setup

if TYPE_CHECKING:
    from kaohe.store import Store

IMPORT_MARK = "import_watermark"
QA_MARK = "qa_watermark"


@dataclass
class Report:
    """What an evaluation did (for the CLI, the scheduler's run log and the benchmark)."""

    changes: Changes = field(default_factory=Changes)
    imports: tuple[int, ...] = ()
    queued: int = 0
    escalated: list[int] = field(default_factory=list)
    sent: deliver.Sent = field(default_factory=deliver.Sent)
    digest: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, other: Report) -> None:
        self.changes.add(other.changes)
        self.imports = self.imports or other.imports
        self.queued += other.queued
        self.escalated += other.escalated
        for name in ("messages", "alerts", "queued"):
            mine = getattr(self.sent, name)
            for key, n in getattr(other.sent, name).items():
                mine[key] = mine.get(key, 0) + n
        self.sent.errors += other.sent.errors
        self.digest += other.digest
        self.seconds.update(other.seconds)


def _new_imports(store: Store) -> tuple[int, ...]:
    mark = int(state_get(store, IMPORT_MARK) or 0)
    rows = store.con.execute(
        "SELECT import_id FROM import_log WHERE import_id > ? ORDER BY import_id", [mark]
    ).fetchall()
    return tuple(int(r[0]) for r in rows)


def _qa_since(store: Store) -> datetime | None:
    mark = state_get(store, QA_MARK)
    return datetime.fromisoformat(mark) if mark else None


# the slow kinds (every compliance preset over the month) run after the others' alerts are out
LATE_KINDS = ("compliance",)


def evaluate_imports(
    store: Store,
    setup: Setup,
    now: datetime | None = None,
    import_ids: Sequence[int] | None = None,
    send: bool = True,
) -> Report:
    """The data rules on what the imports (default: every import since the last evaluation)
    and the QA run since brought, then the clock rules, routing and sending; then the slow
    rules (compliance), sent in their turn. The watermarks move on."""
    now = now or datetime.now()
    ids = tuple(import_ids) if import_ids is not None else _new_imports(store)
    ctx = kinds.Context(store, now, setup.base_url, setup.overrides, ids, _qa_since(store))
    report = Report(imports=ids)
    from kaohe.store import scalar

    qa_mark = scalar(store.con, "SELECT max(found_at) FROM qa_findings")
    early = [r for r in setup.rules.rules if r.enabled and r.kind not in LATE_KINDS]
    late = [r for r in setup.rules.rules if r.enabled and r.kind in LATE_KINDS]
    try:
        _data_rules(ctx, early, report)
        with store.transaction() as con:
            if ids:
                state_set(con, IMPORT_MARK, str(max(ids)))
            if qa_mark is not None:
                state_set(con, QA_MARK, qa_mark.isoformat())
        report.add(evaluate_clock(store, setup, now, send=send, carried=report.changes.notify))
        if late and ids:
            later = Report()
            _data_rules(ctx, late, later)
            report.add(later)
            report.add(evaluate_clock(store, setup, now, send, later.changes.notify, clock=False))
    finally:
        ctx.close()
    return report


def _data_rules(ctx: kinds.Context, rules: Sequence[Any], report: Report) -> None:
    for rule in rules:
        began = time.perf_counter()
        # QA findings come from `kaohe qa run`, not an import: always re-read (cheap)
        if rule.kind in kinds.IMPORT_KINDS and (ctx.import_ids or rule.kind == "qa_finding"):
            found, scope = kinds.IMPORT_KINDS[rule.kind](ctx, rule)
            report.changes.add(reconcile(ctx.store, rule, found, scope, ctx.now))
        if rule.kind in kinds.TIMERS and ctx.import_ids:
            timers, days = kinds.TIMERS[rule.kind](ctx, rule)
            _replace_timers(ctx.store, rule.id, timers, days)
        report.seconds[rule.id] = time.perf_counter() - began


def _replace_timers(store: Store, rule_id: str, timers: list[tuple], days: frozenset) -> None:
    """A rule's timers for the days evaluated (every timer of the rule when `days` is empty).
    Timers still due are updated in place and only the others deleted: DuckDB 1.4 refuses to
    commit a second delete-and-insert of the same key while a reader of the server still holds
    a snapshot from before the first ("write-write conflict on key"), so deleting and inserting
    every timer again failed the alert evaluation of the next import under load."""
    kept = sorted({subject for subject, *_ in timers})
    with store.transaction() as con:
        stale = "rule = ? AND subject NOT IN (SELECT unnest(?::VARCHAR[]))"
        if days:
            con.execute(
                f"DELETE FROM alert_timers WHERE {stale} AND day IN (SELECT unnest(?::DATE[]))",
                [rule_id, kept, sorted(days)],
            )
        else:
            con.execute(f"DELETE FROM alert_timers WHERE {stale}", [rule_id, kept])
        if timers:
            con.executemany(
                "INSERT OR REPLACE INTO alert_timers VALUES (?, ?, ?, ?, ?, ?)",
                [
                    [
                        rule_id,
                        subject,
                        day,
                        warn_at,
                        due_at,
                        json.dumps(f, ensure_ascii=False, default=str),
                    ]
                    for subject, day, warn_at, due_at, f in timers
                ],
            )


def evaluate_clock(
    store: Store,
    setup: Setup,
    now: datetime | None = None,
    send: bool = True,
    carried: Sequence[int] = (),
    clock: bool = True,
) -> Report:
    """The clock rules at `now`, then routing, escalation and sending (the scheduler's
    minute). `carried`: alerts an import-time pass just fired, to route with these;
    `clock=False`: only route and send them."""
    now = now or datetime.now()
    ctx = kinds.Context(store, now, setup.base_url, setup.overrides)
    report = Report()
    try:
        for rule in setup.rules.rules:
            if clock and rule.enabled and rule.kind in kinds.CLOCK:
                began = time.perf_counter()
                found, scope = kinds.CLOCK[rule.kind](ctx, rule)
                report.changes.add(reconcile(store, rule, found, scope, now))
                report.seconds[rule.id] = time.perf_counter() - began
    finally:
        ctx.close()
    began = time.perf_counter()
    report.queued = deliver.queue(store, setup.routing, [*carried, *report.changes.notify], now)
    report.escalated = deliver.escalate(store, setup.routing, now)
    if send:
        report.sent = deliver.dispatch(store, setup.channels, setup.routing, now, setup.base_url)
        report.digest, errors = deliver.daily_digest(
            store, setup.channels, setup.routing, now, setup.base_url, setup.digest_at
        )
        report.sent.errors += errors
    report.seconds["deliver"] = time.perf_counter() - began
    return report
