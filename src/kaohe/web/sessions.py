"""Login sessions that end when they should, signed with a key kept outside the store.

- The cookie-signing key lives in a key file beside the store (`<store>.key`, mode 0600) or in
  $KAOHE_SECRET, never in the .duckdb: a copy of the store (a backup, a shared folder) cannot
  forge a cookie. `kaohe users rotate-secret` writes a new key; a running server picks it up at
  the next request, and every cookie signed with the old key is refused.
- The cookie only carries a random session id; the store keeps its SHA-256 (web_sessions,
  store migration 11) with the user and the expiry. Logout deletes the session; a password
  change, disabling the user and "sign out everywhere" delete all of the user's sessions, so a
  replayed cookie finds nothing and gets the login page.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import itsdangerous
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from kaohe.errors import ConfigError

if TYPE_CHECKING:
    from kaohe.store import Store

SECRET_ENV = "KAOHE_SECRET"
KEY_SUFFIX = ".key"
KEY_BYTES = 48


def key_path(db: str | Path, configured: str | None = None) -> Path | None:
    """The key file: the configured one, else `<store>.key` beside the store (None for an
    in-memory store, whose sessions end with the process)."""
    if configured:
        return Path(configured)
    if str(db) == ":memory:":
        return None
    return Path(f"{db}{KEY_SUFFIX}")


def write_key(path: Path) -> str:
    """A new random key written atomically with mode 0600; returns it."""
    key = secrets.token_urlsafe(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".kaohe-key-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return key


def read_key(path: Path) -> str:
    """The key in `path`, created when absent; a file others may read is made 0600 first."""
    if not path.exists():
        return write_key(path)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 32:
        raise ConfigError(
            "会话密钥太短（至少 32 个字符）/ the session key is too short (32+ characters): "
            "kaohe users rotate-secret",
            file=str(path),
        )
    return key


class KeySource:
    """Where the signing key comes from: a fixed secret (argument or $KAOHE_SECRET), or the
    key file, re-read whenever it changes (rotation takes effect without a restart)."""

    def __init__(self, path: Path | None, fixed: str | None = None) -> None:
        self.path = None if fixed else path
        self._fixed = fixed or (None if path else secrets.token_urlsafe(KEY_BYTES))
        self._stamp: tuple[int, int] | None = None
        self._key = self._fixed or ""

    @classmethod
    def for_store(cls, db: str | Path, given: str | None, configured: str | None) -> KeySource:
        return cls(key_path(db, configured), given or os.environ.get(SECRET_ENV) or None)

    def current(self) -> str:
        if self.path is None:
            return self._key
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp is None or stamp != self._stamp:
            self._key = read_key(self.path)
            stat = self.path.stat()
            self._stamp = (stat.st_mtime_ns, stat.st_ino)
        return self._key


class RotatingSessionMiddleware(SessionMiddleware):
    """Starlette's signed-cookie session whose signer follows the key source."""

    def __init__(self, app: ASGIApp, keys: KeySource, **options: Any) -> None:
        super().__init__(app, secret_key=keys.current(), **options)
        self.keys = keys
        self._signed_with = keys.current()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.keys.current()
        if key != self._signed_with:
            self.signer = itsdangerous.TimestampSigner(key)
            self._signed_with = key
        await super().__call__(scope, receive, send)


# ---------------------------------------------------------------- server-side sessions


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start(st: Store, username: str, hours: float, ip: str | None = None) -> str:
    """A new session for the user; returns the id the cookie carries (the store keeps its
    hash only)."""
    sid = secrets.token_urlsafe(32)
    now = datetime.now()
    st.con.execute(
        "INSERT INTO web_sessions (sid_hash, username, created_at, expires_at, ip) "
        "VALUES (?, ?, ?, ?, ?)",
        [_digest(sid), username, now, now + timedelta(hours=hours), ip],
    )
    return sid


def user_of(st: Store, sid: str | None) -> str | None:
    """The username of a live session, or None (unknown, ended or expired)."""
    if not sid or not isinstance(sid, str):
        return None
    row = st.con.execute(
        "SELECT username FROM web_sessions WHERE sid_hash = ? AND expires_at > ?",
        [_digest(sid), datetime.now()],
    ).fetchone()
    return str(row[0]) if row else None


def end(st: Store, sid: str | None) -> None:
    """Logout: this session is over."""
    if sid and isinstance(sid, str):
        st.con.execute("DELETE FROM web_sessions WHERE sid_hash = ?", [_digest(sid)])


def end_user(st: Store, username: str) -> int:
    """Sign the user out everywhere; returns how many sessions ended."""
    row = st.con.execute(
        "DELETE FROM web_sessions WHERE username = ? RETURNING 1", [username]
    ).fetchall()
    return len(row)


def end_all(st: Store) -> int:
    """Sign every user out."""
    return len(st.con.execute("DELETE FROM web_sessions RETURNING 1").fetchall())


def prune(st: Store, now: datetime | None = None) -> int:
    """Forget expired sessions."""
    rows = st.con.execute(
        "DELETE FROM web_sessions WHERE expires_at <= ? RETURNING 1", [now or datetime.now()]
    ).fetchall()
    return len(rows)
