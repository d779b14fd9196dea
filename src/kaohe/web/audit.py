"""The audit log: logins (success and failure), exports, imports and reviews."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kaohe.web.auth import User


def record(
    store: Any,
    user: User | None,
    action: str,
    detail: str,
    *,
    ip: str | None = None,
    username: str | None = None,
) -> None:
    """One audit row; `username` names the actor when there is no user (a failed login)."""
    who = user.username if user is not None else username
    store.con.execute(
        'INSERT INTO audit_log ("at", username, action, detail, ip) '
        "VALUES (current_timestamp, ?, ?, ?, ?)",
        [who, action, detail, ip],
    )


def entries(store: Any, action: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Latest audit rows first (optionally of one action)."""
    where, args = ("WHERE action = ?", [action]) if action else ("", [])
    cur = store.con.execute(
        f'SELECT "at", username, action, detail, ip FROM audit_log {where} '
        f'ORDER BY "at" DESC LIMIT {int(limit)}',
        args,
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
