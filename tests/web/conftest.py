"""Shared web fixtures: one small demo store per session with a user of every role, logged-in
TestClients, a live server and a headless Chromium page (see the web contract)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaohe.store import Store
from kaohe.web.app import create_app
from kaohe.web.users import add_user
from tests.conftest import built_once
from tests.web.reader_guard import guard_readers

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "correct-horse-1"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def _roster(db: Path) -> dict[str, dict[str, Any]]:
    """agent: the first presales agent; lead: that agent's team; agent2: the aftersales agent
    (another team) with the most QA findings."""
    with Store(db) as st:
        first = st.con.execute(
            "SELECT agent, team FROM agents WHERE team = '售前组' ORDER BY agent LIMIT 1"
        ).fetchone()
        other = st.con.execute(  # the one with the most QA findings: tests appeal one
            "SELECT agent, team FROM agents WHERE team = '售后组' ORDER BY (SELECT count(*) "
            "FROM qa_findings f WHERE f.agent = agents.agent AND f.category <> 'spam') DESC, "
            "agent LIMIT 1"
        ).fetchone()
    return {
        "admin": {"username": "admin", "role": "admin", "agent": None, "team": None},
        "supervisor": {"username": "super", "role": "supervisor", "agent": None, "team": None},
        "lead": {"username": "lead", "role": "lead", "agent": None, "team": first[1]},
        "agent": {"username": "agent", "role": "agent", "agent": first[0], "team": first[1]},
        "agent2": {"username": "agent2", "role": "agent", "agent": other[0], "team": other[1]},
    }


def _build_web_demo(base: Path) -> str:
    from kaohe.demo.run import run_demo

    return run_demo(base, seed=0, messages=6000).db.name


@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A demo store (6,000 messages, 20 agents in 3 teams, Oct 2026 + 4 days of Nov).

    Built once for the run (a minute of CPU); every worker tests its own copy (each app
    writes sessions and reviews to its store). The store alone: the demo's assignments.yaml
    stays behind, so the pages pay with their default plan whichever way the suite runs."""
    own, db_name = built_once(
        tmp_path_factory, worker_id, "web-demo", _build_web_demo, only="kaohe.duckdb"
    )
    return own / db_name


@pytest.fixture(scope="session")
def accounts(web_db: Path) -> dict[str, dict[str, Any]]:
    """role key -> {username, role, agent, team, password}; every password is PASSWORD."""
    roster = _roster(web_db)
    with Store(web_db) as st:
        for acc in roster.values():
            add_user(
                st, acc["username"], acc["role"], PASSWORD, agent=acc["agent"], team=acc["team"]
            )
    return {key: {**acc, "password": PASSWORD} for key, acc in roster.items()}


@pytest.fixture(scope="session")
def app(web_db: Path, accounts: dict[str, dict[str, Any]]) -> Any:
    """The app over the demo store; its read connections refuse to write (reader_guard):
    every web test fails when a request writes anywhere but on the one writer."""
    made = create_app(web_db, secret_key="test-secret-key")
    made.state.reader_writes = guard_readers(made.state.readers)
    return made


def csrf_of(client: TestClient) -> str:
    """The CSRF token of the client's session (read from the login form it renders)."""
    found = CSRF_FIELD.search(client.get("/login").text)
    assert found, "no csrf_token field on /login"
    return found.group(1)


def log_in(client: TestClient, username: str, password: str) -> Any:
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(client),
            "next": "/",
        },
        follow_redirects=False,
    )


@pytest.fixture()
def csrf() -> Callable[[TestClient], str]:
    return csrf_of


def decide_appeal(boss: TestClient, appeal_id: Any, action: str, decision: str) -> int:
    """A supervisor decides an appeal through its form; the response's status code."""
    return boss.post(
        f"/appeals/{appeal_id}/decide",
        data={"action": action, "decision": decision, "csrf_token": csrf_of(boss)},
        follow_redirects=False,
    ).status_code


@pytest.fixture()
def client(app: Any, accounts: dict[str, dict[str, Any]]) -> Callable[[str], TestClient]:
    """client("admin" | "supervisor" | "lead" | "agent" | "agent2") -> a logged-in client."""

    def make(role: str) -> TestClient:
        acc = accounts[role]
        test_client = TestClient(app)
        response = log_in(test_client, acc["username"], acc["password"])
        assert response.status_code == 303, response.text
        return test_client

    return make


@pytest.fixture()
def anon(app: Any) -> TestClient:
    return TestClient(app)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[str]:
    """The app served by uvicorn in a thread; yields its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    opened = context.new_page()
    yield opened
    context.close()


def artifacts_dir() -> Path:
    path = Path(os.environ.get("KAOHE_ARTIFACTS") or "/tmp/kaohe-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture()
def shot() -> Callable[[Any, str], Path]:
    """shot(page, name) saves a full-page screenshot as <artifacts>/<name>.png."""

    def take(page_: Any, name: str) -> Path:
        path = artifacts_dir() / f"{name}.png"
        page_.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture()
def browser_login(
    live_server: str, accounts: dict[str, dict[str, Any]]
) -> Callable[[Any, str], None]:
    """browser_login(page, role): log in through the form; lands on the overview."""

    def login(page_: Any, role: str) -> None:
        acc = accounts[role]
        page_.goto(f"{live_server}/login")
        page_.fill("input[name=username]", acc["username"])
        page_.fill("input[name=password]", acc["password"])
        page_.click("button[type=submit]")
        page_.wait_for_url(f"{live_server}/")

    return login
