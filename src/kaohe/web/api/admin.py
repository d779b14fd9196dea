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


@router.post("/users/{name}/signout", response_model=Done, summary="退出登录 / sign a user out")
async def signout(request: Request, user: AdminUser, name: Name) -> Done:
    """End every session of the user (their cookies stop working; tokens stay)."""
    from kaohe.web.sessions import end_user
    from kaohe.web.users import require_user

    def job(st: Any) -> int:
        require_user(st, name)
        ended = end_user(st, name)
        audit.record(st, user, "signout", f"{name}: {ended} sessions", ip=client_ip(request))
        return ended

    ended = await write(request, job)
    return Done(detail=f"已退出登录 / signed out: {name} (结束会话 / sessions ended: {ended})")


@router.post("/signout-all", response_model=Done, summary="所有用户退出 / sign everyone out")
async def signout_all(request: Request, user: AdminUser) -> Done:
    from kaohe.web.sessions import end_all

    def job(st: Any) -> int:
        ended = end_all(st)
        audit.record(st, user, "signout", f"all: {ended} sessions", ip=client_ip(request))
        return ended

    ended = await write(request, job)
    return Done(detail=f"已退出登录 / signed out: all (结束会话 / sessions ended: {ended})")


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


# ---------------------------------------------------------------- scheme and plan assignments

Text = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
WhenKey = Literal["agent", "shop", "platform", "team", "level", "role"]


class Rule(BaseModel):
    """One assignment (docs/assignments.md): who it covers, and the scheme and/or plan."""

    name: str = Field("", max_length=100, pattern=r"^[^\x00-\x1f]*$")
    when: dict[WhenKey, list[Text]] = Field(
        default_factory=dict,
        description="客服、店铺、平台、组、级别、岗位；空 = 全部客服 / {} = everyone",
    )
    scheme: Text | None = Field(None, description="考核方案 / scheme preset id or YAML file")
    plan: Text | None = Field(None, description="薪资方案 / pay plan preset id or YAML file")


class Population(BaseModel):
    groups: dict[str, list[str]] = Field(description="方案 → 客服 / scheme or plan → agents")
    per_rule: list[int] = Field(description="每条规则给了几位客服 / agents each rule decides")
    unassigned: list[str] = Field(description="没有规则覆盖的客服 / agents no rule covers")
    unused: list[str] = Field(description="没有覆盖任何客服的规则 / rules covering nobody")
    note: str | None = None


class AssignmentsView(BaseModel):
    file: str
    version: str = Field(description="修改时带上 / send it back with a change ('' = no file)")
    rules: list[Rule]
    scheme: Population | None = None
    plan: Population | None = None
    problem: str | None = Field(None, description="文件或分配的问题 / what is wrong, one line")


class AssignmentsChange(BaseModel):
    rules: list[Rule] = Field(max_length=500)
    version: str | None = Field(
        None, max_length=64, description="读取时的版本；已被他人修改则拒绝 / refused if stale"
    )


def assignments_file(request: Request) -> Any:
    """Where the app's assignments live (kaohe.assignments.assignments_path)."""
    from kaohe.assignments import assignments_path

    return assignments_path(request.app.state.config)


@router.get(
    "/assignments",
    response_model=AssignmentsView,
    tags=["assignments"],
    summary="方案分配 / scheme and pay-plan assignments (admin)",
)
async def assignments(request: Request, user: AdminUser) -> AssignmentsView:
    from kaohe.service.assignments import overview

    path = assignments_file(request)
    return AssignmentsView(**await borrow(request, lambda st: overview(st, path)))


@router.put(
    "/assignments",
    response_model=AssignmentsView,
    tags=["assignments"],
    summary="改方案分配 / replace the assignments (admin, audited)",
)
async def change_assignments(
    request: Request, user: AdminUser, body: AssignmentsChange
) -> AssignmentsView:
    path = assignments_file(request)
    rules = [rule.model_dump() for rule in body.rules]
    await write(request, lambda st: save_assigned(st, user, path, rules, body.version, request))
    return await assignments(request, user)


def save_assigned(
    st: Any, user: Any, path: Any, rules: list[dict[str, Any]], version: str | None, request: Any
) -> str:
    """Replace the assignments and audit it (on the writer; the page uses it too)."""
    from kaohe.service.assignments import replace

    detail = replace(st, path, rules, version)
    audit.record(st, user, "assignments.edit", detail, ip=client_ip(request))
    return detail
