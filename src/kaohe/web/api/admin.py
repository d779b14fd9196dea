"""Users and their API tokens through the API (admin; `kaohe users …` uses these while the
server holds the store). Every change runs on the server's one writer and is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from kaohe.web import audit
from kaohe.web.api.security import AdminUser, ApiUser, borrow, client_ip, write

router = APIRouter(tags=["users"])
Role = Literal["admin", "supervisor", "lead", "agent"]
Name = Annotated[str, Path(min_length=1, max_length=64, description="用户名 / username")]


class UserRow(BaseModel):
    username: str
    role: str
    agent: str | None = None
    team: str | None = None
    created_at: datetime | None = None
    disabled: bool = False


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: Role
    password: str = Field(min_length=1, max_length=1024)
    agent: str | None = Field(None, max_length=200, description="role agent: roster agent id")
    team: str | None = Field(None, max_length=200, description="role lead: the team")


class RoleChange(BaseModel):
    role: Role
    agent: str | None = Field(None, max_length=200)
    team: str | None = Field(None, max_length=200)


class Password(BaseModel):
    password: str = Field(min_length=1, max_length=1024)


class Done(BaseModel):
    ok: bool = True
    detail: str


class NewToken(BaseModel):
    label: str | None = Field(None, max_length=100)


class TokenMade(BaseModel):
    id: int
    username: str
    token: str = Field(description="只显示这一次 / shown this once")


class TokenRow(BaseModel):
    id: int
    username: str
    label: str | None = None
    prefix: str
    created_at: datetime
    created_by: str | None = None
    revoked_at: datetime | None = None


class Me(BaseModel):
    username: str
    role: str
    agent: str | None = None
    team: str | None = None


@router.get("/me", response_model=Me, summary="当前令牌的用户 / who this token acts as")
def me(user: ApiUser) -> Me:
    return Me(username=user.username, role=user.role, agent=user.agent, team=user.team)


@router.get("/users", response_model=list[UserRow], summary="用户 / users (admin)")
async def users(request: Request, user: AdminUser) -> list[UserRow]:
    from kaohe.web.users import list_users

    rows = await borrow(request, list_users)
    return [UserRow(**{**r, "disabled": bool(r.get("disabled"))}) for r in rows]


@router.post("/users", response_model=UserRow, status_code=201, summary="添加用户 / add a user")
async def add(request: Request, user: AdminUser, body: NewUser) -> UserRow:
    from kaohe.web.users import add_user

    def job(st: Any) -> Any:
        made = add_user(
            st, body.username, body.role, body.password, agent=body.agent, team=body.team
        )
        audit.record(st, user, "user.add", f"{made.username} ({made.role})", ip=client_ip(request))
        return made

    made = await write(request, job)
    return UserRow(username=made.username, role=made.role, agent=made.agent, team=made.team)


@router.put("/users/{name}/role", response_model=UserRow, summary="改角色或组 / role, team")
async def change_role(request: Request, user: AdminUser, name: Name, body: RoleChange) -> UserRow:
    from kaohe.web.users import set_role

    def job(st: Any) -> Any:
        changed = set_role(st, name, body.role, agent=body.agent, team=body.team)
        detail = f"{name}: {body.role} agent={body.agent} team={body.team}"
        audit.record(st, user, "user.role", detail, ip=client_ip(request))
        return changed

    changed = await write(request, job)
    return UserRow(
        username=changed.username, role=changed.role, agent=changed.agent, team=changed.team
    )


@router.put("/users/{name}/password", response_model=Done, summary="重设密码 / reset password")
async def password(request: Request, user: AdminUser, name: Name, body: Password) -> Done:
    from kaohe.web.users import set_password

    def job(st: Any) -> int:
        ended = set_password(st, name, body.password)
        audit.record(st, user, "user.password", name, ip=client_ip(request))
        return ended

    ended = await write(request, job)
    return Done(detail=f"密码已重设，结束 {ended} 个会话 / password reset, {ended} sessions ended")


@router.post("/users/{name}/disable", response_model=Done, summary="停用 / disable a user")
async def disable(request: Request, user: AdminUser, name: Name) -> Done:
    return await _set_disabled(request, user, name, True)


@router.post("/users/{name}/enable", response_model=Done, summary="启用 / enable a user")
async def enable(request: Request, user: AdminUser, name: Name) -> Done:
    return await _set_disabled(request, user, name, False)


async def _set_disabled(request: Request, user: Any, name: str, disabled: bool) -> Done:
    from kaohe.web.users import set_disabled

    action = "user.disable" if disabled else "user.enable"

    def job(st: Any) -> int:
        ended = set_disabled(st, name, disabled)
        audit.record(st, user, action, name, ip=client_ip(request))
        return ended

    await write(request, job)
    return Done(detail=f"{'已停用 / disabled' if disabled else '已启用 / enabled'}: {name}")


@router.get("/tokens", response_model=list[TokenRow], summary="令牌 / API tokens (admin)")
async def tokens(
    request: Request, user: AdminUser, username: Annotated[str | None, Query(max_length=64)] = None
) -> list[TokenRow]:
    from kaohe.web.tokens import list_tokens

    return [TokenRow(**r) for r in await borrow(request, lambda st: list_tokens(st, username))]


@router.post(
    "/users/{name}/tokens",
    response_model=TokenMade,
    status_code=201,
    summary="生成令牌 / make a token for a user (admin)",
)
async def make_token(request: Request, user: AdminUser, name: Name, body: NewToken) -> TokenMade:
    from kaohe.web.tokens import create_token

    def job(st: Any) -> tuple[int, str]:
        made = create_token(st, name, body.label, by=user.username)
        audit.record(st, user, "token.create", f"{name} #{made[0]}", ip=client_ip(request))
        return made

    token_id, token = await write(request, job)
    return TokenMade(id=token_id, username=name, token=token)


@router.delete("/tokens/{token_id}", response_model=Done, summary="吊销令牌 / revoke a token")
async def revoke(
    request: Request, user: AdminUser, token_id: Annotated[int, Path(ge=1, le=2**62)]
) -> Done:
    from kaohe.web.tokens import revoke_token

    def job(st: Any) -> dict[str, Any]:
        row = revoke_token(st, token_id, by=user.username)
        audit.record(st, user, "token.revoke", f"{row['username']} #{token_id}")
        return row

    row = await write(request, job)
    return Done(detail=f"已吊销 / revoked: #{token_id} ({row['username']})")


@router.delete(
    "/users/{name}/tokens", response_model=Done, summary="吊销该用户全部令牌 / revoke all"
)
async def revoke_all(request: Request, user: AdminUser, name: Name) -> Done:
    from kaohe.web.tokens import revoke_user_tokens
    from kaohe.web.users import require_user

    def job(st: Any) -> int:
        require_user(st, name)
        count = revoke_user_tokens(st, name, by=user.username)
        audit.record(st, user, "token.revoke", f"{name}: all ({count})")
        return count

    count = await write(request, job)
    return Done(detail=f"已吊销 {count} 个令牌 / revoked {count} tokens of {name}")
