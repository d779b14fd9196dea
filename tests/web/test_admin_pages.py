"""Administration pages (admin only): the scheduler's runs, users and tokens, the roster;
every change audited."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("path", ["/admin", "/admin/users", "/admin/roster"])
@pytest.mark.parametrize("role", ["supervisor", "lead", "agent"])
def test_admin_pages_are_for_admins(client, role, path):
    assert client(role).get(path).status_code == 403


def _audit(app: Any, action: str) -> list[str]:
    rows = app.state.writer.call(
        lambda st: st.con.execute(
            'SELECT detail FROM audit_log WHERE action = ? ORDER BY "at"', [action]
        ).fetchall()
    )
    return [r[0] for r in rows]


def test_the_admin_page_lists_runs_and_reports(client, app):
    app.state.writer.call(
        lambda st: st.con.execute(
            "INSERT INTO job_runs VALUES (nextval('job_run_seq'), 'page_job', 'facts', "
            "current_timestamp, current_timestamp, 'failed', NULL, 'boom / 失败')"
        )
    )
    page = client("admin").get("/admin")
    assert page.status_code == 200 and "page_job" in page.text and "boom / 失败" in page.text


def test_an_admin_adds_a_user_changes_the_role_and_manages_tokens(client, csrf, app, accounts):
    admin = client("admin")
    token = csrf(admin)
    team = accounts["lead"]["team"]
    form = {"csrf_token": token, "action": "add", "username": "page-new", "role": "lead"}
    added = admin.post("/admin/users", data={**form, "team": team, "password": "pw-12345678"})
    assert added.status_code == 200 and "page-new" in added.text
    again = admin.post("/admin/users", data={**form, "team": team, "password": "pw-12345678"})
    assert again.status_code == 400  # exists: one line
    role = {"csrf_token": token, "action": "role", "username": "page-new", "role": "supervisor"}
    assert admin.post("/admin/users", data=role).status_code == 200
    made = admin.post(
        "/admin/users", data={"csrf_token": token, "action": "token", "username": "page-new"}
    )
    assert "kh_" in made.text
    from kaohe.web.tokens import list_tokens

    ids = app.state.writer.call(lambda st: [t["id"] for t in list_tokens(st, "page-new")])
    revoke = {"csrf_token": token, "action": "revoke", "token": str(ids[0])}
    assert admin.post("/admin/users", data=revoke).status_code == 200
    assert app.state.writer.call(lambda st: list_tokens(st, "page-new"))[0]["revoked_at"]
    assert "page-new (lead)" in _audit(app, "user.add")
    assert any(d.startswith("page-new: supervisor") for d in _audit(app, "user.role"))
    assert any(d.startswith("page-new #") for d in _audit(app, "user.revoke"))


def test_the_roster_is_edited_and_audited(client, csrf, app, accounts):
    admin = client("admin")
    token = csrf(admin)
    agent = accounts["agent2"]["agent"]
    before = app.state.writer.call(
        lambda st: st.con.execute("SELECT level FROM agents WHERE agent = ?", [agent]).fetchone()
    )[0]
    try:
        # a level the agent does not have yet: only a change is audited
        label, code = ("正式", "regular") if before == "senior" else ("资深", "senior")
        done = admin.post(f"/admin/roster/{agent}", data={"csrf_token": token, "level": label})
        assert done.status_code == 200, done.text
        level = app.state.writer.call(
            lambda st: st.con.execute(
                "SELECT level FROM agents WHERE agent = ?", [agent]
            ).fetchone()
        )[0]
        assert level == code
        assert any(d.startswith(f"{agent}: level") for d in _audit(app, "roster.edit"))
        bad = admin.post(f"/admin/roster/{agent}", data={"csrf_token": token, "level": "senoir"})
        assert bad.status_code == 400 and "senior" in bad.text  # did you mean
        salary = {"csrf_token": token, "base_salary": "-5"}
        assert admin.post(f"/admin/roster/{agent}", data=salary).status_code == 400
        assert admin.post("/admin/roster/nobody", data={"csrf_token": token}).status_code == 404
    finally:
        app.state.writer.call(
            lambda st: st.con.execute(
                "UPDATE agents SET level = ? WHERE agent = ?", [before, agent]
            )
        )
