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
    row = st.con.execute(
        "SELECT username FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        [_digest(token)],
    ).fetchone()
    return get_user(st, str(row[0])) if row else None


TOKEN_COLUMNS = ("id", "username", "label", "prefix", "created_at", "created_by", "revoked_at")


def list_tokens(st: Any, username: str | None = None) -> list[dict[str, Any]]:
    """Tokens (never their secret), newest first; of one user when given."""
    where, args = ("WHERE username = ?", [username]) if username else ("", [])
    cols = ", ".join(TOKEN_COLUMNS)
    rows = st.con.execute(
        f"SELECT {cols} FROM api_tokens {where} ORDER BY id DESC", args
    ).fetchall()
    return [dict(zip(TOKEN_COLUMNS, r, strict=True)) for r in rows]


def revoke_token(st: Any, token_id: int, by: str | None = None) -> dict[str, Any]:
    """Revoke one token by its id; NotFoundError when there is none (revoking twice is
    harmless). Returns the token's row."""
    row = st.con.execute(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?), "
        "revoked_by = coalesce(revoked_by, ?) WHERE id = ? RETURNING username, prefix",
        [datetime.now(), by, token_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"没有该令牌 / no token #{token_id} (kaohe users tokens)")
    return {"id": token_id, "username": row[0], "prefix": row[1]}


def revoke_user_tokens(st: Any, username: str, by: str | None = None) -> int:
    """Revoke every live token of a user; returns how many."""
    rows = st.con.execute(
        "UPDATE api_tokens SET revoked_at = ?, revoked_by = ? "
        "WHERE username = ? AND revoked_at IS NULL RETURNING 1",
        [datetime.now(), by, username],
    ).fetchall()
    return len(rows)
