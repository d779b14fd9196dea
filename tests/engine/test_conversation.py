"""The conversation model (kaohe.engine.conversation): every message with its assigned agent,
kind, session and round, read off the engine's blocks — and a session gap that moves the KPIs,
the QA findings, sampling and the viewer together."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.config import load_config
from kaohe.engine import compute_kpis, conversation
from kaohe.engine.conversation import Scope
from kaohe.store import Store
from tests.engine.conftest import fill, msg

D = "2026-10-05"
SHOP, AGENT = "快手店", "快手店:小李"


def ks(buyer: str, agent: str | None, sender: str, at: str, text: str, **kw) -> dict:
    """A 快手 line: the export leaves `agent` empty on buyer, bot and system rows."""
    return msg(buyer, agent, sender, f"{D} {at}", text, shop=SHOP, platform="kuaishou", **kw)


KUAISHOU = [
    ks("kb1", None, "buyer", "10:00:00", "你好，在吗"),
    ks("kb1", AGENT, "agent", "10:00:02", "欢迎光临快手店", auto=True),
    ks("kb1", None, "bot", "10:00:05", "我是智能助手"),
    ks("kb1", None, "system", "10:00:30", "转人工", kind="handoff"),
    ks("kb1", AGENT, "agent", "10:02:30", "您好，在的"),  # 120 s after the hand-off
    ks("kb1", AGENT, "agent", "10:03:00", "发错了", kind="withdrawn"),
    ks("kb1", None, "buyer", "10:05:00", "什么时候发货"),  # never answered
    ks("kb2", None, "buyer", "11:00:00", "在吗"),  # a thread no agent ever answered
]


@pytest.fixture(scope="module")
def kuaishou() -> pl.DataFrame:
    with Store(":memory:") as store:
        fill(store, KUAISHOU)
        return pl.from_arrow(conversation.frame(store))


def test_agentless_buyer_bot_and_system_rows_carry_the_assigned_agent(kuaishou):
    kb1 = kuaishou.filter(pl.col("buyer") == "kb1").sort("seq")
    assert kb1["agent"].to_list() == [AGENT] * 7
    assert kb1["written_agent"].to_list() == [None, AGENT, None, None, AGENT, AGENT, None]
    # one session holds the whole thread: the buyer's lines are not a session of nobody's
    assert kb1["session_start"].unique().to_list() == [datetime(2026, 10, 5, 10)]
    assert kb1["session_buyer_messages"].unique().to_list() == [2]


def test_every_line_is_marked_for_what_it_is(kuaishou):
    kb1 = kuaishou.filter(pl.col("buyer") == "kb1").sort("seq")
    assert kb1["kind"].to_list() == [
        "buyer",
        "auto_reply",
        "bot",
        "handoff",
        "reply",
        "withdrawn",
        "buyer",
    ]
    assert kb1["valid_reply"].to_list() == [False, False, False, False, True, False, False]


def test_rounds_are_the_engines_with_the_bot_hand_off(kuaishou):
    kb1 = kuaishou.filter(pl.col("buyer") == "kb1").sort("seq")
    # round 1 from 10:00:00, its clock from the hand-off at 10:00:30, answered at 10:02:30;
    # round 2 from 10:05:00, unanswered
    assert kb1["response_s"].to_list() == [120.0, None, None, None, 120.0, None, None]
    assert kb1["round_answered"].to_list() == [True, None, None, None, True, None, False]
    assert kb1["round_start"][6] == datetime(2026, 10, 5, 10, 5)


def test_a_thread_nobody_answered_is_nobodys(kuaishou):
    kb2 = kuaishou.filter(pl.col("buyer") == "kb2")
    assert kb2["agent"].to_list() == [None]
    assert kb2["kind"].to_list() == ["buyer"]


def test_narrowing_to_a_thread_or_an_agent_changes_no_value(kuaishou):
    with Store(":memory:") as store:
        fill(store, KUAISHOU)
        one = pl.from_arrow(conversation.frame(store, scope=Scope(shop=SHOP, buyer="kb1")))
        mine = pl.from_arrow(conversation.frame(store, scope=Scope(agent=AGENT)))
    whole = kuaishou.filter(pl.col("buyer") == "kb1").sort("seq")
    assert one.sort("seq").equals(whole) and mine.sort("seq").equals(whole)


def test_a_session_crossing_the_edge_is_read_whole():
    rows = [
        msg("b1", "a1", "buyer", "2026-10-31 23:50:00", "在吗"),
        msg("b1", "a1", "agent", "2026-11-01 00:05:00", "您好"),
        msg("b1", "a1", "buyer", "2026-11-01 09:00:00", "还在吗"),
    ]
    october = Scope(datetime(2026, 10, 1), datetime(2026, 11, 1))
    with Store(":memory:") as store:
        fill(store, rows)
        whole = conversation.frame(store, scope=october)
        cut = conversation.frame(
            store, scope=Scope(october.start, october.end, whole_sessions=False)
        )
    assert [str(t) for t in sorted(whole["time"].to_pylist())] == [
        "2026-10-31 23:50:00",
        "2026-11-01 00:05:00",
    ]
    assert cut.num_rows == 1


# ---------------------------------------------------------------- one session gap for all

# b1 and a1: gaps of 14 min 40 s and 24 min 30 s. At the default 30 minutes one session
# (10:00:00–10:40:10); at session_gap = 10 three (10:00:00–10:00:20, 10:15:00–10:15:30,
# 10:40:00–10:40:10).
GAPS = [
    msg("b1", "a1", "buyer", f"{D} 10:00:00", "在吗"),
    msg("b1", "a1", "agent", f"{D} 10:00:20", "您好，在的"),
    msg("b1", "a1", "buyer", f"{D} 10:15:00", "什么时候发货"),
    msg("b1", "a1", "agent", f"{D} 10:15:30", "明天发货"),
    msg("b1", "a1", "buyer", f"{D} 10:40:00", "好的谢谢"),
    msg("b1", "a1", "agent", f"{D} 10:40:10", "祝您生活愉快，再见"),
]
# one session rule: a session whose first reply has no 您好. At 30 minutes the only session
# opens with 您好; at 10 the second and third open with 明天发货 and 祝您生活愉快，再见.
GREETING_PACK = """\
id: greeting
name: 问候
rules:
  - {id: no_greeting, name: 缺少问候语, category: process, severity: minor, scope: session,
     detector: no_greeting, params: {phrases: [您好]}, deduction: 2, explanation: 请问候。}
