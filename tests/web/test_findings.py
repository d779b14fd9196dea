"""The QA findings work list: filters, the conversation link, and a false positive that
leaves the agent's quality score (through the store, so the CLI agrees) and comes back."""

from __future__ import annotations

import re

import pytest

from kaohe.engine import compute_kpis
from kaohe.web import audit

PERIOD = "2026-10"


def listed(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-rule="([^"]+)" data-msg="([^"]+)"', html)


def test_filters_and_links(client):
    c = client("supervisor")
    html = c.get(f"/findings?period={PERIOD}").text
    rows = listed(html)
    assert rows, "the demo has findings"
    rule = rows[0][0]
    only = listed(c.get(f"/findings?period={PERIOD}&rule={rule}").text)
    assert only and {r for r, _ in only} == {rule}
    assert html.count("/conversation?msg=") == len(rows)  # each row opens its conversation
    assert "质检发现处理" in html and ">minor<" not in html


def test_a_false_positive_leaves_the_score_and_is_audited(app, client, csrf):
    st = app.state.store
    c = client("supervisor")
    pack, key, rule, agent = st.con.execute(
        "SELECT pack, msg_key, rule, agent FROM qa_findings WHERE agent IS NOT NULL "
        "AND category <> 'spam' AND time >= '2026-10-01' AND time < '2026-11-01' "
        "ORDER BY deduction DESC, msg_key LIMIT 1"
    ).fetchone()

    def violations() -> int:
        return compute_kpis(
            st, by="agent", period=PERIOD, metrics=["qa_violations"], agents=[agent]
        )[0]["qa_violations"]

    before = violations()
    form = {"pack": pack, "msg_key": key, "rule": rule, "reason": "误判", "back": "/findings"}
    r = c.post(
        "/findings/mark",
        data={**form, "action": "dismiss", "csrf_token": csrf(c)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    try:
        assert violations() == before - 1
        html = c.get(f"/findings?period={PERIOD}&status=dismissed").text
        assert listed(html) == [(rule, key)] and "误报" in html
        last = audit.entries(st, "qa_dismiss")[0]
        assert last["username"] == "super" and key in last["detail"]
    finally:
        c.post("/findings/mark", data={**form, "action": "restore", "csrf_token": csrf(c)})
    assert violations() == before


@pytest.mark.parametrize("role", ["agent", "agent2"])
def test_agents_have_no_work_list(client, role):
    assert client(role).get(f"/findings?period={PERIOD}").status_code in (403, 404)
