"""The FastAPI application: one store, sessions, security headers, static files and the
routers of every module in kaohe.web.pages."""

from __future__ import annotations

import importlib
import os
import pkgutil
import secrets
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kaohe.config import Config
from kaohe.store import Store
from kaohe.web import pages as pages_pkg
from kaohe.web.auth import LoginRequired
from kaohe.web.render import STATIC_DIR, render

SESSION_COOKIE = "kaohe_session"
SESSION_MAX_AGE = 12 * 3600  # a working day
SECRET_SETTING = "session_secret"
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response (pure ASGI: no buffering of bodies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [
                    (k.encode(), v.encode())
                    for k, v in SECURITY_HEADERS.items()
                    if k.encode() not in present
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def session_secret(store: Store, given: str | None = None) -> str:
    """The argument, else $KAOHE_SECRET, else a random secret kept in the store so sessions
    survive a restart."""
    if given or os.environ.get("KAOHE_SECRET"):
        return given or os.environ["KAOHE_SECRET"]
    row = store.con.execute(
        "SELECT value FROM web_settings WHERE key = ?", [SECRET_SETTING]
    ).fetchone()
    if row:
        return str(row[0])
    secret = secrets.token_urlsafe(48)
    store.con.execute(
        "INSERT INTO web_settings (key, value) VALUES (?, ?)", [SECRET_SETTING, secret]
    )
    return secret


def _include_pages(app: FastAPI) -> None:
    for info in sorted(pkgutil.iter_modules(pages_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"kaohe.web.pages.{info.name}")
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)


def _wants_html(request: Request) -> bool:
    return request.method == "GET" or "text/html" in request.headers.get("accept", "")


def _error_page(request: Request, status: int, message: str) -> Response:
    if not _wants_html(request):
        return PlainTextResponse(message, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if request.method == "GET":
            from urllib.parse import urlencode

            return RedirectResponse(f"/login?{urlencode({'next': exc.next_path})}", 303)
        return PlainTextResponse("请先登录 / login required", status_code=401)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.status_code)
        response = _error_page(request, exc.status_code, message)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
        return _error_page(request, 400, f"请求参数无效 / invalid parameters: {fields}")


def create_app(
    db: str | Path,
    *,
    config: Config | None = None,
    secret_key: str | None = None,
    https_only: bool = False,
) -> FastAPI:
    """The web app over the store at `db` (opened read-write once, shared under a lock)."""
    config = config or Config(db=str(db))
    store = Store(db, memory_limit=config.memory_limit)
    app = FastAPI(title="kaohe", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.state.store_lock = threading.Lock()
    app.state.config = config
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(store, secret_key),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=https_only,
    )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_handlers(app)
    _include_pages(app)
    return app


def close_app(app: FastAPI) -> None:
    store: Any = app.state.store
    with app.state.store_lock:
        store.close()
