"""Who calls the API: a bearer token of a user (kaohe.web.tokens), or the local key of the
running server (the CLI on the same machine, kaohe.service.client), and what their role lets
them do. The token is checked on a reader that is given back at once: a request waiting for
the writer holds no connection of the pool."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kaohe.web.auth import User, visible_agents
from kaohe.web.deps import BUSY

LOCAL_USER = "kaohe-cli"  # the name the local key acts under (audit log, alert events)
bearer = HTTPBearer(
    auto_error=False,
    description="kaohe users token NAME（或用户页）生成的令牌 / a token from `kaohe users token "
    "NAME` or the users page",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

UNAUTHORIZED = "需要有效的令牌 / a valid API token is needed (Authorization: Bearer kh_…)"
FORBIDDEN = "没有权限 / forbidden"


async def borrow(request: Request, job: Callable[[Any], Any]) -> Any:
    """Run `job(connection)` on a reader of the pool in a worker thread, returning the
    reader right after (503 when none is free within [server] reader_wait_s)."""
    from kaohe.web.workers import PoolClosed

    pool = request.app.state.readers
    try:
        st = await pool.acquire(request.app.state.server.reader_wait_s)
    except (TimeoutError, PoolClosed):
        raise HTTPException(503, BUSY, headers={"Retry-After": "5"}) from None
    try:
        return await anyio.to_thread.run_sync(job, st)
    finally:
        pool.release(st)


async def write(request: Request, job: Callable[[Any], Any]) -> Any:
    """Run `job(connection)` on the server's one writer (in order with every other write),
    holding no connection of the read pool while it waits."""
    from kaohe.web.workers import PoolClosed

    try:
        return await request.app.state.writer.run(job)
    except PoolClosed:
        raise HTTPException(503, BUSY, headers={"Retry-After": "5"}) from None


def _is_local(request: Request, token: str) -> bool:
    local = getattr(request.app.state, "local_key", None)
    return bool(local) and secrets.compare_digest(token.encode(), str(local).encode())


async def api_user(request: Request, credentials: Credentials) -> User:
    """The caller: 401 without a live token."""
    from kaohe.web.tokens import user_of_token

    token = credentials.credentials if credentials else ""
    if not token:
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    if _is_local(request, token):
        user: User | None = User(LOCAL_USER, "admin")
    else:
        user = await borrow(request, lambda st: user_of_token(st, token))
    if user is None:
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    request.state.user = user
    return user


ApiUser = Annotated[User, Depends(api_user)]


def api_roles(*roles: str) -> Callable[..., Any]:
    """A dependency answering 403 unless the caller has one of `roles`."""

    async def dependency(user: ApiUser) -> User:
        if user.role not in roles:
            raise HTTPException(403, FORBIDDEN)
        return user

    return dependency


ALL = ("admin", "supervisor", "lead", "agent")
MANAGERS = ("admin", "supervisor")
AdminUser = Annotated[User, Depends(api_roles("admin"))]
ManagerUser = Annotated[User, Depends(api_roles(*MANAGERS))]
LeadUser = Annotated[User, Depends(api_roles("admin", "supervisor", "lead"))]


def scope_of(user: User, st: Any) -> set[str] | None:
    """The agents the caller may see (None: all), as the pages decide it."""
    return visible_agents(user, st)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
