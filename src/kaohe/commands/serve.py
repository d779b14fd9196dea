"""`kaohe serve`: the web app on the store (spec: issue 8)."""

from __future__ import annotations

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
    """Open the store, warn when nobody can log in, print the URL and serve until stopped."""
    import uvicorn

    from kaohe.params import resolve_params
    from kaohe.web.app import close_app, create_app
    from kaohe.web.users import count_users

    require_store(db)
    resolve_params(config.params, file=config.path)  # a bad kaohe.toml: exit 1 before serving
    app = create_app(db, config=config, https_only=https_only)
    if count_users(app.state.store) == 0:
        click.echo(
            "警告 / warning: 还没有网页用户，无法登录 / no web user yet: "
            f"kaohe --db {db} users add NAME --role supervisor",
            err=True,
        )
    click.echo(f"kaohe 网页 / web: http://{host}:{port}/  (Ctrl+C 停止 / to stop)")
    threading.Thread(target=_warm, args=(app,), daemon=True).start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        close_app(app)


def _warm(app: Any) -> None:
    from kaohe.web.cache import warm

    try:
        warm(app)
    except Exception as exc:  # noqa: BLE001 - the pages compute on demand all the same
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
