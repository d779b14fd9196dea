"""The JSON API under /api/v1: every endpoint for every role, the forbidden cases included;
the role rules and masking are the pages' (kaohe.web.auth)."""

from __future__ import annotations

from typing import Any

import pytest

V1 = "/api/v1"
PERIOD = "2026-10"
ORDERS = (
    "order_id,shop,buyer,created_at,paid_at,amount,status\n"
    "api-o1,s1,b1,2019-01-05 10:00:00,2019-01-05 10:05:00,10,paid\n"
)


def test_the_openapi_document_lists_every_endpoint(api):
    doc = api(None).get(f"{V1}/openapi.json").json()
    paths = set(doc["paths"])
    for path in (
        "/imports", "/kpis", "/scores", "/pay", "/compliance", "/findings", "/alerts",
        "/alerts/{alert_id}/ack", "/users", "/users/{name}/tokens", "/tokens/{token_id}",
        "/runs", "/reports", "/health", "/me", "/qa/runs", "/assignments",
        "/users/{name}/signout", "/signout-all",
    ):  # fmt: skip
        assert V1 + path in paths, path
    assert "HTTPBearer" in doc["components"]["securitySchemes"]


def test_health_needs_no_token(api):
    body = api(None).get(f"{V1}/health").json()
    assert body["status"] == "ok" and body["schema_version"] >= 15


@pytest.mark.parametrize("header", [None, "Bearer kh_not-a-token", "Basic abc", "Bearer "])
def test_no_valid_token_is_401(api, header):
    client = api(None)
    if header:
        client.headers["Authorization"] = header
    response = client.get(f"{V1}/kpis", params={"period": PERIOD})
    assert response.status_code == 401
    assert "token" in response.json()["detail"]


def test_me_names_the_tokens_user(api, accounts):
    for role in ("admin", "supervisor", "lead", "agent"):
        me = api(role).get(f"{V1}/me").json()
        assert me["username"] == accounts[role]["username"] and me["role"] == role


def _agents(rows: list[dict[str, Any]]) -> set[str]:
    return {r["agent"] for r in rows}


def test_kpis_are_scoped_like_the_pages(api, accounts, app):
    params = {"period": PERIOD, "metrics": "rounds"}
    every = _agents(api("supervisor").get(f"{V1}/kpis", params=params).json()["rows"])
    team = _agents(api("lead").get(f"{V1}/kpis", params=params).json()["rows"])
    own = _agents(api("agent").get(f"{V1}/kpis", params=params).json()["rows"])
    assert own == {accounts["agent"]["agent"]}
    assert own < team < every
    with app.state.store.cursor() as st:
        lead_team = {
            r[0]
            for r in st.con.execute(
                "SELECT agent FROM agents WHERE team = ?", [accounts["lead"]["team"]]
            ).fetchall()
        }
    assert team <= lead_team


def test_an_agent_asking_for_another_agent_is_told_unknown(api, accounts):
    other = accounts["agent2"]["agent"]
    response = api("agent").get(f"{V1}/kpis", params={"period": PERIOD, "agent": other})
    assert response.status_code == 404


def test_kpis_refuse_an_unknown_metric_and_a_bad_period(api):
    assert api("admin").get(f"{V1}/kpis", params={"period": "2026-13"}).status_code == 400
    bad = api("admin").get(f"{V1}/kpis", params={"period": PERIOD, "metrics": "roundz"})
    assert bad.status_code == 400 and "rounds" in bad.json()["detail"]  # did you mean


def test_scores_and_pay_rows_of_the_callers_agents(api, accounts):
    from kaohe.pay.plan import list_plans

    scores = api("agent").get(f"{V1}/scores", params={"period": PERIOD}).json()
    assert _agents(scores["rows"]) <= {accounts["agent"]["agent"]}
    assert len(api("admin").get(f"{V1}/scores", params={"period": PERIOD}).json()["rows"]) > 1
    unknown = api("admin").get(f"{V1}/scores", params={"period": PERIOD, "scheme": "nope"})
    assert unknown.status_code == 404
    plan = list_plans()[0].id
    pay = api("agent").get(f"{V1}/pay", params={"period": PERIOD, "plan": plan})
    assert pay.status_code == 200, pay.text
    assert _agents(pay.json()["rows"]) <= {accounts["agent"]["agent"]}


@pytest.mark.parametrize("role", ["lead", "agent"])
def test_compliance_is_for_managers(api, role):
    response = api(role).get(f"{V1}/compliance", params={"period": PERIOD})
    assert response.status_code == 403


