"""Session detectors on hand-built sessions: each rule once firing, once not (qa.md
repeated_reply … no_soothing), and `run_pack` keeping their findings with the text ones.

The detectors read the conversation model (kaohe.engine.conversation): every thread below is
one buyer of one small store, whose model is computed once for the module."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from kaohe.engine import compute_kpis, conversation
from kaohe.qa import behaviour as b
from kaohe.qa.findings import run_pack
from kaohe.qa.rules import Rule, load_pack, parse_pack_text
from kaohe.store import Store
from tests.engine.conftest import fill, msg

T0 = datetime(2026, 10, 5, 10, 0, 0)
DEFAULT = load_pack("default")
NOBODY = "nobody"  # the thread whose rows name no agent at all

# thread -> (seconds after T0, sender, text[, auto_reply or msg_type]); msg_key k1, k2, … of
# each thread in the order given
THREADS: dict[str, list[tuple]] = {
    "script_twice": [
        (0, "buyer", "在吗"),
        (10, "agent", "请提供订单号码"),
        (20, "buyer", "123"),
        (30, "agent", "请提供订单号码"),
    ],
    "script_four_times": [
        (0, "buyer", "在吗"),
        (10, "agent", "请提供订单号码"),
        (20, "buyer", "123"),
        (30, "agent", " 请提供 订单号码"),
        (40, "buyer", "?"),
        (50, "agent", "请提供订单号码"),
        (60, "buyer", "?"),
        (70, "agent", "请提供订单号码"),
    ],
    "short_replies": [
        (0, "buyer", "在吗"),
        (10, "agent", "好的亲"),
        (20, "agent", "好的亲"),
        (30, "agent", "好的亲"),
    ],
    "greeted": [(0, "buyer", "在吗"), (5, "agent", "您好")],
    "auto_greeting": [
        (0, "buyer", "在吗"),
        (1, "agent", "您好，欢迎光临", True),
        (5, "agent", "请提供订单号"),
        (9, "agent", "您好"),
    ],
    "farewell_in_closing_turn": [
        (0, "buyer", "好的谢谢"),
        (5, "agent", "祝您生活愉快"),
        (6, "agent", "再会"),
    ],
    "farewell_too_early": [
        (0, "buyer", "发货了吗"),
        (5, "agent", "发了，祝您生活愉快"),
        (9, "buyer", "几天到"),
        (15, "agent", "两天"),
    ],
    "first_in_30": [(0, "buyer", "在吗"), (30, "agent", "在的")],
    "first_in_31": [(0, "buyer", "在吗"), (31, "agent", "在的")],
    "later_rounds": [
        (0, "buyer", "在吗"),
        (10, "agent", "在的"),  # first: 10 s
        (100, "buyer", "有货吗"),
        (160, "agent", "有"),  # 60 s: not slow
        (200, "buyer", "几天到"),
        (250, "buyer", "?"),
        (265, "agent", "两天"),  # 265 − 200 = 65 s
        (300, "buyer", "发票"),
        (700, "agent", "可以开"),  # 400 s > 300: severe
    ],
    "reply_after_the_gap": [(0, "buyer", "在吗"), (31 * 60, "agent", "在的")],
    "bot_hand_off": [
        (0, "buyer", "在吗"),
        (1, "bot", "我是小助手"),
        (50, "system", "转人工", "handoff"),
        (70, "agent", "您好，在的"),
    ],
    "ends_with_a_question": [
        (0, "buyer", "在吗"),
        (5, "agent", "在的"),
        (9, "buyer", "什么时候发货"),
    ],
    "buyer_closing": [(0, "buyer", "在吗"), (5, "agent", "在的"), (9, "buyer", "好的，谢谢！")],
    "agent_last_word": [(0, "buyer", "什么时候发货"), (5, "agent", "明天")],
    "soothed": [(0, "buyer", "太慢了，我要投诉"), (5, "agent", "抱歉让您久等了")],
    "not_soothed": [
        (0, "buyer", "在吗"),
        (3, "buyer", "我要投诉，东西是坏的"),
        (5, "agent", "请提供订单号"),
        (9, "agent", "抱歉"),  # not the next reply
    ],
    "not_upset": [(0, "buyer", "放心，我不会给差评的"), (5, "agent", "好的")],
    NOBODY: [(0, "buyer", "在吗")],
}


def line(buyer: str, seconds: int, sender: str, text: str, extra: object = None) -> dict:
    at = str(T0 + timedelta(seconds=seconds))
    kind = extra if isinstance(extra, str) else "text"
    agent = None if buyer == NOBODY else "a1"
    return msg(buyer, agent, sender, at, text, auto=extra is True, kind=kind)


@pytest.fixture(scope="module")
def model() -> dict[str, pl.DataFrame]:
    """Each thread's conversation model, its msg_keys renumbered k1, k2, … per thread."""
    with Store(":memory:") as store:
        fill(store, [line(buyer, *r) for buyer, rows in THREADS.items() for r in rows])
        frame = pl.from_arrow(conversation.frame(store))
    out = {}
    for buyer in THREADS:
        rows = frame.filter(pl.col("buyer") == buyer).sort("seq")
        keys = [f"k{i}" for i in range(1, len(rows) + 1)]
        out[buyer] = rows.with_columns(pl.Series("msg_key", keys))
    return out


