"""Channels against a fake robot server on 127.0.0.1 (a real HTTP server in a thread) that
checks each platform's signature and payload format, and counts the messages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from kaohe.alerts.deliver import dispatch, queue
from kaohe.alerts.inbox import ALL, Finding, reconcile
from tests.alerts.helpers import setup

SECRET = "SECtest-secret"
LIMITS = {"markdown": 4096, "text": 2048}


class Robot:
    """What the fake platforms received, per path, and what they refused."""

    def __init__(self) -> None:
        self.received: dict[str, list[dict[str, Any]]] = {}
        self.refused: list[str] = []
        self.broken = False


def _dingtalk_ok(query: dict[str, list[str]]) -> bool:
    timestamp, sign = query["timestamp"][0], query["sign"][0]
    digest = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256)
    fresh = abs(int(timestamp) / 1000 - time.time()) < 3600
    return fresh and sign == base64.b64encode(digest.digest()).decode()


def _feishu_ok(body: dict[str, Any]) -> bool:
    key = f"{body['timestamp']}\n{SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return abs(int(body["timestamp"]) - time.time()) < 3600 and body["sign"] == expected


def _check(path: str, query: dict, body: dict, raw: bytes, headers: Any) -> str | None:
    """Why the platform would refuse the request, or None."""
    if path == "/wecom":
        kind = body.get("msgtype")
        if kind not in LIMITS or "key" not in query:
            return "wecom: bad msgtype or key"
        if len(body[kind]["content"].encode("utf-8")) > LIMITS[kind]:
            return f"wecom: {kind} content over {LIMITS[kind]} bytes"
    elif path == "/dingtalk":
        if not _dingtalk_ok(query):
            return "dingtalk: sign mismatch"
        if body.get("msgtype") != "markdown" or not {"title", "text"} <= set(body["markdown"]):
            return "dingtalk: bad markdown"
    elif path == "/feishu":
        if not _feishu_ok(body):
            return "feishu: sign mismatch"
        post = body["content"]["post"]["zh_cn"]
        if body.get("msg_type") != "post" or not all(isinstance(r, list) for r in post["content"]):
            return "feishu: bad post"
        if len(raw) > 20 * 1024:
            return "feishu: body over 20 KB"
    elif path == "/webhook":
        expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        if headers.get("X-Kaohe-Signature") != expected:
            return "webhook: signature mismatch"
    return None


@pytest.fixture
def robot() -> Iterator[tuple[Robot, str]]:
    state = Robot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            body = json.loads(raw)
            problem = (
                "broken"
                if state.broken
                else _check(url.path, parse_qs(url.query), body, raw, self.headers)
            )
            if problem:
                state.refused.append(problem)
                reply = {"errcode": 310000, "code": 19021, "errmsg": problem, "msg": problem}
            else:
                state.received.setdefault(url.path, []).append(body)
                reply = {"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success"}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _burst(store: Any, channels: dict[str, dict], n: int, now: datetime) -> tuple[Any, list[int]]:
    """n alerts fired in one evaluation, queued to every channel."""
    s = setup(["pdd_refund_48h"], channels)
    rule = s.rules.rules[0]
    findings = [
        Finding(
            subject=f"R{i:03d}",
            state="missed" if i % 3 == 0 else "at_risk",
            title=f"拼多多售后48小时未处理: 拼多多店 · 售后单 R{i:03d} · 买家 b***{i % 10}",
            shop="拼多多店",
            evidence={"buyer": f"b***{i % 10}", "refund_id": f"R{i:03d}"},
        )
        for i in range(n)
    ]
    changes = reconcile(store, rule, findings, ALL, now)
    queue(store, s.routing, changes.notify, now)
    return s, changes.notify


def _ids(bodies: list[dict[str, Any]]) -> list[int]:
    text = json.dumps(bodies, ensure_ascii=False)
    return [int(x) for x in re.findall(r"/alerts/(\d+)/ack", text)]


def test_a_burst_of_50_gives_at_most_20_wecom_messages_a_minute_and_loses_none(store, robot):
    state, base = robot
    t0 = datetime(2026, 11, 3, 10, 0)
    s, ids = _burst(store, {"wecom": {"type": "wecom", "url": f"{base}/wecom?key=K1"}}, 50, t0)

    first = dispatch(store, s.channels, s.routing, t0, s.base_url)
    got = state.received["/wecom"]
    assert len(got) == 20 and first.messages == {"wecom": 20}
    assert all(b["msgtype"] == "markdown" for b in got)
    digests = [b for b in got if "预警汇总" in b["markdown"]["content"]]
    assert len(digests) == 1  # 19 alerts one by one, the 20th message a digest

    dispatch(store, s.channels, s.routing, t0 + timedelta(seconds=30), s.base_url)
    assert len(state.received["/wecom"]) == 20  # the minute is full: the rest waits
    dispatch(store, s.channels, s.routing, t0 + timedelta(seconds=61), s.base_url)

    assert sorted(set(_ids(state.received["/wecom"]))) == sorted(ids)  # no alert lost
    assert state.refused == []
    left = store.con.execute(
        "SELECT count(*) FROM alert_deliveries WHERE status NOT IN ('sent', 'digest')"
    ).fetchone()[0]
    assert left == 0
    # critical (missed) alerts went first, one by one
    singles = [b for b in got if b not in digests]
    assert all("【严重】" in b["markdown"]["content"] for b in singles[:17])


def test_wecom_text_messages_stay_within_2048_bytes(store, robot):
    state, base = robot
    now = datetime(2026, 11, 3, 10, 0)
    channel = {"type": "wecom", "url": f"{base}/wecom?key=K2", "format": "text"}
    s, ids = _burst(store, {"wecom": channel}, 25, now)
    dispatch(store, s.channels, s.routing, now, s.base_url)
    got = state.received["/wecom"]
    assert state.refused == [] and len(got) <= 20
    assert all(len(b["text"]["content"].encode()) <= 2048 for b in got)


def test_dingtalk_signed_requests(store, robot):
    state, base = robot
    now = datetime(2026, 11, 3, 10, 0)
    channel = {"type": "dingtalk", "url": f"{base}/dingtalk?access_token=T", "secret": SECRET}
    s, ids = _burst(store, {"ding": channel}, 3, now)
    dispatch(store, s.channels, s.routing, now, s.base_url)
    assert state.refused == []
    assert sorted(_ids(state.received["/dingtalk"])) == sorted(ids)


def test_a_wrong_dingtalk_secret_is_refused_and_retried_not_lost(store, robot):
    state, base = robot
    now = datetime(2026, 11, 3, 10, 0)
    channel = {"type": "dingtalk", "url": f"{base}/dingtalk?access_token=T", "secret": "wrong"}
    s, ids = _burst(store, {"ding": channel}, 1, now)
    sent = dispatch(store, s.channels, s.routing, now, s.base_url)
    assert state.refused == ["dingtalk: sign mismatch"] and sent.errors
    (status, error) = store.con.execute("SELECT status, error FROM alert_deliveries").fetchone()
    assert status == "failed" and "sign mismatch" in error
    s.channels["ding"].config.secret = SECRET
    dispatch(store, s.channels, s.routing, now + timedelta(minutes=1), s.base_url)
    assert _ids(state.received["/dingtalk"]) == ids


def test_feishu_signature_and_its_5_per_second_limit(store, robot):
    state, base = robot
    now = datetime(2026, 11, 3, 10, 0)
    channel = {"type": "feishu", "url": f"{base}/feishu", "secret": SECRET}
    s, ids = _burst(store, {"feishu": channel}, 12, now)
    dispatch(store, s.channels, s.routing, now, s.base_url)
    got = state.received["/feishu"]
    assert state.refused == []
    assert len(got) == 5  # 4 alerts and a digest of 8 within the second
    assert sorted(_ids(got)) == sorted(ids)
    links = [c for b in got for row in b["content"]["post"]["zh_cn"]["content"] for c in row]
    assert any(c["tag"] == "a" and c["href"].endswith("/ack") for c in links)


def test_a_webhook_carries_the_alerts_as_json_with_a_signature(store, robot):
    state, base = robot
    now = datetime(2026, 11, 3, 10, 0)
    channel = {"type": "webhook", "url": f"{base}/webhook", "secret": SECRET}
    s, ids = _burst(store, {"hook": channel}, 2, now)
    dispatch(store, s.channels, s.routing, now, s.base_url)
    got = state.received["/webhook"]
    assert state.refused == []
    assert sorted(a["id"] for b in got for a in b["alerts"]) == sorted(ids)
    assert all(b["source"] == "kaohe" for b in got)


def test_quiet_hours_hold_warnings_until_morning(store, robot):
    from kaohe.alerts.model import Quiet, Route, Routing, Step

    state, base = robot
    night = datetime(2026, 11, 3, 23, 30)
    channels = {"wecom": {"type": "wecom", "url": f"{base}/wecom?key=K3"}}
    s, ids = _burst(store, channels, 6, night)  # 2 missed (critical), 4 at risk (warning)
    s.routing = Routing(
        id="quiet",
        routes=[Route(ladder=[Step(to=["wecom"])])],
        quiet=Quiet(hours="22:00-08:00", min_severity="critical"),
    )
    dispatch(store, s.channels, s.routing, night, s.base_url)
    assert len(_ids(state.received["/wecom"])) == 2
    dispatch(store, s.channels, s.routing, night + timedelta(hours=9), s.base_url)
    assert sorted(_ids(state.received["/wecom"])) == sorted(ids)


def test_the_daily_digest_lists_what_resolved_on_its_own(store, tmp_path):
    from kaohe.alerts.deliver import daily_digest
    from kaohe.alerts.inbox import Scope
    from kaohe.alerts.model import Route, Routing, Step

    day = datetime(2026, 11, 3, 10, 0)
    path = tmp_path / "digest.jsonl"
    s, ids = _burst(store, {"log": {"type": "file", "path": str(path)}}, 3, day)
    rule = s.rules.rules[0]
    keep = [Finding(subject="R000", state="missed", title="仍未处理")]
    reconcile(store, rule, keep, Scope(subjects=frozenset({"R001"})), day)  # R001 cleared
    routing = Routing(id="d", routes=[Route(ladder=[Step(to=["log"])])], digest_channels=["log"])
    assert daily_digest(store, s.channels, routing, day + timedelta(hours=1), s.base_url) == (0, [])
    morning = datetime(2026, 11, 4, 9, 0)
    assert daily_digest(store, s.channels, routing, morning, s.base_url) == (1, [])
    assert daily_digest(store, s.channels, routing, morning, s.base_url) == (0, [])  # once a day
    (line,) = [json.loads(x) for x in path.read_text("utf-8").splitlines()]
    assert "自行恢复" in line["title"] and "R001" in line["text"]