def test_compliance_for_a_supervisor(api):
    response = api("supervisor").get(f"{V1}/compliance", params={"period": PERIOD})
    assert response.status_code == 200 and response.json()["rows"]


def test_findings_are_masked_below_supervisor(api, accounts):
    params = {"period": PERIOD}
    full = api("admin").get(f"{V1}/findings", params=params).json()["rows"]
    team = api("lead").get(f"{V1}/findings", params=params).json()["rows"]
    assert full and team
    unmasked = {r["buyer"] for r in full}
    assert all(r["buyer"] not in unmasked for r in team), "the lead sees buyer ids masked"
    own = api("agent").get(f"{V1}/findings", params=params).json()["rows"]
    assert _agents(own) <= {accounts["agent"]["agent"]}


@pytest.mark.parametrize("role", ["lead", "agent"])
def test_imports_are_for_managers(api, role):
    files = {"files": ("o.csv", ORDERS.encode(), "text/csv")}
    assert api(role).post(f"{V1}/imports", files=files).status_code == 403


def test_an_import_through_the_api_is_idempotent(api, app):
    files = {"files": ("api-orders.csv", ORDERS.encode(), "text/csv")}
    first = api("supervisor").post(f"{V1}/imports", files=files).json()["files"][0]
    assert (first["table"], first["inserted"], first["error"]) == ("orders", 1, None)
    again = api("supervisor").post(f"{V1}/imports", files=files).json()["files"][0]
    assert again["inserted"] == 0
    broken = {"files": ("x.csv", b"no,idea\n1,2\n", "text/csv")}
    refused = api("supervisor").post(f"{V1}/imports", files=broken).json()["files"][0]
    assert refused["error"] and refused["inserted"] == 0


@pytest.mark.parametrize("role", ["supervisor", "lead", "agent"])
def test_user_administration_is_for_admins(api, role):
    client = api(role)
    assert client.get(f"{V1}/users").status_code == 403
    body = {"username": "x1", "role": "agent", "password": "pw-12345678", "agent": "a1"}
    assert client.post(f"{V1}/users", json=body).status_code == 403
    assert client.post(f"{V1}/users/admin/tokens", json={}).status_code == 403
    assert client.get(f"{V1}/runs").status_code == 403


def test_an_admin_manages_users_and_tokens(api, accounts):
    admin = api("admin")
    lead_team = accounts["lead"]["team"]
    body = {"username": "api-new", "role": "lead", "password": "pw-12345678", "team": lead_team}
    assert admin.post(f"{V1}/users", json=body).status_code == 201
    assert admin.post(f"{V1}/users", json=body).status_code == 400  # exists
    names = {u["username"] for u in admin.get(f"{V1}/users").json()}
    assert "api-new" in names
    made = admin.post(f"{V1}/users/api-new/tokens", json={"label": "t"}).json()
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert api(None).get(f"{V1}/me", headers=headers).json()["role"] == "lead"
    changed = admin.put(f"{V1}/users/api-new/role", json={"role": "supervisor"})
    assert changed.status_code == 200
    assert api(None).get(f"{V1}/me", headers=headers).json()["role"] == "supervisor"
    assert admin.put(f"{V1}/users/api-new/password", json={"password": "pw-87654321"}).is_success
    assert admin.post(f"{V1}/users/api-new/disable").is_success
    assert api(None).get(f"{V1}/me", headers=headers).status_code == 401  # disabled user
    assert admin.post(f"{V1}/users/api-new/enable").is_success
    assert admin.delete(f"{V1}/tokens/{made['id']}").is_success
    assert api(None).get(f"{V1}/me", headers=headers).status_code == 401  # revoked
    assert admin.post(f"{V1}/users/nobody/tokens", json={}).status_code == 404
    assert admin.delete(f"{V1}/users/api-new/tokens").is_success
    listed = admin.get(f"{V1}/tokens", params={"username": "api-new"}).json()
    assert listed and all(t["revoked_at"] for t in listed)
    assert "token" not in listed[0]  # the secret is never listed


@pytest.mark.parametrize("role", ["supervisor", "lead", "agent"])
def test_signing_users_out_is_for_admins(api, role):
    assert api(role).post(f"{V1}/users/agent/signout").status_code == 403
    assert api(role).post(f"{V1}/signout-all").status_code == 403


def test_an_admin_signs_a_user_out(api, client, accounts):
    browser = client("agent2")
    assert browser.get("/").status_code == 200
    done = api("admin").post(f"{V1}/users/{accounts['agent2']['username']}/signout")
    assert done.status_code == 200 and "sessions ended: 0" not in done.json()["detail"]
    assert browser.get("/", follow_redirects=False).status_code == 303  # to the login page
    assert api("admin").post(f"{V1}/users/nobody/signout").status_code == 404