def hits(detector, messages: pl.DataFrame, rule: Rule | None = None) -> list[tuple[str, str]]:
    rule = rule or DEFAULT.rule(detector.__name__)
    found = detector(b.turns(messages), rule).sort("time")
    return list(zip(found["msg_key"], found["matched"], strict=True))


def with_params(rule_id: str, **params) -> Rule:
    rule = DEFAULT.rule(rule_id)
    return Rule.model_validate({**rule.model_dump(), "params": {**rule.params, **params}})


# ---------------------------------------------------------------- repeated_reply


def test_a_script_sent_twice_is_not_repeated_at_min_count_three(model):
    assert hits(b.repeated_reply, model["script_twice"]) == []


def test_the_third_sending_is_one_finding_whitespace_ignored(model):
    # the 4th sending: still one finding
    assert hits(b.repeated_reply, model["script_four_times"]) == [("k6", "请提供订单号码")]


def test_short_replies_are_not_scripts(model):
    # 3 characters < min_chars 6
    assert hits(b.repeated_reply, model["short_replies"]) == []


# ---------------------------------------------------------------- no_greeting


def test_a_greeting_first_reply_is_no_finding(model):
    assert hits(b.no_greeting, model["greeted"]) == []


def test_the_first_human_reply_without_greeting_is_a_finding(model):
    # the automatic reply (您好) is not the agent's first valid reply
    assert hits(b.no_greeting, model["auto_greeting"]) == [("k3", "请提供订单号")]


# ---------------------------------------------------------------- no_farewell


def test_a_farewell_anywhere_in_the_closing_turn_is_enough(model):
    assert hits(b.no_farewell, model["farewell_in_closing_turn"]) == []


def test_a_farewell_before_the_buyer_spoke_again_does_not_close(model):
    # closing turn = k4 alone (the buyer's k3 cuts it from k2): no phrase → finding on k4
    assert hits(b.no_farewell, model["farewell_too_early"]) == [("k4", "两天")]


# ---------------------------------------------------------------- slow_reply


def test_a_first_reply_at_30_seconds_is_not_slow_and_at_31_it_is(model):
    assert hits(b.slow_reply, model["first_in_30"]) == []
    assert hits(b.slow_reply, model["first_in_31"]) == [("k2", "首次回复 31 秒")]


def test_later_rounds_use_the_round_limit_from_the_first_buyer_message(model):
    assert hits(b.slow_reply, model["later_rounds"]) == [
        ("k7", "回复 65 秒"),
        ("k9", "严重超时 400 秒"),
    ]


def test_a_reply_after_the_session_gap_is_a_slow_reply_not_a_miss(model):
    # 31 minutes: the reply opens a new session, but it answers the engine's round (reply
    # horizon 24 h) as avg_response_s counts it: a severe 1,860 s timeout, counted against
    # the session the buyer asked in; the buyer was not left unanswered
    m = model["reply_after_the_gap"]
    assert hits(b.slow_reply, m) == [("k2", "严重超时 1860 秒")]
    found = b.slow_reply(b.turns(m), DEFAULT.rule("slow_reply"))
    assert found["session_start"].to_list() == [T0]
    assert hits(b.left_unanswered, m) == []


def test_the_clock_starts_at_the_bot_hand_off(model):
    # bot from 0 s, 转人工 at 50 s, the human at 70 s: the engine's round is answered in 20 s
    m = model["bot_hand_off"]
    assert m["kind"].to_list() == ["buyer", "bot", "handoff", "reply"]
    assert m["response_s"].to_list() == [20.0, None, None, 20.0]
    assert hits(b.slow_reply, m) == []


