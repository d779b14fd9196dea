"""`kaohe serve`: the web app on the store (spec: issue 8)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click

from kaohe.errors import NotFoundError


def require_store(db: str) -> None:
    if db != ":memory:" and not Path(db).exists():
        raise NotFoundError(
            f"数据库不存在 / store not found: {db} "
            "(import data first: kaohe import …, or try kaohe demo --serve)"
        )


def serve_app(db: str, config: Any, host: str, port: int, https_only: bool = False) -> None:
    """Open the store, warn when nobody can log in, print the URL and serve until stopped
    (Ctrl+C or SIGTERM: running requests get [server] shutdown_s, then the store is
    released)."""
    import uvicorn

    from kaohe.params import resolve_params
    from kaohe.service.client import refuse_if_served, withdraw
    from kaohe.service.logs import configure as configure_logs
    from kaohe.web.app import close_app, create_app
    from kaohe.web.server import guarded_protocol
    from kaohe.web.services import start_services
    from kaohe.web.users import count_users

    require_store(db)
    resolve_params(config.params, file=config.path)  # a bad kaohe.toml: exit 1 before serving
    refuse_if_served(db)  # a second server on the same store: one line, exit 4
    configure_logs()
    app = create_app(db, config=config, https_only=https_only)
    settings = app.state.server
    if count_users(app.state.store) == 0:
        click.echo(
            "警告 / warning: 还没有网页用户，无法登录 / no web user yet: "
            f"kaohe --db {db} users add NAME --role supervisor",
            err=True,
        )
    click.echo(f"kaohe 网页 / web: http://{host}:{port}/  (Ctrl+C 停止 / to stop)")
    threading.Thread(target=_warm, args=(app,), daemon=True).start()
    start_services(app)  # the scheduler's jobs and the inbox folder
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            http=guarded_protocol(settings),
            proxy_headers=False,  # the app believes forwarded headers from trusted_proxies only
            limit_concurrency=settings.max_connections,
            timeout_keep_alive=int(settings.keep_alive_s),
            timeout_graceful_shutdown=int(settings.shutdown_s),
        )
    )
    # uvicorn re-raises SIGTERM / SIGINT once it has shut down: with the default handlers that
    # would kill the process before the store is closed, so the re-raised signal lands here
    on_main = threading.current_thread() is threading.main_thread()
    stops = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in stops} if on_main else {}
    threading.Thread(target=_announce, args=(server, app, db, host, port), daemon=True).start()
    try:
        server.run()
    finally:
        withdraw(db)
        close_app(app)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("已停止，数据库已释放 / stopped, the store is released", err=True)
    _leave(settings.shutdown_s)


def _announce(server: Any, app: Any, db: str, host: str, port: int) -> None:
    """Once the server listens: the server file the CLI finds it by, with a local key the
    API accepts as the local administrator (kaohe.service.client)."""
    import time

    from kaohe.service.client import announce

    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.05)
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    url = f"http://[{local}]:{port}" if ":" in local else f"http://{local}:{port}"
    app.state.local_key = announce(db, url).key


def _leave(grace: float) -> None:
    """End the process once the store is closed. Page threads get `grace` seconds to finish
    an interrupted query; then the process exits without the interpreter's final clean-up,
    in which native thread pools left by the pages (Arrow's, DuckDB's) can abort it."""
    import os
    import sys
    import time

    main = threading.main_thread()
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not [
            t for t in threading.enumerate() if t is not main and t.is_alive() and not t.daemon
        ]:
            break
        time.sleep(0.1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _warm(app: Any) -> None:
    from kaohe.web.pages.overview import warm

    try:
        warm(app)
    except Exception as exc:  # noqa: BLE001 - the pages compute on demand all the same
        if not app.state.readers.closed:  # (stopping the server interrupts it: no news)
            click.echo(f"预计算失败 / warm-up skipped: {exc}", err=True)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=int, help="port")
@click.option("--db", default=None, help="DuckDB store (default: the global --db)")
@click.option(
    "--https-only", is_flag=True, help="session cookie only over HTTPS (behind a TLS proxy)"
)
@click.pass_obj
def command(obj: Any, host: str, port: int, db: str | None, https_only: bool) -> None:
    """网页 — serve the web app (overview, ranking, agents, imports, reviews…)."""
    chosen = db or obj.config.db
    obj.config.db = chosen
    serve_app(chosen, obj.config, host, port, https_only)
