"""The 平台合规 Excel sheet and the HTML section."""

from __future__ import annotations

import zipfile
from datetime import datetime
from typing import get_args

import pytest

from kaohe.compliance import run_checks, summary
from kaohe.compliance.model import NoteCode
from kaohe.compliance.report import (
    NOTE_TEXT,
    detail_rows,
    html_section,
    summary_text,
    write_sheet,
)
from kaohe.spreadsheet import Workbook
from tests.compliance.helpers import NOW, chat, make

D = datetime(2026, 10, 5, 10)


@pytest.fixture(scope="module")
def results() -> list:
    """The checks run once for the module (each run compiles every query: seconds)."""
    rows = []
    # 5th: 1 of 2 rounds within 5 min → 50 % fail; 6th: 1 of 1 → pass
    rows += chat("<buyer1>", D, 10, shop="p&q", platform="pdd")
    rows += chat("buyer2", D.replace(hour=12), 900, shop="p&q", platform="pdd")
    rows += chat("b3", D.replace(day=6), 10, shop="p&q", platform="pdd")
    with make(rows) as store:
        return run_checks(store, "2026-10", ["pdd_daily_reply"], now=NOW)


def test_summary_keeps_the_worst_day(results):
    [row] = summary(results)
    assert (row["status"], row["cycles"], row["fail"], row["pass"]) == ("fail", 2, 1, 1)
    assert row["bad_cycles"] == ["2026-10-05"]


def test_html_section_colours_and_escapes(results):
    text = html_section(results)
    assert text.startswith('<section class="compliance"><h2>平台合规检查</h2>')
    assert 'style="background:#fee2e2">不达标</td>' in text  # the summary row and the day
    assert "p&amp;q" in text and "p&q" not in text
    assert "2026-10-05" in text and "b***2" in text  # the slow round's buyer, masked
    english = html_section(results, "en")
    assert "Platform compliance" in english and ">fail</td>" in english


def test_excel_sheet(tmp_path, results):
    path = tmp_path / "r.xlsx"
    with Workbook(path) as book:
        ws = write_sheet(book, results)
        assert ws.name == "平台合规"
    with zipfile.ZipFile(path) as z:
        shared = z.read("xl/sharedStrings.xml").decode()
    assert "拼多多每日5分钟回复率" in shared and "不达标" in shared and "b***2" in shared


def test_summary_text(results):
    text = summary_text(results)
    assert text.splitlines() == [
        "平台合规检查: 不达标 1, 有风险 0, 达标 0, 不适用 0",
        "  ✗ 拼多多每日5分钟回复率 · 拼多多5分钟回复率 · p&q: 2 个周期: 1 不达标, 0 有风险 (≥ 80%)",
    ]


def test_one_result_reads_in_either_language(results):
    """Results carry codes and numbers, so one cached result serves a Chinese and an English
    reader alike (the web caches run_checks once per period)."""
    bad = [r for r in results if r.status == "fail"]
    [zh] = detail_rows(bad, "zh")
    [en] = detail_rows(bad, "en")
    assert (zh["threshold"], en["threshold"]) == ("≥ 80%", "≥ 80%")
    assert zh["consequence"].startswith("每天回复率需在80%以上")
    assert en["consequence"].startswith("the basic standard is a daily reply rate")
    assert zh["status"] == "不达标" and en["status"] == "fail"


def test_every_note_code_has_words():
    assert set(NOTE_TEXT) == set(get_args(NoteCode))
