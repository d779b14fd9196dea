"""Scheme and pay-plan assignment in the browser and the API (admin only): the rules are
shown with whom they cover, edited through the one loader (unknown names answered with the
closest known one), written by the one writer and audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaohe.assignments import assignments_path


@pytest.fixture()
def rules_file(app: Any) -> Iterator[Path]:
    """The app's assignments file, put back as it was after the test (other tests read it)."""
    path = assignments_path(app.state.config)
    before = path.read_bytes() if path.is_file() else None
    try:
        yield path
    finally:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)


def _team(app: Any, team: str) -> list[str]:
    rows = app.state.writer.call(
        lambda st: st.con.execute(
            "SELECT agent FROM agents WHERE team = ? AND coalesce(CAST(active AS VARCHAR), "
            "'true') NOT IN ('false', '0') ORDER BY agent",
            [team],
        ).fetchall()
    )
    return [r[0] for r in rows]


def _audit(app: Any) -> list[str]:
    rows = app.state.writer.call(
        lambda st: st.con.execute(
            "SELECT detail FROM audit_log WHERE action = 'assignments.edit' ORDER BY \"at\""
        ).fetchall()
    )
    return [r[0] for r in rows]


@pytest.mark.parametrize("role", ["supervisor", "lead", "agent"])
def test_only_admins_see_or_change_the_assignments(client, csrf, api, role, rules_file):
    before = rules_file.read_bytes() if rules_file.exists() else None
    browser = client(role)
    assert browser.get("/admin/assignments").status_code == 403
    form = {"csrf_token": csrf(browser), "action": "add", "scheme": "general"}
    assert browser.post("/admin/assignments", data=form).status_code == 403
    assert api(role).get("/api/v1/assignments").status_code == 403
    body = {"rules": [{"when": {}, "scheme": "general"}]}
    assert api(role).put("/api/v1/assignments", json=body).status_code == 403
    assert api(None).get("/api/v1/assignments").status_code == 401
    assert (rules_file.read_bytes() if rules_file.exists() else None) == before


def test_the_api_replaces_the_rules_and_says_whom_they_cover(api, app, accounts, rules_file):
    admin = api("admin")
    team = accounts["lead"]["team"]  # 售前组
    version = admin.get("/api/v1/assignments").json()["version"]
    body = {
        "version": version,
        "rules": [
            {"name": "售前", "when": {"team": [team]}, "scheme": "presales_service"},
            {"when": {}, "scheme": "general", "plan": "tmall_commission"},
        ],
    }
    answer = admin.put("/api/v1/assignments", json=body)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    members = _team(app, team)
    assert found["scheme"]["groups"]["presales_service"] == members
    assert found["scheme"]["per_rule"][0] == len(members)
    everyone = found["plan"]["per_rule"][1]
    assert found["plan"]["groups"]["tmall_commission"] and everyone >= len(members) + 1
    assert found["rules"][0]["when"]["team"] == [team] and found["version"] != version
    assert "presales_service" in rules_file.read_text("utf-8")
    assert any(d.startswith(f"+ 售前: 组 {team} → 考核方案 presales_service") for d in _audit(app))
    # a change made from the old version is refused, the file stays
    again = admin.put("/api/v1/assignments", json={**body, "rules": body["rules"][1:]})
    assert again.status_code == 400 and "reload" in again.json()["detail"]
    assert "presales_service" in rules_file.read_text("utf-8")


@pytest.mark.parametrize(
    ("rule", "closest"),
    [
        ({"when": {}, "scheme": "presales_servce"}, "presales_service"),
        ({"when": {}, "plan": "jd_comission"}, "jd_commission"),
        ({"when": {"team": ["售前"]}, "scheme": "general"}, "售前组"),
        ({"when": {"role": ["presale"]}, "scheme": "general"}, "presales"),
    ],
)
def test_unknown_names_are_refused_with_the_closest(api, rule, closest, rules_file):
    before = rules_file.read_bytes() if rules_file.exists() else None
    answer = api("admin").put("/api/v1/assignments", json={"rules": [rule]})
    assert answer.status_code == 400, answer.text
    assert f"'{closest}'" in answer.json()["detail"]  # did you mean
    assert (rules_file.read_bytes() if rules_file.exists() else None) == before


