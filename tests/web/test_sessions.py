"""Sessions that end (logout, password change, disabling, sign out everywhere), a signing key
kept outside the store, and login throttling that rotating X-Forwarded-For does not reset."""

from __future__ import annotations

import base64
import json
import shutil
import stat
from pathlib import Path
from typing import Any

import itsdangerous
import pytest
from fastapi.testclient import TestClient

from kaohe.store import Store
from kaohe.web import sessions
from kaohe.web.app import SESSION_COOKIE, create_app
from kaohe.web.users import add_user, set_disabled, set_password

from .conftest import csrf_of, log_in
from .reader_guard import guard_readers

PASSWORD = "correct-horse-1"


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store with three users (no data: sessions need none)."""
    db = tmp_path_factory.mktemp("sessions") / "k.duckdb"
    with Store(db) as st:
        st.con.execute("INSERT INTO agents (agent, team) VALUES ('s:amy', 'T1')")
        add_user(st, "boss", "admin", PASSWORD)
        add_user(st, "amy", "agent", PASSWORD, agent="s:amy")
        add_user(st, "ann", "agent", PASSWORD, agent="s:amy")
    return db


@pytest.fixture(scope="module")
def small_app(small_db: Path) -> Any:
    from kaohe.web.app import close_app

    app = create_app(small_db)  # the key file beside the store
    guard_readers(app.state.readers)  # a request writing on a reader fails its test
    yield app
    close_app(app)


def _logged_in(app: Any, username: str) -> TestClient:
    client = TestClient(app)
    assert log_in(client, username, PASSWORD).status_code == 303
    return client


def _replay(app: Any, cookie: str, path: str = "/account") -> Any:
    """A new client presenting only the captured cookie."""
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, cookie)
    return client.get(path, follow_redirects=False)


def test_the_key_lives_beside_the_store_not_in_it(small_app: Any, small_db: Path) -> None:
    key_file = Path(f"{small_db}.key")
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    st = small_app.state.store
    settings = st.con.execute("SELECT key, value FROM web_settings").fetchall()
    assert not any(key_file.read_text() in str(v) for _, v in settings)


def test_a_cookie_forged_with_a_key_read_from_a_store_copy_is_refused(
    small_app: Any, small_db: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.duckdb"
    small_app.state.store.con.execute("CHECKPOINT")
    shutil.copy(small_db, copy)
    with Store(copy, read_only=True) as st:
        # whatever secret-looking value the copy holds (the old versions kept one here)
        candidates = [
            str(r[0]) for r in st.con.execute("SELECT value FROM web_settings").fetchall()
        ]
        sids = [str(r[0]) for r in st.con.execute("SELECT sid_hash FROM web_sessions").fetchall()]
    for secret in [*candidates, "session_secret", ""]:
        for sid in [*sids, "forged"]:
            payload = base64.b64encode(json.dumps({"sid": sid, "user": "boss"}).encode())
            forged = itsdangerous.TimestampSigner(secret or "x").sign(payload).decode()
            response = _replay(small_app, forged, "/users")
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login")


def test_logout_ends_the_session_for_a_replayed_cookie(small_app: Any) -> None:
    client = _logged_in(small_app, "amy")
    cookie = client.cookies[SESSION_COOKIE]
    assert _replay(small_app, cookie).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    replayed = _replay(small_app, cookie)
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/login")


def test_a_password_change_ends_the_users_other_sessions(small_app: Any) -> None:
    other = _logged_in(small_app, "ann")
    cookie = other.cookies[SESSION_COOKIE]
    set_password(small_app.state.store, "ann", PASSWORD)  # (the same password: still a change)
    assert _replay(small_app, cookie).headers["location"].startswith("/login")


def test_the_account_page_changes_the_password_and_keeps_this_browser(small_app: Any) -> None:
    here, elsewhere = _logged_in(small_app, "ann"), _logged_in(small_app, "ann")
    form = {"current": PASSWORD, "new": PASSWORD, "repeat": PASSWORD}
    response = here.post("/account/password", data={**form, "csrf_token": csrf_of(here)})
    assert response.status_code == 200
    assert here.get("/account", follow_redirects=False).status_code == 200
    stale = elsewhere.get("/account", follow_redirects=False)
    assert stale.headers["location"].startswith("/login")


def test_disabling_a_user_ends_their_sessions(small_app: Any) -> None:
    client = _logged_in(small_app, "ann")
    cookie = client.cookies[SESSION_COOKIE]
    set_disabled(small_app.state.store, "ann", True)
    try:
        assert _replay(small_app, cookie).headers["location"].startswith("/login")
    finally:
        set_disabled(small_app.state.store, "ann", False)


def test_an_admin_signs_a_user_out_everywhere(small_app: Any) -> None:
    victim = _logged_in(small_app, "amy")
    cookie = victim.cookies[SESSION_COOKIE]
    admin = _logged_in(small_app, "boss")
    page = admin.get("/users")
    assert page.status_code == 200 and "amy" in page.text
    done = admin.post("/users/amy/signout", data={"csrf_token": csrf_of(admin)})
    assert done.status_code == 200
    assert _replay(small_app, cookie).headers["location"].startswith("/login")
    assert admin.get("/users", follow_redirects=False).status_code == 200  # the admin stays


def test_only_an_admin_sees_the_users_page(small_app: Any) -> None:
    assert _logged_in(small_app, "amy").get("/users").status_code == 403


def test_rotating_the_key_refuses_cookies_signed_with_the_old_one(
    small_app: Any, small_db: Path
) -> None:
    client = _logged_in(small_app, "amy")
    cookie = client.cookies[SESSION_COOKIE]
    sessions.write_key(Path(f"{small_db}.key"))
    assert _replay(small_app, cookie).headers["location"].startswith("/login")
    assert _logged_in(small_app, "amy").get("/account").status_code == 200  # new logins work


def test_rotating_x_forwarded_for_does_not_reset_the_throttle(small_app: Any) -> None:
    client = TestClient(small_app)
    statuses = []
    for i in range(15):
        response = client.post(
            "/login",
            data={"username": "boss", "password": "wrong-password", "csrf_token": csrf_of(client)},
            headers={"X-Forwarded-For": f"10.0.0.{i}"},
        )
        statuses.append(response.status_code)
    right = client.post(
        "/login",
        data={"username": "boss", "password": PASSWORD, "csrf_token": csrf_of(client)},
        headers={"X-Forwarded-For": "10.9.9.9"},
        follow_redirects=False,
    )
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429
    assert right.status_code == 429  # the right password too: the account is throttled
    small_app.state.store.con.execute("DELETE FROM login_attempts")


def test_the_account_throttle_holds_across_addresses(small_app: Any) -> None:
    from kaohe.web.users import MAX_ACCOUNT_FAILURES, authenticate, is_throttled

    st = small_app.state.store
    for i in range(MAX_ACCOUNT_FAILURES):
        authenticate(st, "amy", "wrong-password", ip=f"10.1.0.{i}")
    assert is_throttled(st, "amy", "10.2.0.1")  # a fresh address, the same account
    assert not is_throttled(st, "boss", "10.2.0.1")
    st.con.execute("DELETE FROM login_attempts")


def test_a_megabyte_username_is_stored_capped(small_app: Any) -> None:
    from kaohe.web.users import MAX_USERNAME

    client = TestClient(small_app)
    huge = "x" * 1_000_000
    response = client.post(
        "/login", data={"username": huge, "password": "p", "csrf_token": csrf_of(client)}
    )
    assert response.status_code == 401
    st = small_app.state.store
    longest = st.con.execute(
        "SELECT max(length(username)) FROM login_attempts UNION ALL "
        "SELECT max(length(username)) FROM audit_log"
    ).fetchall()
    assert all(row[0] <= MAX_USERNAME for row in longest)
    st.con.execute("DELETE FROM login_attempts")


def test_housekeeping_prunes_old_attempts_audit_rows_and_expired_sessions(
    small_app: Any,
) -> None:
    from datetime import datetime, timedelta

    from kaohe.web.app import housekeeping

    st = small_app.state.store
    old = datetime.now() - timedelta(days=500)
    st.con.execute(
        'INSERT INTO login_attempts ("at", username, ip, ok) VALUES (?, ?, ?, false)',
        [old, "x", "1.1.1.1"],
    )
    st.con.execute(
        'INSERT INTO audit_log ("at", username, action, detail) VALUES (?, ?, ?, ?)',
        [old, "x", "login_failed", ""],
    )
    st.con.execute(
        "INSERT INTO web_sessions VALUES ('h', 'amy', ?, ?, NULL)", [old, old + timedelta(hours=1)]
    )
    housekeeping(st, small_app.state.server)
    for table, column in (
        ("login_attempts", '"at"'),
        ("audit_log", '"at"'),
        ("web_sessions", "created_at"),
    ):
        left = st.con.execute(
            f"SELECT count(*) FROM {table} WHERE {column} < ?", [old + timedelta(days=1)]
        )
        assert left.fetchone()[0] == 0, table


def test_key_file_permissions_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb.key"
    sessions.write_key(path)
    path.chmod(0o644)
    sessions.read_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
