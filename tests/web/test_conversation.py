"""The conversation viewer: QA hits marked at their span (also when masking changes lengths),
round response times from the engine's rounds, sessions cut at the session gap, a 快手 thread
shown whole with each line marked for what it is, and who may open which session."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from kaohe.ingest.load import import_file
from kaohe.qa.findings import run_pack
from kaohe.qa.rules import load_pack
from kaohe.store import Store
from kaohe.web.app import close_app, create_app
from kaohe.web.users import add_user
from kaohe.web.views import conversation, find_session, highlight, session_by_key
from tests.engine.conftest import fill
from tests.engine.test_conversation import AGENT as KS_AGENT
from tests.engine.test_conversation import KUAISHOU
from tests.web.conftest import PASSWORD, log_in

PERIOD = "2026-10"
SHOP, BUYER, AGENT = "测试店", "buyer_1", "测试店:小王"


# ---------------------------------------------------------------- highlighting


def test_a_hit_is_marked_at_its_span():
    # "您好" is 2 characters: the hit 你想怎样 spans 2..6
    html = highlight(
        "您好你想怎样呢",
        [{"start": 2, "end": 6, "rule": "rhetorical", "matched": "你想怎样"}],
        sees_pii=True,
    )
    assert html == '您好<mark data-rule="rhetorical">你想怎样</mark>呢'


def test_masking_before_the_hit_keeps_the_mark_on_the_hit():
    # "电话" (2) + the phone (11) = 13: the hit spans 13..17; masking the phone shortens
    # nothing here but would move any later offset computed on the masked text
    text = "电话13812345678你想怎样"
    hits = [{"start": 13, "end": 17, "rule": "rhetorical", "matched": "你想怎样"}]
    assert (
        highlight(text, hits, sees_pii=False)
        == '电话138****5678<mark data-rule="rhetorical">你想怎样</mark>'
    )
    assert (
        highlight(text, hits, sees_pii=True)
        == '电话13812345678<mark data-rule="rhetorical">你想怎样</mark>'
    )


def test_an_address_before_the_hit_changes_lengths_and_the_mark_still_fits():
    # the address (浙江省杭州市西湖区文三路 = 12 characters) is masked to [地址已隐藏] (7)
    text = "寄到浙江省杭州市西湖区文三路，你自己看"
    start = text.index("你自己看")
    hits = [{"start": start, "end": start + 4, "rule": "interrogation", "matched": "你自己看"}]
    html = highlight(text, hits, sees_pii=False)
    assert "文三路" not in html
    assert html.endswith('<mark data-rule="interrogation">你自己看</mark>')


def test_a_span_cutting_a_phone_number_falls_back_to_whole_text_masking():
    # a hit on the first 7 digits would split the phone so that neither piece looks like one:
    # the text is masked whole and, the match being gone, the message is marked as a whole
    text = "号码13812345678"
    hits = [{"start": 2, "end": 9, "rule": "leak", "matched": "1381234"}]
    html = highlight(text, hits, sees_pii=False)
    assert "13812345678" not in html and "1381234" not in html
    assert html == '<mark data-rule="leak">号码138****5678</mark>'


def test_overlapping_hits_mark_each_piece_with_its_rules():
    hits = [
        {"start": 0, "end": 4, "rule": "a", "matched": "abcd"},
        {"start": 2, "end": 6, "rule": "b", "matched": "cdef"},
    ]
    assert highlight("abcdefg", hits, sees_pii=True) == (
        '<mark data-rule="a">ab</mark><mark data-rule="a b">cd</mark><mark data-rule="b">ef</mark>g'
    )


def test_text_is_escaped():
    html = highlight(
        "<b>你想怎样</b>",
        [{"start": 3, "end": 7, "rule": "r", "matched": "你想怎样"}],
        sees_pii=True,
    )
    assert html == '&lt;b&gt;<mark data-rule="r">你想怎样</mark>&lt;/b&gt;'


# ---------------------------------------------------------------- a hand-built thread

CHAT = [  # time, sender, text
    ("2026-10-05 10:00:00", "buyer", "在吗"),
    ("2026-10-05 10:00:30", "agent", "您好，在的"),  # round 1: 30 s
    ("2026-10-05 10:05:00", "buyer", "什么时候发货"),
    ("2026-10-05 10:05:10", "buyer", "急用"),
    ("2026-10-05 10:06:00", "agent", "你想怎样"),  # round 2 from 10:05:00: 60 s
    ("2026-10-05 11:00:00", "buyer", "还在吗"),  # 54 min later: a new session
    ("2026-10-05 11:00:20", "agent", "在的亲"),  # 20 s
]


@pytest.fixture(scope="module")
def thread_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("thread")
    rows = [
        {
            "shop": SHOP,
            "platform": "tmall",
            "buyer": BUYER,
            "agent": AGENT,
            "sender": s,
            "time": t,
            "text": x,
        }
        for t, s, x in CHAT
    ]
    path = Path(folder) / "chat.csv"
    pl.DataFrame(rows).write_csv(path)
    st = Store(Path(folder) / "t.duckdb")
    import_file(st, path)
    run_pack(st, load_pack("default"))
    return st


def test_the_session_holding_the_moment_and_nothing_after_the_gap(thread_store):
    session = find_session(thread_store, SHOP, BUYER, datetime(2026, 10, 5, 10, 5, 30))
    assert [m["text"] for m in session.messages] == [x for _, _, x in CHAT[:5]]
    assert session.start == datetime(2026, 10, 5, 10, 0, 0)
    later = find_session(thread_store, SHOP, BUYER, datetime(2026, 10, 5, 11, 0, 10))
    assert [m["text"] for m in later.messages] == ["还在吗", "在的亲"]
    assert find_session(thread_store, SHOP, BUYER, datetime(2026, 10, 9, 9, 0)) is None


def test_replies_carry_their_round_response_time(thread_store):
    session = find_session(thread_store, SHOP, BUYER, datetime(2026, 10, 5, 10, 0, 0))
    shown = conversation(thread_store, session, sees_pii=True)
    responses = [(m["time"], m["response_s"]) for m in shown["messages"] if m["sender"] == "agent"]
    assert responses == [("2026-10-05 10:00:30", 30.0), ("2026-10-05 10:06:00", 60.0)]


def test_the_inspection_hit_is_marked_in_the_viewer(thread_store):
    key = thread_store.con.execute(
        "SELECT msg_key FROM qa_findings WHERE rule = 'rhetorical'"
    ).fetchone()[0]
    session = session_by_key(thread_store, key)
    shown = conversation(thread_store, session, sees_pii=False)
    marked = [m["html"] for m in shown["messages"] if m["key"] == key]
    # the session's last agent message has no farewell either: that rule spans the whole text
    assert marked == ['<mark data-rule="no_farewell rhetorical">你想怎样</mark>']
    assert shown["buyer"] == "b***1"  # mask_buyer: first and last character


# ---------------------------------------------------------------- a 快手 thread


@pytest.fixture(scope="module")
def kuaishou(tmp_path_factory: pytest.TempPathFactory):
    """A store of KUAISHOU (buyer, bot and system rows without an agent), inspected with the
    default pack, and a logged-in admin of a web app on it."""
    db = Path(tmp_path_factory.mktemp("kuaishou")) / "k.duckdb"
    with Store(db) as st:
        fill(st, KUAISHOU)
        run_pack(st, load_pack("default"))
        add_user(st, "boss", "admin", PASSWORD)
    app = create_app(db, secret_key="test-secret-key")
    client = TestClient(app)
    assert log_in(client, "boss", PASSWORD).status_code == 303
    yield app.state.store, client
    close_app(app)


def test_a_kuaishou_thread_is_judged_by_the_session_rules(kuaishou):
    st, _ = kuaishou
    found = st.con.execute(
        "SELECT msg_key, agent, rule, matched FROM qa_findings "
        "WHERE rule IN ('slow_reply', 'left_unanswered', 'withdrawn') ORDER BY msg_key, rule"
    ).fetchall()
    # k5: 120 s after the 转人工 hand-off (first round, limit 30 s); k7: the buyer's last
    # question, no agent on its row, never answered; k6: the withdrawn reply
    assert found == [
        ("k5", KS_AGENT, "slow_reply", "首次回复 120 秒"),
        ("k6", KS_AGENT, "withdrawn", None),
        ("k7", KS_AGENT, "left_unanswered", "什么时候发货"),
    ]


def test_a_kuaishou_thread_is_shown_whole_with_every_line_marked(kuaishou):
    st, client = kuaishou
    html = client.get("/conversation?msg=k1").text
    assert re.findall(r'data-key="(k\d)"', html) == [f"k{i}" for i in range(1, 8)]
    assert KS_AGENT in html
    marks = re.findall(r'data-mark="(\w+)">([^<]+)<', html)
    assert marks == [
        ("auto_reply", "自动回复"),
        ("bot", "机器人"),
        ("handoff", "转接"),
        ("withdrawn", "已撤回"),
    ]
    assert re.findall(r'data-response-s="([\d.]+)"', html) == ["120.0"]
    assert html.count('class="status-at_risk unanswered"') == 1  # k7
    session = session_by_key(st, "k7")
    shown = conversation(st, session, sees_pii=True)
    assert [(m["key"], m["kind"], m["unanswered"]) for m in shown["messages"]][-1] == (
        "k7",
        "buyer",
        True,
    )


# ---------------------------------------------------------------- routes on the demo store


def main_of(html: str) -> str:
    """The page body without the header (which links back to the URL asked)."""
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


def finding_of(st, agent: str | None = None, outside_team: str | None = None, marked: bool = False):
    """(msg_key, shop, buyer, agent, time, rule, matched) of a finding with a span; `marked`:
    one whose span marks its matched text (a process rule's finding marks the whole message
    and words its reason)."""
    where, args = ["span_start IS NOT NULL", "agent IS NOT NULL"], []
    if marked:
        where.append(
            "matched = (SELECT substring(m.text, span_start + 1, span_end - span_start) "
            "FROM messages m WHERE m.msg_key = qa_findings.msg_key)"
        )
    if agent:
        where.append("agent = ?")
        args.append(agent)
    if outside_team:
        where.append("agent NOT IN (SELECT agent FROM agents WHERE team = ?)")
        args.append(outside_team)
    return st.con.execute(
        "SELECT msg_key, shop, buyer, agent, time, rule, matched FROM qa_findings "
        f"WHERE {' AND '.join(where)} ORDER BY time, msg_key LIMIT 1",
        args,
    ).fetchone()


def test_supervisor_sees_the_hit_marked(app, client):
    key, shop, buyer, agent, at, rule, matched = finding_of(app.state.store, marked=True)
    html = client("supervisor").get(f"/conversation?msg={key}").text
    assert f'<mark data-rule="{rule}">{matched}</mark>' in html
    assert buyer in html  # PII rights: the account in clear
    by_thread = (
        client("supervisor")
        .get("/conversation", params={"shop": shop, "buyer": buyer, "at": at.isoformat()})
        .text
    )
    assert f'<mark data-rule="{rule}">{matched}</mark>' in by_thread
    assert re.search(r'data-response-s="\d', html)


def test_agent_sees_own_session_masked_and_not_another(app, client, accounts):
    st = app.state.store
    mine = finding_of(st, agent=accounts["agent"]["agent"])
    other = finding_of(st, agent=accounts["agent2"]["agent"])
    own = client("agent").get(f"/conversation?msg={mine[0]}")
    assert own.status_code == 200
    assert f">{mine[2]}<" not in own.text  # the buyer account is masked
    foreign = client("agent").get(f"/conversation?msg={other[0]}")
    unknown = client("agent").get("/conversation?msg=no-such-message")
    assert foreign.status_code == unknown.status_code == 404
    assert main_of(foreign.text) == main_of(unknown.text)  # forbidden looks like unknown
    by_thread = client("agent").get(
        "/conversation", params={"shop": other[1], "buyer": other[2], "at": other[4].isoformat()}
    )
    assert by_thread.status_code == 404


def test_lead_cannot_open_a_session_outside_the_team(app, client, accounts):
    other = finding_of(app.state.store, outside_team=accounts["lead"]["team"])
    assert client("lead").get(f"/conversation?msg={other[0]}").status_code == 404


def test_bad_queries(client, anon):
    admin = client("admin")
    assert admin.get("/conversation").status_code == 400
    assert admin.get("/conversation?shop=a&buyer=b&at=yesterday").status_code == 400
    response = anon.get("/conversation?msg=x", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_download_is_masked_for_a_lead_and_audited(app, client, accounts):
    st = app.state.store
    team = accounts["lead"]["team"]
    key = st.con.execute(
        "SELECT msg_key FROM qa_findings WHERE agent IN (SELECT agent FROM agents WHERE team = ?)"
        " ORDER BY time LIMIT 1",
        [team],
    ).fetchone()[0]
    response = client("lead").get(f"/conversation?msg={key}&format=xlsx")
    assert response.status_code == 200
    frame = pl.read_excel(io.BytesIO(response.content))
    assert len(frame) >= 1 and "命中规则" in frame.columns
    exported = st.con.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'export' AND "
        "username = ? AND detail LIKE 'conversation.xlsx%'",
        [accounts["lead"]["username"]],
    ).fetchone()[0]
    assert exported >= 1


def test_orders_download_lists_the_orders_shown(app, client):
    st = app.state.store
    # a session with an order of its buyer created within the hour after its first message
    key = st.con.execute(
        "SELECT m.msg_key FROM messages m JOIN orders o ON o.shop = m.shop AND o.buyer = m.buyer "
        "AND o.created_at BETWEEN m.time AND m.time + INTERVAL 1 HOUR "
        "WHERE m.agent IS NOT NULL ORDER BY m.time LIMIT 1"
    ).fetchone()[0]
    admin = client("admin")
    html = admin.get(f"/conversation?msg={key}").text
    shown = re.findall(r'<tr data-order="([^"]+)">', html)
    response = admin.get(f"/conversation?msg={key}&format=xlsx&table=orders")
    frame = pl.read_excel(io.BytesIO(response.content))
    assert shown and frame["订单编号"].to_list() == shown