@pytest.mark.parametrize("role", ["lead", "agent"])
def test_qa_runs_are_for_managers(api, role):
    assert api(role).post(f"{V1}/qa/runs", json={"period": "2026-09"}).status_code == 403


def test_a_qa_run_through_the_api(api, app):
    # a month without chats: the run's plumbing, leaving the shared store's findings as they are
    done = api("supervisor").post(f"{V1}/qa/runs", json={"period": "2026-09"})
    assert done.status_code == 200, done.text
    assert done.json()["pack"] == "default" and done.json()["messages"] == 0
    assert done.json()["findings"] == 0 and done.json()["by_rule"] == {}
    typo = api("admin").post(f"{V1}/qa/runs", json={"pack": "defualt"})
    assert typo.status_code == 400 and "'default'" in typo.json()["detail"]
    both = api("admin").post(f"{V1}/qa/runs", json={"period": "2026-09", "start": "2026-09-01"})
    assert both.status_code == 400
    details = app.state.writer.call(
        lambda st: st.con.execute("SELECT detail FROM audit_log WHERE action = 'qa.run'").fetchall()
    )
    assert ("default 2026-09: 0 findings",) in details


def test_runs_and_reports_for_their_roles(api):
    assert api("admin").get(f"{V1}/runs").status_code == 200
    assert api("supervisor").get(f"{V1}/reports").status_code == 200
    assert api("agent").get(f"{V1}/reports").status_code == 403


@pytest.fixture(scope="module")
def alert_id(app) -> int:
    """An alert of the lead's team in the inbox (the demo raised some; else one is made)."""

    def find(st: Any) -> int | None:
        row = st.con.execute(
            "SELECT a.id FROM alerts a JOIN agents g ON g.agent = a.agent "
            "WHERE a.status = 'open' AND g.team = '售前组' ORDER BY a.id LIMIT 1"
        ).fetchone()
        return None if row is None else int(row[0])

    found = app.state.writer.call(find)
    if found is None:
        pytest.skip("the demo store raised no alert for the lead's team")
    return found


def test_alerts_for_managers_and_leads_not_agents(api, alert_id):
    assert api("agent").get(f"{V1}/alerts").status_code == 403
    assert api("agent").post(f"{V1}/alerts/{alert_id}/ack").status_code == 403
    ids = {a["id"] for a in api("lead").get(f"{V1}/alerts").json()}
    assert alert_id in ids
    assert api("lead").get(f"{V1}/alerts/{alert_id}").json()["alert"]["id"] == alert_id
    assert api("admin").get(f"{V1}/alerts/99999999").status_code == 404


def test_a_lead_of_another_team_does_not_see_it(api, app, alert_id):
    from kaohe.web.tokens import create_token
    from kaohe.web.users import add_user

    def other_lead(st: Any) -> str:
        add_user(st, "api-lead2", "lead", "pw-12345678", team="售后组")
        return create_token(st, "api-lead2")[1]

    token = app.state.writer.call(other_lead)
    headers = {"Authorization": f"Bearer {token}"}
    assert api(None).get(f"{V1}/alerts/{alert_id}", headers=headers).status_code == 404
    assert api(None).post(f"{V1}/alerts/{alert_id}/ack", headers=headers).status_code == 404


def test_ack_assign_comment_resolve_are_recorded(api, accounts, alert_id):
    lead = api("lead")
    acked = lead.post(f"{V1}/alerts/{alert_id}/ack").json()
    assert acked["alert"]["status"] == "acknowledged"
    assert lead.post(f"{V1}/alerts/{alert_id}/ack").status_code == 400  # already
    assign = {"to": accounts["supervisor"]["username"]}
    assert lead.post(f"{V1}/alerts/{alert_id}/assign", json=assign).is_success
    assert lead.post(f"{V1}/alerts/{alert_id}/assign", json={"to": "nobody"}).status_code == 404
    text = {"text": "已联系买家 13812345678"}
    assert lead.post(f"{V1}/alerts/{alert_id}/comment", json=text).is_success
    done = lead.post(f"{V1}/alerts/{alert_id}/resolve", json={"note": "ok"}).json()
    assert done["alert"]["status"] == "resolved"
    kinds = [e["kind"] for e in done["events"]]
    assert kinds[-4:] == ["acknowledged", "assigned", "commented", "resolved"]
    comment = next(e for e in done["events"] if e["kind"] == "commented")
    assert "13812345678" not in str(comment["detail"])  # comments are masked
    assert all(e["actor"] == accounts["lead"]["username"] for e in done["events"][-4:])
