"""The FastAPI application: one store with its read pool and writer, sessions, security
headers, static files and the routers of every module in kaohe.web.pages."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kaohe import __version__
from kaohe.config import Config
from kaohe.errors import KaoheError, NotFoundError
from kaohe.store import Store
from kaohe.web import pages as pages_pkg
from kaohe.web.api import OPENAPI_URL, api_router
from kaohe.web.api import PREFIX as API_PREFIX
from kaohe.web.auth import LoginRequired
from kaohe.web.cache import ResultCache
from kaohe.web.render import STATIC_DIR, render
from kaohe.web.server import ServerSettings, server_settings
from kaohe.web.services import (
    FactsDeferral,
    checkpoint,
    import_runner,
    no_auto_checkpoint,
    stop_services,
    warm_default,
)
from kaohe.web.sessions import KeySource, RotatingSessionMiddleware
from kaohe.web.workers import ReadPool, Writer

SESSION_COOKIE = "kaohe_session"
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
# Pages and downloads carry buyer data: no browser or proxy may keep a copy. Static files may.
NO_STORE = {"cache-control": "no-store"}
HSTS = {"strict-transport-security": "max-age=31536000"}  # with --https-only
HOUSEKEEPING_S = 24 * 3600
CHECKPOINT_RETRY_S = 300  # a checkpoint that found the readers busy tries again after this


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response, `Cache-Control: no-store` to every response but
    static files, and HSTS when the site is HTTPS-only (pure ASGI: bodies are not buffered)."""

    def __init__(self, app: ASGIApp, https_only: bool = False) -> None:
        self.app = app
        self.https_only = https_only

    def _headers(self, path: str) -> dict[str, str]:
        extra = {} if path.startswith("/static/") else NO_STORE
        return {**SECURITY_HEADERS, **extra, **(HSTS if self.https_only else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = self._headers(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [
                    (k.encode(), v.encode()) for k, v in wanted.items() if k.encode() not in present
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _include_pages(app: FastAPI) -> None:
    for info in sorted(pkgutil.iter_modules(pages_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"kaohe.web.pages.{info.name}")
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)


def _wants_html(request: Request) -> bool:
    return request.method == "GET" or "text/html" in request.headers.get("accept", "")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX + "/")


def _error_page(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
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

    @app.exception_handler(KaoheError)
    async def kaohe_error(request: Request, exc: KaoheError) -> Response:
        """A library refusal (unknown id, invalid value): its one line, 404 or 400."""
        status = 404 if isinstance(exc, NotFoundError) else 400
        return _error_page(request, status, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.status_code)
        response = _error_page(request, exc.status_code, message)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):  # as the OpenAPI document says: 422 with the errors
            return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
        return _error_page(request, 400, f"请求参数无效 / invalid parameters: {fields}")


def housekeeping(st: Store, settings: ServerSettings) -> None:
    """Forget what has served its time: expired sessions, old login attempts, audit rows
    older than [server] audit_keep_days, the scheduler's old runs."""
    from kaohe.service.runs import prune_runs
    from kaohe.web import audit, sessions, users

    prune_runs(st)  # the scheduler's runs older than 30 days (1,440 a day from the alerts job)
    sessions.prune(st)
    users.prune_attempts(st)
    audit.prune(st, settings.audit_keep_days)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Size the thread pool ([server] threads) and prune daily while the server runs."""
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.server.threads

    async def prune_daily() -> None:
        while True:
            await app.state.writer.run(lambda st: housekeeping(st, app.state.server))
            await asyncio.sleep(HOUSEKEEPING_S)
            # the day's WAL into the store file, at a moment no reader is busy
            while not await app.state.writer.run(lambda st: checkpoint(app, st)):
                await asyncio.sleep(CHECKPOINT_RETRY_S)

    task = asyncio.create_task(prune_daily())
    try:
        yield
    finally:
        task.cancel()


def create_app(
    db: str | Path,
    *,
    config: Config | None = None,
    secret_key: str | None = None,
    https_only: bool = False,
) -> FastAPI:
    """The web app over the store at `db`: opened read-write once, read through a pool of
    connections, written by one writer ([server] settings of `config`)."""
    config = config or Config(db=str(db))
    settings = server_settings(config)
    keys = KeySource.for_store(db, secret_key, settings.secret_file)
    keys.current()  # a missing or unreadable key file is an error before the store opens
    store = Store(db, memory_limit=config.memory_limit)
    no_auto_checkpoint(store)  # the writer checkpoints with the readers paused (services)
    app = FastAPI(
        title="kaohe",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
        lifespan=_lifespan,
    )
    app.state.store = store
    app.state.config = config
    app.state.server = settings
    # readers never wait for the write lock: stale facts they meet are refreshed on the writer
    deferral = FactsDeferral()
    app.state.writer = deferral.writer = Writer(store)
    # readers never write: their writes (a login, an audit row, a review) run on the writer
    app.state.readers = ReadPool(store, settings.readers, app.state.writer.call, deferral)
    app.state.results_cache = ResultCache()
    app.state.warmers = [warm_default]
    app.state.run_import = import_runner(app)
    app.state.local_key = None
    app.add_middleware(
        RotatingSessionMiddleware,
        keys=keys,
        session_cookie=SESSION_COOKIE,
        max_age=int(settings.session_hours * 3600),
        same_site="lax",
        https_only=https_only,
    )
    app.add_middleware(SecurityHeaders, https_only=https_only)
    if settings.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_handlers(app)
    _include_pages(app)
    app.include_router(api_router())
    return app


def close_app(app: FastAPI) -> None:
    """Stop the writer (finishing its job, up to [server] shutdown_s), interrupt and close the
    readers, then close the store: the DuckDB file lock is released."""
    settings: ServerSettings = app.state.server
    stop_services(app)
    app.state.writer.close(settings.shutdown_s)
    app.state.readers.close(settings.shutdown_s)
    if app.state.readers.busy:
        return  # a thread still runs a query: the store goes with the process, not under it
    app.state.store.close()
