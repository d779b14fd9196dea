"""API tokens (store migration 15): `kaohe users token NAME` or the admin page makes one for a
user; a request carrying it (`Authorization: Bearer kh_…`) acts as that user, with the user's
role, team and agent as they are at that moment (a changed role applies at once, a disabled
user's tokens stop working). The store keeps the token's SHA-256 and its first characters
(to tell tokens apart), never the token; revoking one ends it for good."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from kaohe.errors import NotFoundError
from kaohe.web.auth import User

PREFIX = "kh_"
SHOWN = 10  # characters of a token kept to name it (kh_ and 7 random ones)
MAX_LABEL = 100


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    st: Any, username: str, label: str | None = None, by: str | None = None
) -> tuple[int, str]:
    """(id, token) of a new token for an existing user; the token is shown once."""
    from kaohe.web.users import require_user

    require_user(st, username)
    token = PREFIX + secrets.token_urlsafe(32)
    token_id = int(st.con.execute("SELECT nextval('api_token_seq')").fetchone()[0])
    st.con.execute(
        "INSERT INTO api_tokens (id, token_hash, username, label, prefix, created_at, "
        "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            token_id,
            _digest(token),
            username,
            (label or "")[:MAX_LABEL] or None,
            token[:SHOWN],
            datetime.now(),
            by,
        ],
    )
    return token_id, token


def user_of_token(st: Any, token: str | None) -> User | None:
    """The enabled user a live token belongs to, or None (unknown, revoked, user disabled)."""
    from kaohe.web.users import get_user

    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    rows = st.con.execute(
        "SELECT username FROM api_tokens WHERE token_hash = ? AND id NOT IN "
        "(SELECT token_id FROM api_token_revocations)",
        [_digest(token)],
    ).fetchall()
    return get_user(st, str(rows[0][0])) if rows else None


TOKEN_COLUMNS = ("id", "username", "label", "prefix", "created_at", "created_by", "revoked_at")
_SELECT = (
    "SELECT t.id, t.username, t.label, t.prefix, t.created_at, t.created_by, r.revoked_at "
    "FROM api_tokens t LEFT JOIN (SELECT token_id, min(revoked_at) AS revoked_at "
    "FROM api_token_revocations GROUP BY token_id) r ON r.token_id = t.id"
)


def list_tokens(st: Any, username: str | None = None) -> list[dict[str, Any]]:
    """Tokens (never their secret), newest first; of one user when given."""
    where, args = ("WHERE t.username = ?", [username]) if username else ("", [])
    rows = st.con.execute(f"{_SELECT} {where} ORDER BY t.id DESC", args).fetchall()
    return [dict(zip(TOKEN_COLUMNS, r, strict=True)) for r in rows]


def _revoke(st: Any, ids: list[int], by: str | None) -> None:
    now = datetime.now()
    st.con.executemany(
        "INSERT INTO api_token_revocations VALUES (?, ?, ?)", [[i, now, by] for i in ids]
    )


def revoke_token(st: Any, token_id: int, by: str | None = None) -> dict[str, Any]:
    """Revoke one token by its id; NotFoundError when there is none (revoking twice is
    harmless). Returns the token's row."""
    found = [t for t in list_tokens(st) if t["id"] == token_id]
    if not found:
        raise NotFoundError(f"没有该令牌 / no token #{token_id} (kaohe users tokens)")
    if found[0]["revoked_at"] is None:
        _revoke(st, [token_id], by)
    return {"id": token_id, "username": found[0]["username"], "prefix": found[0]["prefix"]}


def revoke_user_tokens(st: Any, username: str, by: str | None = None) -> int:
    """Revoke every live token of a user; returns how many."""
    live = [t["id"] for t in list_tokens(st, username) if t["revoked_at"] is None]
    if live:
        _revoke(st, live, by)
    return len(live)
