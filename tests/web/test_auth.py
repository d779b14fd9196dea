"""Login, logout, sessions, CSRF, throttling, roles, security headers and the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi import HTTPException

from kaohe.store import Store
from kaohe.web import audit, users
from kaohe.web.auth import User, can_see_agent, require_roles, sees_buyer_pii, visible_agents
from tests.web.conftest import PASSWORD, csrf_of


def test_anonymous_get_redirects_to_login_with_next(anon):
    response = anon.get("/ranking?period=2026-10", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Franking%3Fperiod%3D2026-10"


def test_anonymous_post_is_401(anon):
    response = anon.post("/logout", data={}, follow_redirects=False)
    # no CSRF token in an anonymous session: refused before anything happens
    assert response.status_code == 403


def test_login_sets_httponly_lax_cookie_and_redirects_to_next(anon, accounts):
    token = csrf_of(anon)
    response = anon.post(
        "/login",
        data={"username": "super", "password": PASSWORD, "csrf_token": token, "next": "/ranking"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/ranking"
    cookie = response.headers["set-cookie"].lower()
    assert "kaohe_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    # a new session after login: the pre-login CSRF token no longer works
    assert csrf_of(anon) != token


def test_login_refuses_an_offsite_next(anon):
    response = anon.post(
        "/login",
        data={
            "username": "super",
            "password": PASSWORD,
            "csrf_token": csrf_of(anon),
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_wrong_password_is_401_and_audited(app, anon):
    response = anon.post(
        "/login",
        data={"username": "lead", "password": "wrong-password", "csrf_token": csrf_of(anon)},
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    failed = audit.entries(app.state.store, "login_failed")
    assert failed[0]["username"] == "lead"


def test_login_without_csrf_is_403(anon):
    anon.get("/login")
    response = anon.post("/login", data={"username": "super", "password": PASSWORD})
    assert response.status_code == 403


def test_successful_login_is_audited(app, client):
    client("agent2")
    logins = audit.entries(app.state.store, "login")
    assert logins[0]["username"] == "agent2"
    assert logins[0]["detail"] == "role=agent"


def test_logout_needs_csrf_then_ends_the_session(client, csrf):
    c = client("supervisor")
    assert c.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert c.get("/", follow_redirects=False).status_code == 200
    response = c.post("/logout", data={"csrf_token": csrf(c)}, follow_redirects=False)
    assert response.status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303


def test_csrf_header_is_accepted(client, csrf):
    c = client("supervisor")
    response = c.post("/logout", headers={"X-CSRF-Token": csrf(c)}, follow_redirects=False)
    assert response.status_code == 303


def test_forged_session_cookie_is_not_logged_in(anon):
    anon.cookies.set("kaohe_session", "eyJ1c2VyIjogImFkbWluIn0=.forged.sig")
    assert anon.get("/", follow_redirects=False).status_code == 303


def test_security_headers(anon):
    response = anon.get("/login")
    assert response.headers["x-content-type-options"] == "nosniff"
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_language_switch(anon):
    assert "登录" in anon.get("/login").text
    anon.get("/lang/en?next=/login")
    assert "Log in" in anon.get("/login").text
    anon.get("/lang/zh?next=/login")
    assert "登录" in anon.get("/login").text


def test_throttling_after_five_failures(tmp_path):
    st = Store(tmp_path / "t.duckdb")
    users.add_user(st, "ann", "supervisor", "password-1")
    now = datetime(2026, 10, 1, 9, 0)
    for minute in range(5):
        assert (
            users.authenticate(st, "ann", "bad", "1.2.3.4", now=now + timedelta(minutes=minute))
            is None
        )
    # 5 failures within 15 minutes from this ip: throttled; another ip is not
    assert users.is_throttled(st, "ann", "1.2.3.4", now=now + timedelta(minutes=5))
    assert not users.is_throttled(st, "ann", "5.6.7.8", now=now + timedelta(minutes=5))
    # the window slides: at 9:16 the first failure (9:00) is out, 4 remain
    assert not users.is_throttled(st, "ann", "1.2.3.4", now=now + timedelta(minutes=16))


def test_throttled_login_answers_429(app, anon):
    st = app.state.store
    users.add_user(st, "throttled", "supervisor", "password-1")
    for _ in range(5):
        users.authenticate(st, "throttled", "bad", "testclient")
    response = anon.post(
        "/login",
        data={"username": "throttled", "password": "password-1", "csrf_token": csrf_of(anon)},
    )
    assert response.status_code == 429
    assert "15 分钟" in response.text


def test_password_hash_is_argon2_and_verifies(tmp_path):
    st = Store(tmp_path / "t.duckdb")
    users.add_user(st, "bo", "admin", "password-1")
    stored = st.con.execute("SELECT password_hash FROM web_users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "password-1" not in stored
    assert users.authenticate(st, "bo", "password-1") == User("bo", "admin", None, None)
    users.set_password(st, "bo", "password-2")
    assert users.authenticate(st, "bo", "password-1") is None
    assert users.authenticate(st, "bo", "password-2") is not None


def test_disabled_user_cannot_log_in(tmp_path):
    st = Store(tmp_path / "t.duckdb")
    users.add_user(st, "cy", "admin", "password-1")
    st.con.execute("UPDATE web_users SET disabled = true")
    assert users.authenticate(st, "cy", "password-1") is None


def test_visibility_by_role(app, accounts):
    st = app.state.store
    lead = User("lead", "lead", None, accounts["lead"]["team"])
    me = User("agent", "agent", accounts["agent"]["agent"], None)
    team = {
        r[0]
        for r in st.con.execute("SELECT agent FROM agents WHERE team = ?", [lead.team]).fetchall()
    }
    assert visible_agents(User("s", "supervisor"), st) is None
    assert visible_agents(lead, st) == team and len(team) == 10  # 售前组 has 10 agents
    assert visible_agents(me, st) == {me.agent}
    assert can_see_agent(lead, me.agent, st)
    assert not can_see_agent(lead, accounts["agent2"]["agent"], st)
    assert not can_see_agent(me, accounts["agent2"]["agent"], st)
    assert [sees_buyer_pii(User("u", r)) for r in ("admin", "supervisor", "lead", "agent")] == [
        True,
        True,
        False,
        False,
    ]


def test_require_roles_answers_403():
    only_admin = require_roles("admin", "supervisor")
    assert only_admin(User("a", "admin")) == User("a", "admin")
    with pytest.raises(HTTPException) as refused:
        only_admin(User("l", "lead", None, "t"))
    assert refused.value.status_code == 403


@pytest.mark.parametrize("role", ["agent"])
def test_unknown_page_is_404_page(client, role):
    response = client(role).get("/no-such-page")
    assert response.status_code == 404
    assert "未找到" in response.text


def test_invalid_period_is_400_in_chinese(client):
    response = client("supervisor").get("/?period=2026-13")
    assert response.status_code == 400
    assert "无效的期间" in response.text


def test_an_agent_lands_on_their_own_page(client, accounts):
    from fastapi.testclient import TestClient

    from tests.web.conftest import log_in

    acc = accounts["agent"]
    fresh = TestClient(client("admin").app)
    response = log_in(fresh, acc["username"], acc["password"])
    assert response.headers["location"] == "/agents/me"
