"""The server under load and attack: concurrent anonymous requests, slow clients, SIGTERM,
cache and transport headers, bad periods. Hang guards are timeouts, never timing asserts."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from kaohe.config import Config
from kaohe.store import Store
from kaohe.web.app import close_app, create_app
from kaohe.web.server import ServerSettings, guarded_protocol
from kaohe.web.users import add_user

from .conftest import _free_port, log_in

PASSWORD = "correct-horse-1"
HANG_GUARD_S = 60  # a deadlock fails the test instead of hanging the suite


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("server") / "k.duckdb"
    with Store(db) as st:
        add_user(st, "boss", "admin", PASSWORD)
    return db


def _config(db: Path, **server: Any) -> Config:
    return Config(db=str(db), raw={"server": server})


def _serve(db: Path, **server: Any) -> Iterator[tuple[str, Any]]:
    """The app under uvicorn (lifespan on, the guarded protocol) with these [server]
    settings; yields its base URL and the app."""
    import uvicorn

    app = create_app(db, config=_config(db, **server), secret_key="k" * 40)
    port = _free_port()
    server_ = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            http=guarded_protocol(app.state.server),
            proxy_headers=False,
        )
    )
    thread = threading.Thread(target=server_.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server_.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server_.should_exit = True
    thread.join(timeout=10)
    close_app(app)


@pytest.fixture(scope="module")
def served(tiny_db: Path) -> Iterator[tuple[str, Any]]:
    """Sized small on purpose: 2 readers and 4 threads, so 100 requests queue far beyond
    them (the old store lock deadlocked once every thread waited on it)."""
    yield from _serve(tiny_db, readers=2, threads=4)


@pytest.fixture(scope="module")
def impatient(tiny_db: Path) -> Iterator[tuple[str, Any]]:
    """Half a second for a request head or a pause in a body."""
    yield from _serve(tiny_db, head_timeout_s=0.5, body_idle_s=0.5)


def test_a_hundred_anonymous_requests_leave_login_answering(served: tuple[str, Any]) -> None:
    base, _ = served

    async def storm() -> tuple[set[int], int]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=base, timeout=HANG_GUARD_S, limits=limits) as c:
            answers = await asyncio.gather(*[c.get("/") for _ in range(100)])
            login = await c.get("/login")
        return {a.status_code for a in answers}, login.status_code

    # a thread of its own: the browser tests' Playwright keeps an event loop running in
    # this one, and asyncio.run refuses to nest
    with ThreadPoolExecutor(1) as pool:
        statuses, login = pool.submit(asyncio.run, storm()).result()
    assert statuses == {303}  # every one redirected to the login page, none stuck
    assert login == 200


def test_a_slow_request_head_is_cut_off(impatient: tuple[str, Any]) -> None:
    base, _ = impatient
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD_S) as sock:
        sock.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n")  # ... and never the blank line
        assert sock.recv(1024) == b""  # closed by the server (head_timeout_s = 0.5)


def test_a_stalled_upload_is_cut_off(impatient: tuple[str, Any]) -> None:
    base, _ = impatient
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD_S) as sock:
        sock.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
        data = sock.recv(4096)
        while data and b"\r\n\r\n" not in data:  # an answer, if any, then the close
            data += sock.recv(4096)
        assert sock.recv(1024) == b"" or data


def test_pages_are_not_stored_static_files_may_be(tiny_db: Path) -> None:
    app = create_app(tiny_db, config=_config(tiny_db), secret_key="k" * 40)
    try:
        client = TestClient(app)
        assert client.get("/login").headers["cache-control"] == "no-store"
        static = client.get("/static/kaohe.css")
        assert static.status_code == 200 and "no-store" not in static.headers.get(
            "cache-control", ""
        )
        assert "strict-transport-security" not in client.get("/login").headers
    finally:
        close_app(app)


def test_https_only_sends_hsts(tiny_db: Path) -> None:
    app = create_app(tiny_db, config=_config(tiny_db), secret_key="k" * 40, https_only=True)
    try:
        headers = TestClient(app).get("/login").headers
        assert headers["strict-transport-security"].startswith("max-age=")
    finally:
        close_app(app)


def test_forwarded_for_counts_only_from_a_trusted_proxy(tiny_db: Path) -> None:
    from kaohe.web.pages.login import client_ip

    seen: list[str | None] = []

    def remember(request: Request) -> str:
        seen.append(client_ip(request))
        return ""

    for trusted in ([], ["testclient", "127.0.0.1"]):
        app = create_app(
            tiny_db, config=_config(tiny_db, trusted_proxies=trusted), secret_key="k" * 40
        )
        app.add_api_route("/_ip", remember)
        try:
            TestClient(app, client=("127.0.0.1", 5000)).get(
                "/_ip", headers={"X-Forwarded-For": "203.0.113.7"}
            )
        finally:
            close_app(app)
    assert seen == ["127.0.0.1", "203.0.113.7"]


@pytest.mark.parametrize("period", ["9999-12", "0001-01", "last99999999999", "2026-13"])
def test_an_impossible_period_is_a_400(tiny_db: Path, period: str) -> None:
    app = create_app(tiny_db, config=_config(tiny_db), secret_key="k" * 40)
    try:
        client = TestClient(app)
        assert log_in(client, "boss", PASSWORD).status_code == 303
        assert client.get(f"/?period={period}").status_code == 400
    finally:
        close_app(app)


def test_unknown_server_settings_name_the_field(tiny_db: Path) -> None:
    from kaohe.errors import ConfigError
    from kaohe.web.server import server_settings

    with pytest.raises(ConfigError, match="server.reader"):
        server_settings(_config(tiny_db, reader=3))
    assert ServerSettings().readers >= 2


@pytest.mark.slow
def test_sigterm_stops_the_server_and_releases_the_store(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    Store(db).close()
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kaohe", "--db", str(db), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "serve did not start"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=HANG_GUARD_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    Store(db).close()  # the DuckDB lock is free again: a restart can open it