def test_an_unknown_shop_is_refused(api, app, rules_file):
    shop = app.state.writer.call(
        lambda st: st.con.execute("SELECT min(shop) FROM messages").fetchone()[0]
    )
    typo = shop[:-1]
    answer = api("admin").put(
        "/api/v1/assignments", json={"rules": [{"when": {"shop": [typo]}, "plan": "jd_commission"}]}
    )
    assert answer.status_code == 400 and repr(shop) in answer.json()["detail"]


def test_the_page_adds_edits_and_deletes_a_rule(client, csrf, app, accounts, rules_file):
    admin = client("admin")
    token = csrf(admin)
    page = admin.get("/admin/assignments")
    assert page.status_code == 200 and "方案分配" in page.text
    rules_file.unlink(missing_ok=True)  # start from no rules
    page = admin.get("/admin/assignments")
    assert "还没有分配规则" in page.text
    team = accounts["lead"]["team"]
    add = {"csrf_token": token, "version": "", "action": "add", "name": "售前"}
    added = admin.post("/admin/assignments", data={**add, "team": team, "scheme": "general"})
    assert added.status_code == 200, added.text
    assert 'value="general" selected' in added.text and f'value="{team}"' in added.text
    version = _version(added.text)
    edit = {"csrf_token": token, "version": version, "action": "save", "index": "0", "name": "售前"}
    bad = admin.post("/admin/assignments", data={**edit, "team": "售后", "scheme": "general"})
    assert bad.status_code == 400 and "售后组" in bad.text  # did you mean, nothing written
    assert team in rules_file.read_text("utf-8")
    saved = admin.post(
        "/admin/assignments", data={**edit, "team": team, "role": "售前", "plan": "jd_commission"}
    )
    assert saved.status_code == 200 and "jd_commission" in rules_file.read_text("utf-8")
    assert "role: presales" in rules_file.read_text("utf-8")  # the Chinese label, stored as code
    assert 'value="售前"' in saved.text  # and shown in Chinese again
    gone = {"csrf_token": token, "version": _version(saved.text), "action": "delete"}
    deleted = admin.post("/admin/assignments", data={**gone, "index": "0"})
    assert deleted.status_code == 200 and "还没有分配规则" in deleted.text
    details = _audit(app)[-3:]
    assert details[0] == f"+ 售前: 组 {team} → 考核方案 general"
    assert details[1].startswith(f"+ 售前: 组 {team}，岗位 售前 → 薪资方案 jd_commission; - 售前")
    assert details[2] == f"- 售前: 组 {team}，岗位 售前 → 薪资方案 jd_commission"


def _version(html: str) -> str:
    import re

    found = re.search(r'name="version" value="([0-9a-f]*)"', html)
    assert found
    return found.group(1)


def test_a_field_lists_values_the_way_people_write_them():
    from kaohe.web.pages.admin import _values

    assert _values(" 售前组，售后组、 A组;B组；C组,, ") == ["售前组", "售后组", "A组", "B组", "C组"]
    assert _values("") == []


def test_a_file_that_does_not_load_is_shown_and_can_be_replaced(api, rules_file):
    rules_file.write_text("assignments:\n  - when: {}\n    scheme: gone.yaml\n", "utf-8")
    admin = api("admin")
    shown = admin.get("/api/v1/assignments").json()
    assert "gone.yaml" in shown["problem"] and shown["rules"] == []
    body = {"version": shown["version"], "rules": [{"when": {}, "scheme": "general"}]}
    mended = admin.put("/api/v1/assignments", json=body)
    assert mended.status_code == 200 and mended.json()["problem"] is None
    assert "gone.yaml" not in rules_file.read_text("utf-8")
