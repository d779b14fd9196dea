"""Hand-built scenarios, each with its exact alert (issue 21, "Must show")."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kaohe.alerts import evaluate_clock, evaluate_imports
from kaohe.alerts.inbox import acknowledge, events, get_alert, list_alerts
from kaohe.alerts.model import Route, Routing, Step
from tests.alerts.helpers import import_rows, msg, setup


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text("utf-8").splitlines()] if path.exists() else []


def test_a_disappointed_rating_in_an_import_raises_one_alert_with_its_conversation(store, tmp_path):
    import_rows(
        store,
        tmp_path,
        "messages",
        [
            msg("buyer_a", "buyer", "2026-11-03 10:00:00", "快递怎么还没到 13812345678"),
            msg("buyer_a", "agent", "2026-11-03 10:01:00", "亲，马上帮您查"),
            msg("buyer_b", "buyer", "2026-11-03 10:05:00", agent="小丽"),
            msg("buyer_b", "agent", "2026-11-03 10:06:00", agent="小丽"),
        ],
    )
    out = tmp_path / "alerts.jsonl"
    s = setup(["bad_rating"], {"file": {"type": "file", "path": str(out)}})
    rating = {"shop": "快手小店", "buyer": "buyer_a", "agent": "小美", "reason": "物流慢"}
    import_rows(
        store, tmp_path, "ratings", [{**rating, "time": "2026-11-03 10:20:00", "level": "失望"}]
    )
    import_rows(
        store,
        tmp_path,
        "ratings",
        [
            {
                **rating,
                "buyer": "buyer_b",
                "agent": "小丽",
                "time": "2026-11-03 10:30:00",
                "level": "满意",
            }
        ],
    )

    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 31))

    alerts = list_alerts(store)
    assert [(a["rule"], a["state"], a["agent"]) for a in alerts] == [("bad_rating", "bad", "小美")]
    alert = get_alert(store, alerts[0]["id"])
    # the rated conversation: buyer_a's last message with 小美 before the rating (10:01)
    (key,) = store.con.execute(
        "SELECT msg_key FROM messages WHERE time = '2026-11-03 10:01:00'"
    ).fetchone()
    assert alert["msg_key"] == key
    assert alert["evidence"]["conversation"]["matched_by"] == "agent"
    assert alert["evidence"]["buyer"] == "b***a"
    assert alert["evidence"]["counted_by"] == ["bad_ratings.bad"]  # 失望, not 服务态度差
    assert "138****5678" in alert["evidence"]["excerpt"][0]  # the phone masked
    sent = _lines(out)
    assert len(sent) == 1
    assert f"https://kaohe.example.com/conversation?msg={key}" in sent[0]["text"]
    assert f"/alerts/{alert['id']}/ack" in sent[0]["text"]
    assert "buyer_a" not in out.read_text("utf-8")


def _pdd_refund(store, tmp_path, first_response_at: str = "") -> None:
    import_rows(
        store,
        tmp_path,
        "refunds",
        [
            {
                "refund_id": "R1",
                "order_id": "O1",
                "shop": "拼多多店",
                "buyer": "buyer_r",
                "type": "仅退款",
                "applied_at": "2026-11-01 08:00:00",
                "first_response_at": first_response_at,
                "status": "处理中",
                "agent": "小王",
            }
        ],
    )


def test_a_pdd_refund_is_at_risk_at_42h_missed_at_48h_and_answering_resolves_it(store, tmp_path):
    import_rows(
        store,
        tmp_path,
        "messages",
        [msg("buyer_r", "buyer", "2026-11-01 07:50:00", shop="拼多多店", platform="pdd")],
    )
    _pdd_refund(store, tmp_path)
    s = setup(["pdd_refund_48h"])
    evaluate_imports(store, s, datetime(2026, 11, 2, 20, 0))  # 36 h: nothing yet
    assert list_alerts(store) == []

    evaluate_clock(store, s, datetime(2026, 11, 3, 2, 0))  # 42 h: the preset's warn_hours (6)
    (alert,) = list_alerts(store)
    assert (alert["rule"], alert["state"], alert["severity"]) == (
        "pdd_refund_48h",
        "at_risk",
        "warning",
    )
    assert alert["due_at"] == datetime(2026, 11, 3, 8, 0)

    evaluate_clock(store, s, datetime(2026, 11, 3, 8, 0, 1))  # past 48 h
    (missed,) = list_alerts(store)
    assert (missed["id"], missed["state"], missed["severity"]) == (
        alert["id"],
        "missed",
        "critical",
    )

    _pdd_refund(store, tmp_path, first_response_at="2026-11-03 09:00:00")
    evaluate_imports(store, s, datetime(2026, 11, 3, 9, 5))
    done = get_alert(store, alert["id"])
    assert (done["status"], done["resolved_by"]) == ("resolved", "system")
    kinds = [(e["kind"], (e["detail"] or {}).get("state")) for e in events(store, alert["id"])]
    assert kinds == [("fired", "at_risk"), ("fired", "missed"), ("resolved", None)]


def test_a_jd_service_order_at_2055_is_due_at_0915_the_next_day(store, tmp_path):
    import_rows(
        store,
        tmp_path,
        "messages",
        [msg("buyer_j", "buyer", "2026-11-03 20:50:00", shop="京东店", platform="jd")],
    )
    import_rows(
        store,
        tmp_path,
        "service_orders",
        [{"id": "SO1", "shop": "京东店", "agent": "小李", "applied_at": "2026-11-03 20:55:00"}],
    )
    s = setup(["jd_service_order_review"])
    evaluate_imports(store, s, datetime(2026, 11, 3, 21, 30))
    evaluate_clock(store, s, datetime(2026, 11, 4, 9, 9))  # 14 business minutes so far
    assert list_alerts(store) == []
    evaluate_clock(store, s, datetime(2026, 11, 4, 9, 11))  # within the rule's 5 warning minutes
    (alert,) = list_alerts(store)
    assert (alert["state"], alert["due_at"]) == ("at_risk", datetime(2026, 11, 4, 9, 15))
    evaluate_clock(store, s, datetime(2026, 11, 4, 9, 16))
    assert list_alerts(store)[0]["state"] == "missed"


def _attitude_ratings(n: int, bad: int, start: datetime) -> list[dict]:
    rows = []
    for i in range(n):
        poor = i < bad
        rows.append(
            {
                "shop": "快手小店",
                "buyer": f"rb{i:03d}",
                "agent": "小美",
                "time": f"{start + timedelta(minutes=i):%Y-%m-%d %H:%M:%S}",
                "level": "失望" if poor else "满意",
                "reason": "服务态度差" if poor else "",
            }
        )
    return rows


def test_a_metric_window_under_its_minimum_volume_does_not_fire(store, tmp_path):
    import_rows(store, tmp_path, "messages", [msg("x", "buyer", "2026-11-01 09:00:00")])
    s = setup(["attitude_7d"])  # bad_attitude_rate > 6 % over 7 days, with ≥ 20 ratings
    # 19 ratings, 2 of them 失望 for 服务态度差: 2 / 2 poor ratings = 100 %, but 19 < 20
    import_rows(store, tmp_path, "ratings", _attitude_ratings(19, 2, datetime(2026, 11, 2, 9)))
    evaluate_imports(store, s, datetime(2026, 11, 3, 12, 0))
    assert list_alerts(store) == []
    # the 20th rating (满意) reaches the volume: 2 / 2 = 100 % fires
    import_rows(store, tmp_path, "ratings", _attitude_ratings(20, 2, datetime(2026, 11, 2, 9))[19:])
    evaluate_imports(store, s, datetime(2026, 11, 3, 12, 5))
    (alert,) = list_alerts(store)
    evidence = get_alert(store, alert["id"])["evidence"]
    assert (alert["rule"], alert["shop"]) == ("attitude_7d", "快手小店")
    assert evidence["metric"]["value"] == 1.0
    assert evidence["volume"]["value"] == 20


def test_the_same_condition_evaluated_ten_times_fires_once(store, tmp_path):
    import_rows(
        store,
        tmp_path,
        "messages",
        [msg("buyer_r", "buyer", "2026-11-01 07:50:00", shop="拼多多店", platform="pdd")],
    )
    _pdd_refund(store, tmp_path)
    out = tmp_path / "alerts.jsonl"
    s = setup(["pdd_refund_48h"], {"file": {"type": "file", "path": str(out)}})
    for minute in range(10):
        evaluate_imports(store, s, datetime(2026, 11, 3, 3, minute))  # 43 h: at risk
    (alert,) = list_alerts(store)
    assert [e["kind"] for e in events(store, alert["id"])] == ["fired", "sent"]
    assert len(_lines(out)) == 1


def test_an_unacknowledged_alert_escalates_after_n_minutes_on_a_fake_clock(store, tmp_path):
    import_rows(
        store,
        tmp_path,
        "messages",
        [
            msg("buyer_r", "buyer", "2026-11-01 07:50:00", shop="拼多多店", platform="pdd"),
            msg("buyer_s", "buyer", "2026-11-01 07:51:00", shop="拼多多店", platform="pdd"),
        ],
    )
    _pdd_refund(store, tmp_path)
    lead, boss = tmp_path / "lead.jsonl", tmp_path / "boss.jsonl"
    routing = Routing(
        id="ladder",
        leads={"*": "lead"},
        supervisor=["boss"],
        routes=[Route(ladder=[Step(to=["lead"]), Step(to=["supervisor"], after_minutes=30)])],
    )
    channels = {
        "lead": {"type": "file", "path": str(lead)},
        "boss": {"type": "file", "path": str(boss)},
    }
    s = setup(["pdd_refund_48h"], channels, routing)
    t0 = datetime(2026, 11, 3, 3, 0)
    evaluate_imports(store, s, t0)
    (alert,) = list_alerts(store)
    assert (len(_lines(lead)), len(_lines(boss))) == (1, 0)

    evaluate_clock(store, s, t0 + timedelta(minutes=29))
    assert len(_lines(boss)) == 0
    evaluate_clock(store, s, t0 + timedelta(minutes=31))
    assert len(_lines(boss)) == 1 and len(_lines(lead)) == 1
    assert get_alert(store, alert["id"])["level"] == 1
    assert "escalated" in [e["kind"] for e in events(store, alert["id"])]

    # an acknowledged alert stays where it is
    import_rows(
        store,
        tmp_path,
        "refunds",
        [
            {
                "refund_id": "R2",
                "order_id": "O2",
                "shop": "拼多多店",
                "buyer": "buyer_s",
                "type": "仅退款",
                "applied_at": "2026-11-01 09:00:00",
                "status": "处理中",
            }
        ],
    )
    t1 = datetime(2026, 11, 3, 4, 0)
    evaluate_imports(store, s, t1)
    second = list_alerts(store)[0]
    acknowledge(store, second["id"], "组长", t1 + timedelta(minutes=5))
    evaluate_clock(store, s, t1 + timedelta(minutes=40))
    assert get_alert(store, second["id"])["level"] == 0
    assert len(_lines(boss)) == 1


def test_a_buyer_left_waiting_fires_on_the_clock_and_a_reply_resolves_it(store, tmp_path):
    import_rows(store, tmp_path, "messages", [msg("buyer_w", "buyer", "2026-11-03 10:00:00")])
    s = setup(["waiting_kuaishou"])  # kuaishou_3min_rate: seconds = 180
    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 1))
    evaluate_clock(store, s, datetime(2026, 11, 3, 10, 2, 59))
    assert list_alerts(store) == []
    evaluate_clock(store, s, datetime(2026, 11, 3, 10, 3, 1))
    (alert,) = list_alerts(store)
    assert (alert["rule"], alert["due_at"]) == ("waiting_kuaishou", datetime(2026, 11, 3, 10, 3))

    import_rows(store, tmp_path, "messages", [msg("buyer_w", "agent", "2026-11-03 10:05:00")])
    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 6))
    assert get_alert(store, alert["id"])["status"] == "resolved"


def test_a_slow_reply_raises_one_alert_per_buyer_day(store, tmp_path):
    import_rows(
        store,
        tmp_path,
        "messages",
        [
            msg("buyer_s", "buyer", "2026-11-03 10:00:00"),
            msg("buyer_s", "agent", "2026-11-03 10:06:00"),  # 360 s > 180 s
            msg("buyer_s", "buyer", "2026-11-03 11:00:00"),
            msg("buyer_s", "agent", "2026-11-03 11:04:00"),  # 240 s
            msg("buyer_q", "buyer", "2026-11-03 10:00:00"),
            msg("buyer_q", "agent", "2026-11-03 10:01:00"),  # in time
        ],
    )
    evaluate_imports(store, setup(["slow_reply_kuaishou"]), datetime(2026, 11, 3, 12, 0))
    (alert,) = list_alerts(store)
    evidence = get_alert(store, alert["id"])["evidence"]
    assert (alert["state"], evidence["rounds"], evidence["worst_response_s"]) == ("slow", 2, 360.0)
    assert evidence["limit_s"] == 180.0


def test_a_redline_finding_carries_the_presets_deduction_points(store, tmp_path):
    import_rows(
        store,
        tmp_path,
        "messages",
        [
            msg("buyer_t", "buyer", "2026-11-03 10:00:00", shop="天猫店", platform="tmall"),
            msg(
                "buyer_t",
                "agent",
                "2026-11-03 10:01:00",
                "加我微信",
                shop="天猫店",
                platform="tmall",
            ),
        ],
    )
    (key,) = store.con.execute("SELECT msg_key FROM messages WHERE sender = 'agent'").fetchone()
    store.con.execute(
        "INSERT INTO qa_findings (pack, msg_key, shop, platform, buyer, agent, time, rule, "
        "severity, matched, found_at) VALUES ('default', ?, '天猫店', 'tmall', 'buyer_t', '小美', "
        "'2026-11-03 10:01:00', 'info_leak', 'redline', '微信', '2026-11-03 10:30:00')",
        [key],
    )
    s = setup(["redline_finding"])
    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 31))
    (listed,) = list_alerts(store)
    alert = get_alert(store, listed["id"])
    evidence = alert["evidence"]
    assert (alert["msg_key"], evidence["qa_rule"]) == (key, "info_leak")
    assert evidence["penalty"]["points"] == 6  # tmall_redlines: info_leak −6
    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 40))
    assert len(list_alerts(store, status=None)) == 1
    store.con.execute("DELETE FROM qa_findings")  # a re-run no longer finds it
    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 50))
    assert get_alert(store, alert["id"])["status"] == "resolved"


def test_an_unanswered_bad_rating_warns_before_its_window_closes(store, tmp_path):
    import_rows(store, tmp_path, "messages", [msg("buyer_x", "buyer", "2026-11-01 09:00:00")])
    import_rows(
        store,
        tmp_path,
        "ratings",
        [
            {
                "shop": "快手小店",
                "buyer": "buyer_x",
                "agent": "小美",
                "time": "2026-11-01 10:00:00",
                "level": "非常不满意",
            }
        ],
    )
    s = setup(["rating_reply_window"])  # 720 h, warned 72 h before
    evaluate_imports(store, s, datetime(2026, 11, 1, 10, 5))
    evaluate_clock(store, s, datetime(2026, 11, 28, 9, 59))
    assert list_alerts(store) == []
    evaluate_clock(store, s, datetime(2026, 11, 28, 10, 1))
    (alert,) = list_alerts(store)
    assert (alert["state"], alert["due_at"]) == ("at_risk", datetime(2026, 12, 1, 10, 0))
    import_rows(
        store, tmp_path, "messages", [msg("buyer_x", "agent", "2026-11-28 11:00:00", "您好")]
    )
    evaluate_imports(store, s, datetime(2026, 11, 28, 11, 5))
    assert get_alert(store, alert["id"])["status"] == "resolved"


@pytest.mark.slow
def test_a_compliance_cycle_failing_by_projection_fires_and_is_run_at_most_hourly(store, tmp_path):
    # 快手 November so far: 1 of 1 poor ratings for 服务态度差 = 100 % > 6 % (kuaishou_attitude)
    import_rows(store, tmp_path, "messages", [msg("buyer_c", "buyer", "2026-11-03 09:00:00")])
    import_rows(
        store,
        tmp_path,
        "ratings",
        [
            {
                "shop": "快手小店",
                "buyer": "buyer_c",
                "agent": "小美",
                "time": "2026-11-03 09:30:00",
                "level": "失望",
                "reason": "服务态度差",
            }
        ],
    )
    s = setup(["compliance_risk"])
    s.rules.rules[0].presets = ["kuaishou_attitude"]
    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 0))
    (alert,) = list_alerts(store)
    evidence = get_alert(store, alert["id"])["evidence"]
    assert (evidence["preset"], evidence["cycle"], evidence["value"]) == (
        "kuaishou_attitude",
        "2026-11",
        1.0,
    )
    assert "¥100–300" in evidence["penalty"]["penalty"]
    # the rating goes; with new data half an hour later the checks are not re-run …
    store.con.execute("DELETE FROM ratings")
    import_rows(store, tmp_path, "messages", [msg("buyer_c", "agent", "2026-11-03 10:20:00")])
    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 30))
    assert get_alert(store, alert["id"])["status"] == "open"
    # … an hour later they are, and the cycle no longer fails
    import_rows(store, tmp_path, "messages", [msg("buyer_c", "agent", "2026-11-03 10:50:00")])
    evaluate_imports(store, s, datetime(2026, 11, 3, 11, 1))
    assert get_alert(store, alert["id"])["status"] == "resolved"


def test_timers_are_replaced_again_while_a_reader_holds_an_older_snapshot(store, tmp_path):
    # the server's readers hold snapshots while pages compute; DuckDB refuses a second delete
    # and insert of a key beside one, so a still-waiting buyer's timer is updated in place
    s = setup(["waiting_kuaishou"])
    import_rows(store, tmp_path, "messages", [msg("buyer_w", "buyer", "2026-11-03 10:00:00")])
    reader = store.con.cursor()
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM alert_timers").fetchone() == (0,)
    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 1))
    import_rows(store, tmp_path, "messages", [msg("buyer_v", "buyer", "2026-11-03 10:01:30")])
    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 2))  # buyer_w's timer again
    import_rows(store, tmp_path, "messages", [msg("buyer_v", "buyer", "2026-11-03 10:01:40")])
    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 2, 10))  # and again: was refused
    waiting = store.con.execute("SELECT due_at FROM alert_timers ORDER BY due_at").fetchall()
    assert waiting == [(datetime(2026, 11, 3, 10, 3),), (datetime(2026, 11, 3, 10, 4, 30),)]
    import_rows(store, tmp_path, "messages", [msg("buyer_w", "agent", "2026-11-03 10:02:30")])
    evaluate_imports(store, s, datetime(2026, 11, 3, 10, 3))  # answered: its timer goes
    waiting = store.con.execute("SELECT due_at FROM alert_timers").fetchall()
    assert waiting == [(datetime(2026, 11, 3, 10, 4, 30),)]
    reader.execute("ROLLBACK")
