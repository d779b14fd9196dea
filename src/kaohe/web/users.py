"""Web users: argon2 password hashes, roles and login throttling (tables of store migration 7).

Roles: admin and supervisor see every shop; a lead sees the agents of their roster team; an
agent sees only themselves (their `agent` id in the roster).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kaohe.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from kaohe.store import Store

ROLES = ("admin", "supervisor", "lead", "agent")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # longer is refused before hashing (argon2 over megabytes costs)
MAX_USERNAME = 64  # a longer name is never a user; attempts record the first 64 characters
# Failed logins within THROTTLE_WINDOW that lock the login (429) for ...
MAX_FAILURES = 5  # ... one username from one address
MAX_ACCOUNT_FAILURES = 10  # ... one username from any addresses (rotating them does not help)
MAX_ADDRESS_FAILURES = 20  # ... one address trying any usernames
THROTTLE_WINDOW = timedelta(minutes=15)
ATTEMPTS_KEPT = timedelta(days=1)  # older login attempts are pruned (see prune_attempts)


@dataclass(frozen=True)
class User:
    """A web account as the pages see it (kaohe.web.auth decides what it may see)."""

    username: str
    role: str  # admin | supervisor | lead | agent
    agent: str | None = None
    team: str | None = None


_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("kaohe-no-such-user")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"密码至少 {MIN_PASSWORD} 位 / password needs {MIN_PASSWORD}+ characters")
    if len(password) > MAX_PASSWORD:
        raise UsageError(
            f"密码至多 {MAX_PASSWORD} 位 / password of {MAX_PASSWORD} characters at most"
        )


def attempt_name(username: str) -> str:
    """The username as login attempts and the audit log record it (capped)."""
    return username[:MAX_USERNAME]


def _check_role(store: Store, role: str, agent: str | None, team: str | None) -> None:
    if role not in ROLES:
        raise UsageError(f"未知角色 / unknown role {role!r} (use {', '.join(ROLES)})")
    if role == "agent" and not agent:
        raise UsageError("客服账号需要 --agent（名册中的客服）/ an agent user needs --agent")
    if role == "lead" and not team:
        raise UsageError("组长账号需要 --team / a lead user needs --team")
    if (
        agent
        and not store.con.execute(
            "SELECT count(*) FROM agents WHERE agent = ?", [agent]
        ).fetchone()[0]
    ):
        raise NotFoundError(f"名册中没有客服 / agent not in the roster: {agent!r}")


def add_user(
    store: Store,
    username: str,
    role: str,
    password: str,
    *,
    agent: str | None = None,
    team: str | None = None,
) -> User:
    """Create a user; an existing username is an error (use set_password)."""
    username = username.strip()
    if not username:
        raise UsageError("用户名不能为空 / empty username")
    if len(username) > MAX_USERNAME:
        raise UsageError(
            f"用户名至多 {MAX_USERNAME} 个字符 / username of {MAX_USERNAME} characters at most"
        )
    _check_role(store, role, agent, team)
    _check_password(password)
    if get_user(store, username) is not None:
        raise UsageError(f"用户已存在 / user exists: {username!r} (kaohe users passwd)")
    store.con.execute(
        "INSERT INTO web_users (username, password_hash, role, agent, team) VALUES (?, ?, ?, ?, ?)",
        [username, _hasher.hash(password), role, agent, team],
    )
    return User(username, role, agent, team)


def require_user(store: Store, username: str) -> None:
    """NotFoundError (with a "did you mean") unless the user exists, enabled or not."""
    import difflib

    names = [str(r[0]) for r in store.con.execute("SELECT username FROM web_users").fetchall()]
    if username not in names:
        close = difflib.get_close_matches(username, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise NotFoundError(f"没有该用户 / no such user: {username!r}{hint}")


def set_password(store: Store, username: str, password: str) -> int:
    """Set the password and end every session of the user; returns the sessions ended."""
    from kaohe.web import sessions

    _check_password(password)
    require_user(store, username)
    store.con.execute(
        "UPDATE web_users SET password_hash = ? WHERE username = ?",
        [_hasher.hash(password), username],
    )
    return sessions.end_user(store, username)


def set_disabled(store: Store, username: str, disabled: bool) -> int:
    """Disable (ending every session of the user) or enable a user; returns the sessions
    ended."""
    from kaohe.web import sessions

    require_user(store, username)
    store.con.execute("UPDATE web_users SET disabled = ? WHERE username = ?", [disabled, username])
    return sessions.end_user(store, username) if disabled else 0


def set_role(
    store: Store, username: str, role: str, *, agent: str | None = None, team: str | None = None
) -> User:
    """Change a user's role, agent and team (the same rules as add_user); their sessions and
    tokens act with the new role from their next request."""
    require_user(store, username)
    _check_role(store, role, agent, team)
    store.con.execute(
        "UPDATE web_users SET role = ?, agent = ?, team = ? WHERE username = ?",
        [role, agent, team, username],
    )
    return User(username, role, agent, team)


def get_user(store: Store, username: str) -> User | None:
    """The enabled user of that name, or None."""
    row = store.con.execute(
        "SELECT username, role, agent, team FROM web_users WHERE username = ? AND NOT disabled",
        [username],
    ).fetchone()
    return User(*row) if row else None


def list_users(store: Store) -> list[dict[str, Any]]:
    cur = store.con.execute(
        "SELECT username, role, agent, team, created_at, disabled FROM web_users ORDER BY username"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def count_users(store: Store) -> int:
    return int(store.con.execute("SELECT count(*) FROM web_users").fetchone()[0])


def is_throttled(store: Store, username: str, ip: str | None, now: datetime | None = None) -> bool:
    """Too many failed logins within THROTTLE_WINDOW: for this username from this address
    (MAX_FAILURES), for this username from anywhere (MAX_ACCOUNT_FAILURES) or from this address
    for any username (MAX_ADDRESS_FAILURES)."""
    since = (now or datetime.now()) - THROTTLE_WINDOW
    name = attempt_name(username)
    pair, account, address = store.con.execute(
        "SELECT count(*) FILTER (WHERE username = ? AND ip IS NOT DISTINCT FROM ?), "
        "count(*) FILTER (WHERE username = ?), count(*) FILTER (WHERE ip IS NOT DISTINCT FROM ?) "
        'FROM login_attempts WHERE NOT ok AND "at" >= ?',
        [name, ip, name, ip, since],
    ).fetchone()
    return (
        int(pair) >= MAX_FAILURES
        or int(account) >= MAX_ACCOUNT_FAILURES
        or int(address) >= MAX_ADDRESS_FAILURES
    )


def prune_attempts(store: Store, now: datetime | None = None) -> None:
    """Forget login attempts older than ATTEMPTS_KEPT (throttling reads 15 minutes)."""
    store.con.execute(
        'DELETE FROM login_attempts WHERE "at" < ?', [(now or datetime.now()) - ATTEMPTS_KEPT]
    )


def authenticate(
    store: Store, username: str, password: str, ip: str | None = None, now: datetime | None = None
) -> User | None:
    """The user when the password matches (the attempt is recorded for throttling). The
    password is checked on `store`; the attempt is written on the server's writer when
    `store` is a reader (kaohe.store.Store.write)."""
    row = store.con.execute(
        "SELECT password_hash FROM web_users WHERE username = ? AND NOT disabled",
        [attempt_name(username)],
    ).fetchone()
    if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        row, password = None, ""  # never a user; still hashed so it takes as long as a miss
    try:
        ok = _hasher.verify(row[0] if row else _DUMMY_HASH, password) and row is not None
    except (VerificationError, InvalidHashError):
        ok = False
    name = attempt_name(username)
    rehashed = _hasher.hash(password) if ok and _hasher.check_needs_rehash(row[0]) else None
    store.write(lambda st: _record_attempt(st, name, ip, ok, now or datetime.now(), rehashed))
    return get_user(store, name) if ok else None


def _record_attempt(
    store: Store, username: str, ip: str | None, ok: bool, at: datetime, rehashed: str | None
) -> None:
    """The login attempt for throttling; a success forgets this address's failures (and
    stores the password's new hash when the hasher's parameters changed)."""
    store.con.execute(
        'INSERT INTO login_attempts ("at", username, ip, ok) VALUES (?, ?, ?, ?)',
        [at, username, ip, ok],
    )
    if not ok:
        return
    store.con.execute(
        "DELETE FROM login_attempts WHERE username = ? AND ip IS NOT DISTINCT FROM ? AND NOT ok",
        [username, ip],
    )
    if rehashed is not None:
        store.con.execute(
            "UPDATE web_users SET password_hash = ? WHERE username = ?", [rehashed, username]
        )
