"""Who is asking and what they may see: the session user, roles, CSRF and visibility.

IDOR rule: the data of an agent the user may not see answers 404, exactly like an unknown id
(nothing leaks); an action the role may not take answers 403.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from kaohe.web.deps import StoreDep
from kaohe.web.users import User, get_user

PII_ROLES = ("admin", "supervisor")
SESSION_ID = "sid"  # the server-side session (kaohe.web.sessions); the cookie holds nothing else
SESSION_CSRF = "csrf"


class LoginRequired(Exception):
    """Raised by current_user; the app answers a GET with a redirect to /login, else 401."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def current_user(request: Request, st: StoreDep) -> User:
    """The user of the request's live server-side session (ended by logout, a password change,
    disabling or signing out everywhere), re-read from the store: a disabled user is out at
    once."""
    from kaohe.web import sessions

    name = sessions.user_of(st, request.session.get(SESSION_ID))
    user = get_user(st, name) if name else None
    if user is None:
        request.session.pop(SESSION_ID, None)
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    request.state.user = user
    return user


UserDep = Annotated[User, Depends(current_user)]  # the logged-in user


def require_roles(*roles: str) -> Callable[..., User]:
    """A dependency answering 403 unless the user has one of `roles`."""

    def dependency(user: UserDep) -> User:
        if user.role not in roles:
            raise HTTPException(403, "没有权限 / forbidden")
        return user

    return dependency


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


async def csrf_protect(request: Request) -> None:
    """Every POST: the form field `csrf_token` or header `X-CSRF-Token` must match the
    session's token, else 403."""
    expected = request.session.get(SESSION_CSRF)
    sent = request.headers.get("x-csrf-token")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get("csrf_token")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "CSRF 校验失败，请刷新页面后重试 / CSRF check failed")


def visible_agents(user: User, st: Any) -> set[str] | None:
    """The agents a user may see: None means all (admin, supervisor)."""
    if user.role in PII_ROLES:
        return None
    if user.role == "lead":
        rows = st.con.execute("SELECT agent FROM agents WHERE team = ?", [user.team]).fetchall()
        return {str(r[0]) for r in rows}
    return {user.agent} if user.agent else set()


def can_see_agent(user: User, agent: str, st: Any) -> bool:
    allowed = visible_agents(user, st)
    return allowed is None or agent in allowed


def sees_buyer_pii(user: User) -> bool:
    """Buyer phone numbers, addresses and names unmasked: admin and supervisor only."""
    return user.role in PII_ROLES
