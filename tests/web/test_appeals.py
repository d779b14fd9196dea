"""Appeals on the web: an agent appeals their own finding from their page, a supervisor
accepts it, the finding leaves the agent's quality figures, the steps are audited, and the
payslip marks a line an accepted appeal changed."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from kaohe.engine import compute_kpis
from kaohe.web import audit
from tests.web.conftest import decide_appeal

PERIOD = "2026-10"


def test_appeal_accept_and_the_score_changes(app, client, csrf, accounts):
    st = app.state.store
    agent = accounts["agent"]["agent"]
    me = client("agent")
    page = me.get(f"/agents/{quote(agent, safe='')}?period={PERIOD}").text
    forms = re.findall(
        r'name="msg_key" value="([^"]+)"><input type="hidden" name="rule" value="([^"]+)"', page
    )
    assert forms, "the agent has findings to appeal"
    msg_key, rule = forms[0]

    def violations() -> int:
        return compute_kpis(
            st, by="agent", period=PERIOD, metrics=["qa_violations"], agents=[agent]
        )[0]["qa_violations"]

    before = violations()
    sent = {"msg_key": msg_key, "rule": rule, "comment": "顾客要求复述", "csrf_token": csrf(me)}
    assert me.post("/appeals", data=sent, follow_redirects=False).status_code == 303
    # another agent cannot appeal it
    other = client("agent2")
    assert other.post("/appeals", data={**sent, "csrf_token": csrf(other)}).status_code == 404
    boss = client("supervisor")
    listing = boss.get("/appeals").text
    appeal_id = re.findall(r'data-appeal="(\d+)" data-status="open"', listing)[0]
    assert client("agent").post(
        f"/appeals/{appeal_id}/decide", data={"action": "accept", "csrf_token": csrf(me)}
    ).status_code in (403, 404)
    assert decide_appeal(boss, appeal_id, "accept", "属实") == 303
    try:
        assert violations() == before - 1
        assert "已通过" in me.get("/appeals").text
        assert audit.entries(st, "appeal_accept")[0]["detail"] == appeal_id
    finally:
        from kaohe.qa.dismiss import FindingKey, restore

        restore(st, FindingKey("default", msg_key, rule), "test", "restore the shared store")
        st.con.execute("DELETE FROM appeals WHERE id = ?", [int(appeal_id)])


def test_the_payslip_marks_a_line_an_appeal_changed(app, client, accounts):
    import json

    st = app.state.store
    agent = accounts["agent"]["agent"]
    url = f"/agents/{quote(agent, safe='')}?period={PERIOD}"
    assert 'class="changed"' not in client("supervisor").get(url).text
    st.con.execute(
        "INSERT INTO appeals (id, kind, agent, period, status, filed_by, filed_at, pay_before) "
        "VALUES (9999, 'finding', ?, ?, 'accepted', 'agent', now(), ?)",
        [agent, PERIOD, json.dumps({"plan": "jd_commission", "lines": {"commission": -1.0}})],
    )
    try:
        html = client("supervisor").get(url).text
        assert 'class="changed" data-line="commission"' in html and "申诉调整，原 -¥1.00" in html
    finally:
        st.con.execute("DELETE FROM appeals WHERE id = 9999")


def test_an_accepted_credit_appeal_changes_the_commission_line(app, client, csrf, accounts):
    """The agent claims an order of a buyer they served that the rule credited elsewhere; once
    a supervisor accepts, the order is theirs and their commission line rises by 2 % of it
    (jd_commission: commission_rate 0.02 of credited sales), marked as changed."""
    from kaohe.engine.attribution import credit
    from kaohe.web.pages.agent import payslip

    st = app.state.store
    agent = accounts["agent"]["agent"]
    candidates = st.con.execute(
        "SELECT DISTINCT o.order_id FROM orders o JOIN messages m "
        "ON m.shop = o.shop AND m.buyer = o.buyer WHERE m.agent = ? "
        "AND strftime(o.paid_at, '%Y-%m') = ? ORDER BY o.order_id LIMIT 30",
        [agent, PERIOD],
    ).fetchall()
    found = (credit(st, o) for (o,) in candidates)
    order = next(
        c for c in found if c["credited_agent"] != agent and c["paid"] and not c["refund_amount"]
    )

    def line() -> float:
        slip = payslip(st, agent, PERIOD, "jd_commission", None)
        return next(ln["amount"] for ln in slip["lines"] if ln["id"] == "commission")

    before = line()
    me = client("agent")
    url = f"/agents/{quote(agent, safe='')}?period={PERIOD}"
    sent = {"kind": "credit", "order_id": order["order_id"], "comment": "是我接待的"}
    filed = me.post("/appeals", data={**sent, "csrf_token": csrf(me)}, follow_redirects=False)
    assert filed.status_code == 303
    other = client("agent2")  # never served that buyer: the order is unknown to them
    assert other.post("/appeals", data={**sent, "csrf_token": csrf(other)}).status_code == 404
    boss = client("supervisor")
    listing = boss.get("/appeals").text
    appeal_id = re.findall(r'data-appeal="(\d+)" data-status="open"', listing)[0]
    assert 'data-kind="credit"' in listing and order["order_id"] in listing
    assert decide_appeal(boss, appeal_id, "accept", "属实") == 303
    try:
        assert credit(st, order["order_id"])["credited_agent"] == agent
        # both lines are rounded to the cent from exact figures: within a cent of each other
        assert line() == pytest.approx(before + 0.02 * order["amount"], abs=0.01)
        html = me.get(url).text
        assert 'class="changed" data-line="commission"' in html
        assert 'id="reviews"' in html
    finally:
        st.con.execute("DELETE FROM credit_overrides WHERE appeal_id = ?", [int(appeal_id)])
        st.con.execute("DELETE FROM appeals WHERE id = ?", [int(appeal_id)])
