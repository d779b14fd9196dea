"""Dismissed QA findings: a reviewer marks a finding a false positive (误报), or a supervisor
accepts an agent's appeal of it. A dismissed finding leaves every quality metric (the engine's
qa sources anti-join qa_dismissals) and so the scheme scores and pay that read them; it stays
dismissed when the inspection runs again (keyed by pack, message and rule), and each
dismissal and restoration is logged with who, when and why (qa_dismissal_log)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kaohe.errors import NotFoundError, UsageError

FALSE_POSITIVE, APPEAL = "false_positive", "appeal"
KINDS = {FALSE_POSITIVE: "误报", APPEAL: "申诉通过"}


@dataclass(frozen=True)
class FindingKey:
    pack: str
    msg_key: str
    rule: str


def _finding(store: Any, key: FindingKey) -> tuple[Any, Any]:
    """(time, agent) of the stored finding, or a not-found error naming it."""
    row = store.con.execute(
        "SELECT time, agent FROM qa_findings WHERE pack = ? AND msg_key = ? AND rule = ? LIMIT 1",
        [key.pack, key.msg_key, key.rule],
    ).fetchone()
    if row is None:
        raise NotFoundError(
            f"未找到该质检发现（规则 {key.rule}，消息 {key.msg_key}）/ "
            f"no finding of rule {key.rule!r} on message {key.msg_key!r}"
        )
    return row[0], row[1]


def dismiss(
    store: Any, key: FindingKey, by: str, reason: str = "", kind: str = FALSE_POSITIVE
) -> None:
    """Take the finding out of the scores (idempotent: dismissing it again changes nothing)."""
    if kind not in KINDS:
        raise UsageError(f"未知的撤销类型 {kind!r} / unknown dismissal kind {kind!r}")
    time, agent = _finding(store, key)
    with store.transaction() as con:
        if _is_dismissed(con, key):
            return
        con.execute(
            "INSERT INTO qa_dismissals (pack, msg_key, rule, time, agent, kind, reason, by_user, "
            '"at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [key.pack, key.msg_key, key.rule, time, agent, kind, reason, by, datetime.now()],
        )
        _log(con, "dismiss", key, agent, kind, reason, by)


def restore(store: Any, key: FindingKey, by: str, reason: str = "") -> None:
    """Put a dismissed finding back into the scores (idempotent)."""
    _, agent = _finding(store, key)
    with store.transaction() as con:
        if not _is_dismissed(con, key):
            return
        con.execute(
            "DELETE FROM qa_dismissals WHERE pack = ? AND msg_key = ? AND rule = ?",
            [key.pack, key.msg_key, key.rule],
        )
        _log(con, "restore", key, agent, None, reason, by)


def _is_dismissed(con: Any, key: FindingKey) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM qa_dismissals WHERE pack = ? AND msg_key = ? AND rule = ?",
            [key.pack, key.msg_key, key.rule],
        ).fetchone()[0]
    )


def _log(
    con: Any,
    action: str,
    key: FindingKey,
    agent: Any,
    kind: str | None,
    reason: str,
    by: str,
) -> None:
    con.execute(
        'INSERT INTO qa_dismissal_log ("at", action, pack, msg_key, rule, agent, kind, reason, '
        "by_user) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [datetime.now(), action, key.pack, key.msg_key, key.rule, agent, kind, reason, by],
    )


def dismissed(store: Any) -> dict[FindingKey, dict[str, Any]]:
    """Every dismissed finding with its kind, reason, who and when."""
    rows = store.con.execute(
        'SELECT pack, msg_key, rule, kind, reason, by_user, "at" FROM qa_dismissals'
    ).fetchall()
    return {
        FindingKey(p, m, r): {"kind": k, "reason": why, "by": who, "at": at}
        for p, m, r, k, why, who, at in rows
    }


def history(store: Any, key: FindingKey) -> list[dict[str, Any]]:
    """The finding's dismissals and restorations, oldest first."""
    rows = store.con.execute(
        'SELECT "at", action, kind, reason, by_user FROM qa_dismissal_log '
        'WHERE pack = ? AND msg_key = ? AND rule = ? ORDER BY "at"',
        [key.pack, key.msg_key, key.rule],
    ).fetchall()
    return [
        {"at": at, "action": action, "kind": kind, "reason": reason, "by": by}
        for at, action, kind, reason, by in rows
    ]


@dataclass
class Filters:
    """What the findings work list narrows to; empty means any."""

    rule: str = ""
    severity: str = ""
    agent: str = ""
    shop: str = ""
    day: str = ""  # YYYY-MM-DD within the period
    status: str = ""  # open | dismissed


def work_list(
    store: Any,
    period: Any,
    filters: Filters,
    scope: set[str] | None = None,
    masked: bool = True,
    limit: int = 500,
) -> tuple[list[dict[str, Any]], int]:
    """The period's findings against agents (newest first, at most `limit`) with whether and
    why each was dismissed, and how many match in all; `scope`: the agents the reader may see
    (None: all); buyer data masked unless `masked` is False."""
    from kaohe.privacy import mask_buyer, mask_text
    from kaohe.qa.findings import bounds

    start, end = bounds(period, store)
    where = ["f.time >= ?", "f.time < ?", "f.agent IS NOT NULL"]
    args: list[Any] = [start, end]
    for column, value in (
        ("f.rule", filters.rule),
        ("f.severity", filters.severity),
        ("f.agent", filters.agent),
        ("f.shop", filters.shop),
    ):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    if filters.day:
        where.append("CAST(f.time AS DATE) = CAST(? AS DATE)")
        args.append(filters.day)
    if filters.status == "open":
        where.append("d.rule IS NULL")
    elif filters.status == "dismissed":
        where.append("d.rule IS NOT NULL")
    if scope is not None:
        where.append("f.agent IN (SELECT unnest(?))")
        args.append(sorted(scope))
    base = (
        "FROM qa_findings f LEFT JOIN qa_dismissals d ON d.pack = f.pack "
        "AND d.msg_key = f.msg_key AND d.rule = f.rule "
        f"WHERE {' AND '.join(where)}"
    )
    total = store.con.execute(f"SELECT count(*) {base}", args).fetchone()[0]
    sql = (
        "SELECT f.pack, f.msg_key, f.rule, f.category, f.severity, f.time, f.shop, f.agent, "
        'f.buyer, f.matched, f.deduction, d.kind, d.reason, d.by_user, d."at" '
        f"{base} ORDER BY f.time DESC, f.msg_key, f.rule LIMIT {int(limit)}"
    )
    out = []
    for row in store.con.execute(sql, args).fetchall():
        pack, key, rule, category, severity, time, shop, agent, buyer, matched = row[:10]
        deduction, kind, reason, by, at = row[10:]
        out.append(
            {
                "pack": pack,
                "msg_key": key,
                "rule": rule,
                "category": category,
                "severity": severity,
                "time": time,
                "shop": shop,
                "agent": agent,
                "buyer": mask_buyer(buyer) if masked else buyer,
                "matched": mask_text(matched) if masked and matched else matched,
                "deduction": deduction,
                "dismissed": kind is not None,
                "kind": kind,
                "kind_text": KINDS.get(kind or "", ""),
                "reason": reason,
                "by": by,
                "at": at,
            }
        )
    return out, int(total)
