"""The alert inbox in the store: an alert per rule and subject that fires once, changes state
(有风险 → 已超时), resolves itself when its condition clears, and carries its audited events
(fired, sent, acknowledged, assigned, commented, escalated, resolved: who and when).

A subject that a person resolved while its condition still holds stays quiet until the
condition clears; it fires again (a new alert) only if it comes back after that."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from kaohe.alerts.model import KIND_STATES, SEVERITIES
from kaohe.engine.alerting import SYSTEM
from kaohe.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from kaohe.store import Store

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
STATUSES = (OPEN, ACKNOWLEDGED, RESOLVED)
STATUS_ZH = {OPEN: "待处理", ACKNOWLEDGED: "已确认", RESOLVED: "已解决"}
SEVERITY_ZH = {"info": "提示", "warning": "警告", "critical": "严重"}
EVENTS = ("fired", "sent", "acknowledged", "assigned", "commented", "escalated", "resolved")


@dataclass
class Finding:
    """One subject whose condition holds now. `buyer` never leaves this object unmasked: the
    subject carries a hash of it, the evidence a masked form."""

    subject: str
    state: str
    title: str
    shop: str | None = None
    platform: str | None = None
    agent: str | None = None
    msg_key: str | None = None
    day: date | None = None
    occurred_at: datetime | None = None
    due_at: datetime | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    # (shop, buyer, moment): the chat excerpt to add to the evidence, fetched in one query for
    # every finding of an evaluation
    excerpt_at: tuple[str, str, datetime] | None = None


@dataclass
class Changes:
    """What an evaluation did: alerts to notify (fired or worsened) and those resolved."""

    notify: list[int] = field(default_factory=list)
    fired: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)

    def add(self, other: Changes) -> None:
        self.notify += other.notify
        self.fired += other.fired
        self.resolved += other.resolved


def buyer_ref(buyer: str | None) -> str:
    """A stable token for a buyer in subjects and keys, with nothing of the account in it."""
    if not buyer:
        return "-"
    return "b" + hashlib.sha1(buyer.encode("utf-8")).hexdigest()[:10]


def _json(value: Any) -> str:
    def default(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()
        return str(v)

    return json.dumps(value, ensure_ascii=False, default=default)


def record(
    con: Any, alert_id: int, kind: str, actor: str, at: datetime, detail: Any = None
) -> None:
    """One audited event of an alert."""
    con.execute(
        "INSERT INTO alert_events VALUES (?, ?, ?, ?, ?)",
        [alert_id, at, kind, actor, None if detail is None else _json(detail)],
    )


# the scope an evaluation judged: every subject of the rule, some subjects, or some days -------


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    subjects: frozenset[str] = frozenset()
    days: frozenset[date] = frozenset()

    def covers(self, subject: str, day: date | None) -> bool:
        return self.everything or subject in self.subjects or (day is not None and day in self.days)


ALL = Scope(everything=True)


def reconcile(
    store: Store, rule: Any, findings: Iterable[Finding], scope: Scope, now: datetime
) -> Changes:
    """Fire new findings, update changed ones, resolve the alerts of the rule inside `scope`
    whose condition no longer holds."""
    changes = Changes()
    found = {f.subject: f for f in findings}
    _add_excerpts(store, list(found.values()))
    latest = _latest(store, rule.id)
    teams = _teams(store, {f.agent for f in found.values() if f.agent})
    with store.transaction() as con:
        new = []
        for subject, finding in found.items():
            row = latest.get(subject)
            if row is None or (row["status"] == RESOLVED and not row["active"]):
                new.append(finding)
            else:
                _refresh(con, rule, row, finding, now, changes)
        fired = _fire(con, rule, new, teams, now)
        changes.notify += fired
        changes.fired += fired
        for subject, row in latest.items():
            if subject in found or not row["active"] or not scope.covers(subject, row["day"]):
                continue
            if row["status"] != RESOLVED:
                _resolve(con, row["id"], SYSTEM, now, {"reason": "condition cleared"})
                changes.resolved.append(row["id"])
            con.execute("UPDATE alerts SET active = false WHERE id = ?", [row["id"]])
    return changes


def insert_rows(con: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """Many rows in one statement (row-by-row inserts cost a round trip each)."""
    import pyarrow as pa

    if not rows:
        return
    con.register("_alert_rows", pa.Table.from_pylist(rows))
    try:
        cols = ", ".join(f'"{c}"' for c in rows[0])
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _alert_rows")
    finally:
        con.unregister("_alert_rows")


def _add_excerpts(store: Store, findings: list[Finding]) -> None:
    from kaohe.alerts.evidence import excerpts

    wanted = [f.excerpt_at for f in findings if f.excerpt_at]
    got = excerpts(store, wanted) if wanted else {}
    for f in findings:
        if f.excerpt_at:
            f.evidence["excerpt"] = got.get(f.excerpt_at, [])


def _latest(store: Store, rule_id: str) -> dict[str, dict[str, Any]]:
    cur = store.con.execute(
        "SELECT id, subject, state, status, active, day FROM alerts WHERE rule = ? "
        "QUALIFY row_number() OVER (PARTITION BY subject ORDER BY id DESC) = 1",
        [rule_id],
    )
    names = [d[0] for d in cur.description]
    return {r[1]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def _teams(store: Store, agents: set[str]) -> dict[str, str | None]:
    if not agents:
        return {}
    rows = store.con.execute(
        "SELECT agent, team FROM agents WHERE agent IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(agents)],
    ).fetchall()
    return dict(rows)


def _fire(
    con: Any, rule: Any, new: list[Finding], teams: Mapping[str, Any], now: datetime
) -> list[int]:
    if not new:
        return []
    ids = [
        int(r[0])
        for r in con.execute(
            "SELECT nextval('alert_id_seq') FROM range(?) ORDER BY 1", [len(new)]
        ).fetchall()
    ]
    alerts = [
        {
            "id": alert_id,
            "rule": rule.id,
            "subject": f.subject,
            "kind": rule.kind,
            "state": f.state,
            "severity": rule.severity_of(f.state),
            "status": OPEN,
            "active": True,
            "title": f.title,
            "shop": f.shop,
            "platform": f.platform,
            "agent": f.agent,
            "team": teams.get(f.agent) if f.agent else None,
            "msg_key": f.msg_key,
            "day": f.day,
            "occurred_at": f.occurred_at,
            "due_at": f.due_at,
            "evidence": _json(f.evidence),
            "fired_at": now,
            "updated_at": now,
            "level": 0,
        }
        for alert_id, f in zip(ids, new, strict=True)
    ]
    insert_rows(con, "alerts", alerts)
    insert_rows(
        con,
        "alert_events",
        [
            {
                "alert_id": a["id"],
                "at": now,
                "kind": "fired",
                "actor": SYSTEM,
                "detail": _json({"state": a["state"]}),
            }
            for a in alerts
        ],
    )
    return ids


def _refresh(
    con: Any, rule: Any, row: Mapping[str, Any], f: Finding, now: datetime, changes: Changes
) -> None:
    """The condition still holds: keep the alert, and tell again only when its state worsened
    (有风险 → 已超时); a resolved alert is kept quiet."""
    states = list(KIND_STATES[rule.kind])
    worse = states.index(f.state) > states.index(row["state"]) if row["state"] in states else False
    if row["status"] == RESOLVED or f.state == row["state"]:
        if not row["active"]:  # the evidence stays as it was when the state last changed
            con.execute("UPDATE alerts SET active = true WHERE id = ?", [row["id"]])
        return
    con.execute(
        "UPDATE alerts SET state = ?, severity = ?, title = ?, evidence = ?, due_at = ?, "
        "updated_at = ?, active = true WHERE id = ?",
        [f.state, rule.severity_of(f.state), f.title, _json(f.evidence), f.due_at, now, row["id"]],
    )
    record(con, row["id"], "fired", SYSTEM, now, {"state": f.state, "from": row["state"]})
    if worse:
        changes.notify.append(row["id"])


def _resolve(con: Any, alert_id: int, who: str, now: datetime, detail: Any) -> None:
    con.execute(
        "UPDATE alerts SET status = ?, resolved_at = ?, resolved_by = ?, updated_at = ? "
        "WHERE id = ?",
        [RESOLVED, now, who, now, alert_id],
    )
    record(con, alert_id, "resolved", who, now, detail)


# actions by people (the CLI now, the inbox page later) ----------------------------------------


def get_alert(store: Store, alert_id: int) -> dict[str, Any]:
    cur = store.con.execute("SELECT * FROM alerts WHERE id = ?", [alert_id])
    row = cur.fetchone()
    if row is None:
        raise NotFoundError(f"没有这条预警 / no alert #{alert_id}")
    alert = dict(zip([d[0] for d in cur.description], row, strict=True))
    alert["evidence"] = json.loads(alert["evidence"] or "{}")
    return alert


def acknowledge(store: Store, alert_id: int, who: str, now: datetime) -> dict[str, Any]:
    alert = get_alert(store, alert_id)
    if alert["status"] != OPEN:
        raise UsageError(
            f"预警 #{alert_id} 已是{STATUS_ZH[alert['status']]} / alert #{alert_id} is already "
            f"{alert['status']}"
        )
    with store.transaction() as con:
        con.execute(
            "UPDATE alerts SET status = ?, acknowledged_at = ?, acknowledged_by = ?, "
            "updated_at = ? WHERE id = ?",
            [ACKNOWLEDGED, now, who, now, alert_id],
        )
        record(con, alert_id, "acknowledged", who, now)
    return get_alert(store, alert_id)


def assign(store: Store, alert_id: int, to: str, who: str, now: datetime) -> None:
    get_alert(store, alert_id)
    with store.transaction() as con:
        con.execute(
            "UPDATE alerts SET assigned_to = ?, updated_at = ? WHERE id = ?", [to, now, alert_id]
        )
        record(con, alert_id, "assigned", who, now, {"to": to})


def comment(store: Store, alert_id: int, text: str, who: str, now: datetime) -> None:
    from kaohe.privacy import mask_text

    get_alert(store, alert_id)
    with store.transaction() as con:
        record(con, alert_id, "commented", who, now, {"text": mask_text(text)})


def resolve(store: Store, alert_id: int, who: str, now: datetime, note: str | None = None) -> None:
    alert = get_alert(store, alert_id)
    if alert["status"] == RESOLVED:
        raise UsageError(f"预警 #{alert_id} 已解决 / alert #{alert_id} is already resolved")
    with store.transaction() as con:
        if alert["acknowledged_at"] is None:  # resolving answers the alert too
            con.execute(
                "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?",
                [now, who, alert_id],
            )
        _resolve(con, alert_id, who, now, {"note": note} if note else None)


def events(store: Store, alert_id: int) -> list[dict[str, Any]]:
    cur = store.con.execute(
        'SELECT "at", kind, actor, detail FROM alert_events WHERE alert_id = ? ORDER BY "at", '
        "rowid",
        [alert_id],
    )
    return [
        {"at": at, "kind": kind, "actor": actor, "detail": json.loads(d) if d else None}
        for at, kind, actor, d in cur.fetchall()
    ]


LIST_COLUMNS = (
    "id",
    "rule",
    "state",
    "severity",
    "status",
    "title",
    "shop",
    "agent",
    "team",
    "fired_at",
    "due_at",
    "acknowledged_by",
    "assigned_to",
    "resolved_at",
    "resolved_by",
    "level",
)


def list_alerts(
    store: Store,
    status: str | None = None,
    rule: str | None = None,
    shop: str | None = None,
    severity: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The inbox, newest first; `status` open, acknowledged, resolved or active (open and
    acknowledged)."""
    where, args = ["1 = 1"], []
    if status == "active":
        where.append("status IN ('open', 'acknowledged')")
    elif status:
        if status not in STATUSES:
            raise UsageError(
                f"未知状态 / unknown status {status!r} (use {', '.join(STATUSES)}, active)"
            )
        where.append("status = ?")
        args.append(status)
    for column, value in (("rule", rule), ("shop", shop)):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    if severity:
        if severity not in SEVERITIES:
            raise UsageError(f"未知级别 / unknown severity {severity!r} ({', '.join(SEVERITIES)})")
        where.append("severity = ?")
        args.append(severity)
    cols = ", ".join(LIST_COLUMNS)
    cur = store.con.execute(
        f"SELECT {cols} FROM alerts WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT {limit}",
        args,
    )
    return [dict(zip(LIST_COLUMNS, r, strict=True)) for r in cur.fetchall()]


# watermarks -----------------------------------------------------------------------------------


def state_get(store: Store, key: str) -> str | None:
    row = store.con.execute("SELECT value FROM alert_state WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def state_set(con: Any, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO alert_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
        [key, value, value],
    )