"""


def session_gap_outcome(tmp_path: Path, gap: int | None) -> dict:
    """What `kaohe kpi`, `kaohe qa run` + `qa sample` and the viewer say with kaohe.toml
    setting session_gap = `gap` (None: no setting, the default 30 minutes)."""
    from kaohe.web import views

    db, toml, pack = tmp_path / f"k{gap}.duckdb", tmp_path / f"k{gap}.toml", tmp_path / "p.yaml"
    with Store(db) as store:
        fill(store, GAPS)
    toml.write_text("" if gap is None else f"[metrics.params]\nsession_gap = {gap}\n", "utf-8")
    pack.write_text(GREETING_PACK, "utf-8")
    base = ["--config", str(toml), "--db", str(db)]
    runner = CliRunner()
    kpi = runner.invoke(
        cli, [*base, "kpi", "--metrics", "sessions", "--no-facts", "--format", "json"]
    )
    run = runner.invoke(cli, [*base, "qa", "run", "--pack", str(pack)])
    sample = runner.invoke(cli, [*base, "qa", "sample", "--per-agent", "9", "--format", "json"])
    assert kpi.exit_code == run.exit_code == sample.exit_code == 0, kpi.output + run.output
    # the viewer reads the parameters as the web app does: from its kaohe.toml
    request = SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(config=load_config(str(toml), db=str(db))))
    )
    with Store(db) as store:
        found = store.con.execute(
            "SELECT strftime(session_start, '%H:%M:%S'), session_gap FROM qa_findings "
            "ORDER BY session_start"
        ).fetchall()
        at = datetime(2026, 10, 5, 10, 15, 10)
        seen = views.find_session(store, "s1", "b1", at, params=views.overrides(request))
    return {
        "kpi": json.loads(kpi.output)["rows"][0]["sessions"],
        "findings": found,
        "sampled": sorted(r["session"] for r in json.loads(sample.output)["rows"]),
        "viewer": (seen.start.strftime("%H:%M:%S"), seen.end.strftime("%H:%M:%S")),
        "viewer_lines": len(seen.messages),
    }


def test_session_gap_moves_kpis_findings_sampling_and_the_viewer_together(tmp_path):
    default = session_gap_outcome(tmp_path, None)
    assert default == {
        "kpi": 1,
        "findings": [],
        "sampled": ["s1/b*/a1/2026-10-05 10:00:00"],
        "viewer": ("10:00:00", "10:40:10"),
        "viewer_lines": 6,
    }
    ten = session_gap_outcome(tmp_path, 10)
    assert ten == {
        "kpi": 3,
        "findings": [("10:15:00", 10.0), ("10:40:00", 10.0)],
        "sampled": [
            "s1/b*/a1/2026-10-05 10:00:00",
            "s1/b*/a1/2026-10-05 10:15:00",
            "s1/b*/a1/2026-10-05 10:40:00",
        ],
        "viewer": ("10:15:00", "10:15:30"),
        "viewer_lines": 2,
    }


def test_the_models_sessions_are_the_sessions_metric(make_store):
    store = make_store(KUAISHOU + GAPS)
    for gap in (30, 10):
        model = pl.from_arrow(conversation.frame(store, {"session_gap": gap}))
        counted = model.filter(
            pl.col("agent").is_not_null() & (pl.col("session_buyer_messages") > 0)
        )
        per_agent = counted.group_by("agent").agg(pl.col("session_start").n_unique())
        kpis = compute_kpis(
            store, metrics=["sessions"], params={"session_gap": gap}, use_facts=False
        )
        assert dict(per_agent.iter_rows()) == {r["agent"]: r["sessions"] for r in kpis}
