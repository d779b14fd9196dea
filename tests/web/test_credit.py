"""Order credit lookup: the library's credited agent and touches; a lead only for orders their
team touched (404 otherwise, like an unknown order); agents use their own page (403)."""

from __future__ import annotations

import io

import polars as pl
import pytest

from kaohe.engine.attribution import credit
from kaohe.privacy import mask_buyer


def main_of(html: str) -> str:
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


@pytest.fixture(scope="module")
def credits(app) -> dict[str, dict]:
    """The library's credit of the demo's first paid October orders with a credited agent
    (about a second each: computed once for the module)."""
    ids = [
        r[0]
        for r in app.state.store.con.execute(
            "SELECT order_id FROM orders WHERE paid_at IS NOT NULL AND created_at >= '2026-10-01' "
            "ORDER BY order_id LIMIT 10"
        ).fetchall()
    ]
    found = {order_id: credit(app.state.store, order_id) for order_id in ids}
    return {k: v for k, v in found.items() if v["credited_agent"]}


def team_of(st, agent: str) -> str:
    return st.con.execute("SELECT team FROM agents WHERE agent = ?", [agent]).fetchone()[0]


def test_supervisor_sees_the_credited_agent_and_touches(client, credits):
    order_id, result = next(iter(credits.items()))
    agent = result["credited_agent"]
    html = client("supervisor").get(f"/credit?order_id={order_id}").text
    assert '<td class="credited"><a href="/agents/' in html and f">{agent}</a>" in html
    assert result["buyer"] in html
    assert html.count("<td>✓</td>") == sum(t["credited"] for t in result["touches"])
    assert result["reason"]["zh"] in html


def test_lead_sees_only_orders_of_the_team(app, client, accounts, credits):
    st = app.state.store
    team = accounts["lead"]["team"]
    teams = {r["credited_agent"]: team_of(st, r["credited_agent"]) for r in credits.values()}
    inside = [o for o, r in credits.items() if teams[r["credited_agent"]] == team]
    outside = [
        o
        for o, r in credits.items()
        if all(
            team_of(st, a) != team
            for a in {r["credited_agent"], *(t["agent"] for t in r["touches"])}
        )
    ]
    lead = client("lead")
    if inside:
        html = lead.get(f"/credit?order_id={inside[0]}").text
        buyer = credits[inside[0]]["buyer"]
        assert mask_buyer(buyer) in html and f"<td>{buyer}</td>" not in html
    assert outside, "the demo has orders credited in other teams"
    forbidden = lead.get(f"/credit?order_id={outside[0]}")
    unknown = lead.get("/credit?order_id=NO-SUCH-ORDER")
    assert forbidden.status_code == unknown.status_code == 404
    assert main_of(forbidden.text) == main_of(unknown.text)


def test_agents_use_their_own_page(client):
    assert client("agent").get("/credit").status_code == 403
    assert client("agent").get("/credit?order_id=O106").status_code == 403


def test_empty_form_and_download(client, credits):
    admin = client("admin")
    assert 'name="order_id"' in admin.get("/credit").text
    order_id, result = next(iter(credits.items()))
    response = admin.get(f"/credit?order_id={order_id}&format=xlsx")
    frame = pl.read_excel(io.BytesIO(response.content))
    assert len(frame) == len(result["touches"])
