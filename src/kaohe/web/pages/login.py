"""Log in, log out and the language switch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from kaohe.web import audit, sessions, users
from kaohe.web.auth import SESSION_CSRF, SESSION_ID, csrf_protect, csrf_token
from kaohe.web.deps import StoreDep
from kaohe.web.i18n import LANGS, translate
from kaohe.web.render import LANG_COOKIE, LANG_COOKIE_AGE, render, request_lang

if TYPE_CHECKING:
    from kaohe.store import Store

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative //host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def client_ip(request: Request) -> str | None:
    """The peer's address; X-Forwarded-For counts only from [server] trusted_proxies (the
    app's proxy middleware has rewritten the client then)."""
    return request.client.host if request.client else None


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002 - the query name
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", dependencies=[Depends(csrf_protect)])
def login(
    request: Request,
    st: StoreDep,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
) -> Response:  # noqa: A002
    ip, lang = client_ip(request), request_lang(request)
    target = safe_next(next)
    if users.is_throttled(st, username, ip):
        audit.record(
            st,
            None,
            "login_throttled",
            "too many failures",
            ip=ip,
            username=users.attempt_name(username),
        )
        return render(
            request,
            "login.html",
            {"next": target, "error": translate("login.throttled", lang)},
            status=429,
        )
    user = users.authenticate(st, username, password, ip)
    if user is None:
        audit.record(
            st,
            None,
            "login_failed",
            "wrong username or password",
            ip=ip,
            username=users.attempt_name(username),
        )
        return render(
            request,
            "login.html",
            {"next": target, "error": translate("login.failed", lang)},
            status=401,
        )
    old, hours = request.session.get(SESSION_ID), request.app.state.server.session_hours

    def begin(writer: Store) -> str:
        sessions.end(writer, old)  # a session id is never reused
        audit.record(writer, user, "login", f"role={user.role}", ip=ip)
        return sessions.start(writer, user.username, hours, ip)

    sid = st.write(begin)  # on the one writer (st is a reader)
    request.session.clear()  # a fresh session (and CSRF token) for the logged-in user
    request.session[SESSION_ID] = sid
    csrf_token(request)
    if target == "/" and user.role == "agent" and user.agent:
        target = "/agents/me"  # an agent lands on their own score, not the team overview
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def logout(request: Request, st: StoreDep) -> Response:
    sid, ip = request.session.get(SESSION_ID), client_ip(request)
    name = sessions.user_of(st, sid)

    def end(writer: Store) -> None:
        if name:
            audit.record(writer, None, "logout", "", ip=ip, username=name)
        sessions.end(writer, sid)  # the cookie, replayed, finds no session

    st.write(end)
    request.session.pop(SESSION_ID, None)
    request.session.pop(SESSION_CSRF, None)
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{lang}")
def switch_language(lang: str, next: str = "/") -> Response:  # noqa: A002
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGS:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, samesite="lax", httponly=True
        )
    return response
