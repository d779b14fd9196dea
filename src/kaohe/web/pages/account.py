"""Sessions a user or an admin can end: /account (any user: change the password, sign out
everywhere) and /users (admin: every user's sessions, disable and enable). Each action ends the
server-side sessions it concerns (kaohe.web.sessions), so old cookies get the login page; each
is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from kaohe.errors import KaoheError
from kaohe.web import audit, sessions, users, views
from kaohe.web.auth import SESSION_ID, User, csrf_protect, require_roles
from kaohe.web.i18n import LABELS, translate
from kaohe.web.pages.login import client_ip
from kaohe.web.render import render

if TYPE_CHECKING:
    from kaohe.store import Store

router = APIRouter()
Admin = Annotated[User, Depends(require_roles("admin"))]

PAGE_LABELS: dict[str, dict[str, str]] = {
    "nav.account": {"zh": "我的账号", "en": "Account"},
    "nav.users": {"zh": "用户", "en": "Users"},
    "account.title": {"zh": "我的账号", "en": "My account"},
    "account.password": {"zh": "修改密码", "en": "Change password"},
    "account.current": {"zh": "当前密码", "en": "Current password"},
    "account.new": {"zh": "新密码", "en": "New password"},
    "account.repeat": {"zh": "再次输入新密码", "en": "New password again"},
    "account.save": {"zh": "保存", "en": "Save"},
    "account.changed": {
        "zh": "密码已修改，其他设备上的登录已全部退出",
        "en": "Password changed; every other login has been signed out",
    },
    "account.mismatch": {"zh": "两次输入的新密码不一致", "en": "The new passwords differ"},
    "account.wrong": {"zh": "当前密码错误", "en": "Wrong current password"},
    "account.everywhere": {"zh": "在所有设备上退出", "en": "Sign out everywhere"},
    "account.everywhere_help": {
        "zh": "结束此账号的全部登录（包括本机）",
        "en": "End every login of this account (this one too)",
    },
    "users.title": {"zh": "网页用户", "en": "Web users"},
    "users.username": {"zh": "用户名", "en": "Username"},
    "users.state": {"zh": "状态", "en": "State"},
    "users.sessions": {"zh": "登录会话", "en": "Sessions"},
    "users.enabled": {"zh": "启用", "en": "Enabled"},
    "users.disabled": {"zh": "停用", "en": "Disabled"},
    "users.disable": {"zh": "停用", "en": "Disable"},
    "users.enable": {"zh": "启用", "en": "Enable"},
    "users.signout": {"zh": "全部退出", "en": "Sign out everywhere"},
    "users.signout_all": {"zh": "所有用户全部退出", "en": "Sign every user out"},
    "users.done": {"zh": "已完成", "en": "Done"},
}
for _key, _value in PAGE_LABELS.items():
    LABELS.setdefault(_key, _value)


def _new_password(request: Request, st: Store, user: User, new: str) -> int:
    """Set the password (ending every session of the user), start a fresh session for this
    browser and audit it, on the one writer; returns the sessions ended."""
    hours, ip = request.app.state.server.session_hours, client_ip(request)

    def job(writer: Store) -> tuple[int, str]:
        ended = users.set_password(writer, user.username, new)
        audit.record(writer, user, "password", f"changed; sessions ended: {ended}")
        return ended, sessions.start(writer, user.username, hours, ip)

    ended, sid = st.write(job)
    request.session[SESSION_ID] = sid
    return ended


@router.get("/account")
def account_page(request: Request, user: views.UserDep) -> Response:
    return render(request, "account.html", {"message": None, "error": None})


@router.post("/account/password", dependencies=[Depends(csrf_protect)])
def change_password(
    request: Request,
    user: views.UserDep,
    st: views.StoreDep,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
) -> Response:
    lang = views.lang_of(request)
    error = None
    if new != repeat:
        error = translate("account.mismatch", lang)
    elif users.authenticate(st, user.username, current, client_ip(request)) is None:
        error = translate("account.wrong", lang)
    else:
        try:
            _new_password(request, st, user, new)
        except KaoheError as exc:
            error = str(exc)
    if error:
        return render(request, "account.html", {"message": None, "error": error}, status=400)
    message = translate("account.changed", lang)
    return render(request, "account.html", {"message": message, "error": None})


@router.post("/account/signout", dependencies=[Depends(csrf_protect)])
def sign_out_everywhere(request: Request, user: views.UserDep, st: views.StoreDep) -> Response:
    def job(writer: Store) -> None:
        ended = sessions.end_user(writer, user.username)
        audit.record(writer, user, "signout", f"{user.username} everywhere: {ended} sessions")

    st.write(job)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _user_rows(st: Store) -> list[dict[str, Any]]:
    from datetime import datetime

    live = dict(
        st.con.execute(
            "SELECT username, count(*) FROM web_sessions WHERE expires_at > ? GROUP BY username",
            [datetime.now()],
        ).fetchall()
    )
    return [{**row, "sessions": int(live.get(row["username"], 0))} for row in users.list_users(st)]


@router.get("/users")
def users_page(request: Request, user: Admin, st: views.StoreDep) -> Response:
    return render(request, "users.html", {"rows": _user_rows(st), "done": None})


@router.post("/users/{name}/{action}", dependencies=[Depends(csrf_protect)])
def user_action(
    request: Request, name: str, action: str, user: Admin, st: views.StoreDep
) -> Response:
    """signout | disable | enable one user, or signout `*` (every user)."""
    if action not in ("signout", "disable", "enable") or (name == "*" and action != "signout"):
        raise HTTPException(404, f"未知操作 / unknown action {action!r}")

    def job(writer: Store) -> None:
        if name == "*":
            ended = sessions.end_all(writer)
        elif action == "signout":
            users.require_user(writer, name)
            ended = sessions.end_user(writer, name)
        else:
            ended = users.set_disabled(writer, name, action == "disable")
        audit.record(writer, user, action, f"{name}: {ended} sessions ended")

    try:
        st.write(job)  # on the one writer (st is a reader)
    except KaoheError as exc:
        raise HTTPException(404, str(exc)) from None
    if name in ("*", user.username) and action != "enable":
        request.session.clear()
        return RedirectResponse("/login", status_code=303)
    done = f"{translate('users.done', views.lang_of(request))}: {name} · {action}"
    return render(request, "users.html", {"rows": _user_rows(st), "done": done})