# ---------------------------------------------------------------- left_unanswered


def test_a_session_ending_with_a_question_is_left_unanswered(model):
    found = b.left_unanswered(
        b.turns(model["ends_with_a_question"]), DEFAULT.rule("left_unanswered")
    )
    assert found.select("msg_key", "agent", "start", "end").rows() == [("k3", "a1", 0, 6)]


def test_a_buyer_closing_or_an_agent_last_word_is_no_miss(model):
    closing, answered = model["buyer_closing"], model["agent_last_word"]
    assert hits(b.left_unanswered, closing) == hits(b.left_unanswered, answered) == []
    strict = with_params("left_unanswered", closing=[], closing_whole=[])
    assert hits(b.left_unanswered, closing, strict) == [("k3", "好的，谢谢！")]


# ---------------------------------------------------------------- no_soothing


def test_an_apology_after_an_upset_buyer_is_no_finding(model):
    assert hits(b.no_soothing, model["soothed"]) == []


def test_a_reply_without_soothing_is_a_finding_on_the_reply(model):
    assert hits(b.no_soothing, model["not_soothed"]) == [("k3", "投诉")]


def test_an_exception_is_not_upset(model):
    assert hits(b.no_soothing, model["not_upset"]) == []


# ---------------------------------------------------------------- together


def test_sessions_without_an_agent_are_not_judged(model):
    # nobody ever answered the thread: the engine assigns its rows to no agent
    m = model[NOBODY]
    assert m["agent"].to_list() == [None]
    assert b.behaviour_findings(m, DEFAULT).is_empty()


def test_a_frame_that_is_not_the_model_is_refused():
    with pytest.raises(ValueError, match="conversation model"):
        b.turns(pl.DataFrame({"msg_key": ["k1"], "sender": ["buyer"]}))


PACK = """\
id: timing
name: 时效规则
rules:
  - {id: no_greeting, name: 缺少问候语, category: process, severity: minor, scope: session,
     detector: no_greeting, params: {phrases: [您好]}, deduction: 2, explanation: 请问候。}
  - {id: slow_reply, name: 回复慢, category: efficiency, severity: minor, scope: session,
     detector: slow_reply, deduction: 1, explanation: 请及时回复。}
  - {id: left_unanswered, name: 漏跟进, category: process, severity: major, scope: session,
     detector: left_unanswered, deduction: 5, explanation: 请跟进。}
"""


@pytest.fixture
def store():
    d = "2026-10-05"
    with Store(":memory:") as s:
        fill(
            s,
            [
                msg("b1", "a1", "buyer", f"{d} 10:00:00", "在吗"),
                msg("b1", "a1", "agent", f"{d} 10:00:45", "请稍等"),  # 45 s, no 您好
                msg("b1", "a1", "buyer", f"{d} 10:01:00", "什么时候发货"),  # left unanswered
                msg("b2", "a1", "buyer", f"{d} 12:00:00", "你好"),
                msg("b2", "a1", "agent", f"{d} 12:00:10", "您好，在的"),  # clean
            ],
        )
        yield s


def test_run_pack_stores_session_findings_with_their_session(store):
    summary = run_pack(store, parse_pack_text(PACK, "timing.yaml"))
    assert summary.by_rule == {"left_unanswered": 1, "no_greeting": 1, "slow_reply": 1}
    rows = store.con.execute(
        "SELECT msg_key, agent, rule, strftime(session_start, '%H:%M:%S'), "
        "strftime(session_end, '%H:%M:%S'), span_start, span_end, matched "
        "FROM qa_findings ORDER BY msg_key, rule"
    ).fetchall()
    assert rows == [
        ("k2", "a1", "no_greeting", "10:00:00", "10:01:00", 0, 3, "请稍等"),
        ("k2", "a1", "slow_reply", "10:00:00", "10:01:00", 0, 3, "首次回复 45 秒"),
        ("k3", "a1", "left_unanswered", "10:00:00", "10:01:00", 0, 6, "什么时候发货"),
    ]


def test_session_findings_count_in_the_automatic_score(store):
    run_pack(store, parse_pack_text(PACK, "timing.yaml"))
    row = compute_kpis(
        store, by="agent", metrics=["qa_auto_score"], params={"pack": "timing"}, use_facts=False
    )[0]
    # b1's session: 100 − 2 − 1 − 5 = 92; b2's: 100 → mean (92 + 100) / 2 = 96
    assert row["qa_auto_score"] == pytest.approx(96.0)
