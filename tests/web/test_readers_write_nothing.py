"""The server's read connections never write: every person's write (a login, an audit row, a
review, a dismissal, an appeal, an import) runs on the one writer, and the engine's blocks on
a reader are TEMP tables. The shared app's readers are guarded (tests/web/reader_guard.py):
a write on one raises in the request and is recorded in `app.state.reader_writes`."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaohe.engine import compute_kpis
from kaohe.web import audit
from kaohe.web.users import add_user, get_user
from tests.web.conftest import decide_appeal

from .conftest import PASSWORD, csrf_of, log_in
from .reader_guard import ReaderWrote
from .test_imports import orders_csv
from .test_reviews import CARD, QUEUE, categories, fresh_keys, submit

PERIOD = "2026-10"
TEMP_USER = "guard_amy"


def test_the_guard_refuses_a_write_on_a_reader_and_lets_its_temp_tables_through(app):
    with app.state.readers.extra() as reader:
        with pytest.raises(ReaderWrote):
            reader.con.execute("INSERT INTO audit_log (username, action) VALUES ('x', 'x')")
        with pytest.raises(ReaderWrote):
            reader.con.execute("CREATE TABLE guard_probe (a INT)")
        reader.con.execute("CREATE TEMP TABLE guard_probe (a INT)")
        reader.con.execute("INSERT INTO guard_probe VALUES (1)")
        reader.con.execute('DROP TABLE IF EXISTS "guard_probe"')
        # the engine's blocks on a reader are TEMP tables (rounds materialise several)
        rows = compute_kpis(reader, by="agent", period=PERIOD, metrics=["rounds"], use_facts=False)
        # a write handed to the writer lands in the store
        reader.write(lambda st: audit.record(st, None, "guard_probe", "on the writer"))
    assert rows and all(r["rounds"] >= 0 for r in rows)
    assert audit.entries(app.state.store, "guard_probe")[0]["detail"] == "on the writer"
    app.state.reader_writes.clear()  # the two refused on purpose above


@pytest.fixture()
def temp_user(app: Any) -> Any:
    st = app.state.store
    add_user(st, TEMP_USER, "supervisor", PASSWORD)
    yield TEMP_USER
    st.con.execute("DELETE FROM web_sessions WHERE username = ?", [TEMP_USER])
    st.con.execute("DELETE FROM web_users WHERE username = ?", [TEMP_USER])


def test_logins_and_the_users_and_account_pages_write_on_the_writer(app, client, temp_user):
    anon = TestClient(app)
    assert log_in(anon, temp_user, "wrong-password").status_code == 401
    mine = TestClient(app)
    assert log_in(mine, temp_user, PASSWORD).status_code == 303
    changed = mine.post(
        "/account/password",
        data={"current": PASSWORD, "new": "guard-pass-2", "repeat": "guard-pass-2"}
        | {"csrf_token": csrf_of(mine)},
    )
    assert changed.status_code == 200 and mine.get("/account").status_code == 200
    admin = client("admin")
    for action in ("signout", "disable", "enable"):
        done = admin.post(f"/users/{temp_user}/{action}", data={"csrf_token": csrf_of(admin)})
        assert done.status_code == 200, action
    assert get_user(app.state.store, temp_user) is not None
    again = TestClient(app)
    assert log_in(again, temp_user, "guard-pass-2").status_code == 303
    out = again.post("/logout", data={"csrf_token": csrf_of(again)}, follow_redirects=False)
    assert out.status_code == 303
    actions = {e["action"] for e in audit.entries(app.state.store) if e["username"] == temp_user}
    assert {"login_failed", "login", "password", "logout"} <= actions
    assert app.state.reader_writes == []


def test_reviews_dismissals_appeals_and_imports_write_on_the_writer(app, client, csrf, accounts):
    st = app.state.store
    boss = client("supervisor")
    key = fresh_keys(boss.get(QUEUE).text)[0]
    cats = categories(boss.get(f"/reviews/{key}").text)
    assert submit(boss, csrf, key, dict.fromkeys(cats, "3"), CARD).status_code == 200
    pack, msg_key, rule = st.con.execute(
        "SELECT pack, msg_key, rule FROM qa_findings WHERE agent = ? AND category <> 'spam' "
        "ORDER BY msg_key LIMIT 1",
        [accounts["agent2"]["agent"]],
    ).fetchone()
    form = {"pack": pack, "msg_key": msg_key, "rule": rule, "reason": "guard", "back": "/findings"}
    for action in ("dismiss", "restore"):
        marked = boss.post(
            "/findings/mark",
            data={**form, "action": action, "csrf_token": csrf(boss)},
            follow_redirects=False,
        )
        assert marked.status_code == 303, action
    appellant = client("agent2")
    appeal = {"msg_key": msg_key, "rule": rule, "comment": "guard", "csrf_token": csrf(appellant)}
    try:
        assert appellant.post("/appeals", data=appeal, follow_redirects=False).status_code == 303
        appeal_id = st.con.execute("SELECT max(id) FROM appeals").fetchone()[0]
        assert decide_appeal(boss, appeal_id, "reject", "guard") == 303
    finally:
        st.con.execute("DELETE FROM appeals WHERE comment = 'guard'")
    token = re.search(r'name="csrf_token" value="([^"]+)"', boss.get("/imports").text)[1]
    uploaded = boss.post(
        "/imports",
        data={"csrf_token": token},
        files=[("files", ("guard_orders.csv", orders_csv("GU"), "text/csv"))],
    )
    assert uploaded.status_code == 200 and "guard_orders.csv" in uploaded.text
    done = {e["action"] for e in audit.entries(st) if e["username"] in ("super", "agent2")}
    assert {"review", "qa_dismiss", "qa_restore", "appeal", "appeal_reject", "import"} <= done
    assert app.state.reader_writes == []
