"""Session rules run slice by slice of whole threads (kaohe.qa.findings.session_findings, issue
17): the same findings, row for row, as on the period's whole model, also for a session that
crosses midnight and the period's first edge, in a store of two shops whose threads share a
buyer name."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from kaohe.qa.behaviour import behaviour_findings
from kaohe.qa.findings import inspected_messages, model_slices, session_findings
from kaohe.qa.rules import parse_pack_text
from kaohe.store import Store
from tests.engine.conftest import fill, msg
from tests.qa.test_behaviour import PACK as TIMING_PACK

PACK = parse_pack_text(TIMING_PACK, "timing.yaml")  # the behaviour tests' session rules
START, END = datetime(2026, 10, 6), datetime(2026, 10, 8)  # the first session opens before
COLUMNS = ["msg_key", "shop", "buyer", "agent", "rule", "matched", "session_start", "session_end"]


@pytest.fixture(scope="module")
def store():
    with Store(":memory:") as s:
        fill(
            s,
            [
                # s1/b1 with a1, across midnight: k1 .. k3, one session 23:59:00 – 00:05:00
                msg("b1", "a1", "buyer", "2026-10-05 23:59:00", "在吗"),
                msg("b1", "a1", "agent", "2026-10-06 00:00:10", "请稍等"),  # 70 s, no 您好
                msg("b1", "a1", "buyer", "2026-10-06 00:05:00", "什么时候发货"),  # unanswered
                # s2/b1 with a2: greeted in 5 s, then a later round answered in 120 s
                msg("b1", "a2", "buyer", "2026-10-06 09:00:00", "你好", shop="s2"),
                msg("b1", "a2", "agent", "2026-10-06 09:00:05", "您好，在的", shop="s2"),
                msg("b1", "a2", "buyer", "2026-10-06 09:01:00", "有货吗", shop="s2"),
                msg("b1", "a2", "agent", "2026-10-06 09:03:00", "有的", shop="s2"),
                # s2/b2 with a2: clean
                msg("b2", "a2", "buyer", "2026-10-07 10:00:00", "在吗", shop="s2"),
                msg("b2", "a2", "agent", "2026-10-07 10:00:20", "您好", shop="s2"),
            ],
        )
        yield s


def rows(found: pl.DataFrame) -> list[tuple]:
    shown = found.select(
        *COLUMNS[:6],
        *[pl.col(c).dt.strftime("%m-%d %H:%M:%S") for c in ("session_start", "session_end")],
    )
    return sorted(shown.iter_rows())


# by hand: s1/b1's reply came 70 s after the first question (> 30 s, first round) without
# 您好, and its last question got no reply; s2/b1's second round waited 09:01:00 → 09:03:00
MIDNIGHT = ("10-05 23:59:00", "10-06 00:05:00")
EXPECTED = sorted(
    [
        ("k2", "s1", "b1", "a1", "no_greeting", "请稍等", *MIDNIGHT),
        ("k2", "s1", "b1", "a1", "slow_reply", "首次回复 70 秒", *MIDNIGHT),
        ("k3", "s1", "b1", "a1", "left_unanswered", "什么时候发货", *MIDNIGHT),
        ("k7", "s2", "b1", "a2", "slow_reply", "回复 120 秒", "10-06 09:00:00", "10-06 09:03:00"),
    ]
)


@pytest.fixture(scope="module")
def parts(store) -> list[pl.DataFrame]:
    """The model in 7 slices (the store's 3 threads spread over several)."""
    return list(model_slices(store, START, END, slices=7))


def test_sliced_findings_are_the_hand_computed_ones(store):
    assert rows(session_findings(store, PACK, START, END, slices=2)) == EXPECTED


def test_sliced_findings_equal_the_whole_periods_row_for_row(store, parts):
    whole = behaviour_findings(inspected_messages(store, START, END), PACK)
    sliced = pl.concat([behaviour_findings(p, PACK) for p in parts])
    assert rows(whole) == EXPECTED
    assert whole.columns == sliced.columns
    assert whole.sort(whole.columns).equals(sliced.sort(sliced.columns))


def test_the_slices_split_the_model_by_whole_threads(store, parts):
    whole = inspected_messages(store, START, END)
    threads = [set(p.select("shop", "buyer").iter_rows()) for p in parts]
    assert sum(1 for t in threads if t) > 1  # the threads do spread over slices
    assert sum(len(t) for t in threads) == 3  # each thread in one slice only
    keys = sorted(k for p in parts for k in p["msg_key"])
    assert keys == sorted(whole["msg_key"]) == [f"k{i}" for i in range(1, 10)]
