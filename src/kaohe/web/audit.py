"""The audit log: logins (success and failure), exports, imports and reviews."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kaohe.store import Store

if TYPE_CHECKING:
    from kaohe.web.auth import User

MAX_DETAIL = 2000  # characters of `detail` kept (an attacker chooses failed-login details)
MAX_NAME = 64  # characters of the username kept (kaohe.web.users.MAX_USERNAME)


def record(
    store: Store,
    user: User | None,
    action: str,
    detail: str,
    *,
    ip: str | None = None,
    username: str | None = None,
) -> None:
    """One audit row; `username` names the actor when there is no user (a failed login).
    Written on the server's writer when `store` is a reader (kaohe.store.Store.write)."""
    who = user.username if user is not None else username
    row = [who[:MAX_NAME] if who else who, action, detail[:MAX_DETAIL], ip]
    store.write(
        lambda st: st.con.execute(
            'INSERT INTO audit_log ("at", username, action, detail, ip) '
            "VALUES (current_timestamp, ?, ?, ?, ?)",
            row,
        )
    )


def prune(store: Store, keep_days: int, now: datetime | None = None) -> None:
    """Forget audit rows older than `keep_days` days ([server] audit_keep_days)."""
    cutoff = (now or datetime.now()) - timedelta(days=keep_days)
    store.con.execute('DELETE FROM audit_log WHERE "at" < ?', [cutoff])


def entries(store: Store, action: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Latest audit rows first (optionally of one action)."""
    where, args = ("WHERE action = ?", [action]) if action else ("", [])
    cur = store.con.execute(
        f'SELECT "at", username, action, detail, ip FROM audit_log {where} '
        f'ORDER BY "at" DESC LIMIT {int(limit)}',
        args,
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
