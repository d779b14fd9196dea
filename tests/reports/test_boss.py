"""The boss report's pieces computed by hand: the month before, the month-on-month change,
axis steps, and the SVG bars carrying their axis values and each bar's value."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.reports.boss import BossData, Kpi, boss_html, nice_step, previous_month, svg_bars
from tests.test_assigned import RULES, _store


def test_the_month_before() -> None:
    assert previous_month("2026-10") == "2026-09"
    assert previous_month("2026-01") == "2025-12"
    assert previous_month("2026-Q4") is None  # a quarter has no "previous month"


@pytest.mark.parametrize(
    ("kpi", "change"),
    [
        (Kpi("回复率", "ratio", 0.95, 0.90), "+5.0 个百分点"),  # 95 % − 90 %
        (Kpi("接待人数", "count", 1100, 1000), "+10.0%"),  # 100 / 1000
        (Kpi("平均响应时长", "seconds", 30.0, 40.0), "-25.0%"),  # −10 / 40
        (Kpi("接待人数", "count", 1100, None), "—"),
    ],
)
def test_month_on_month_change(kpi: Kpi, change: str) -> None:
    assert kpi.change == change


def test_axis_steps_are_round() -> None:
    assert nice_step(11) == 5.0  # 11 / 4 = 2.75 → 5: ticks 0, 5, 10, 15
    assert nice_step(20072.71) == 10000.0  # 5018 → 10000
    assert nice_step(3) == 1.0


def test_bars_show_axis_values_and_each_value() -> None:
    svg = svg_bars("等级分布（人）", [("合格", 11), ("良好", 6)], "count")
    assert svg.startswith("<svg") and "等级分布（人）" in svg
    for tick in (">0<", ">5<", ">10<", ">15<"):
        assert tick in svg
    assert ">11<" in svg and ">6<" in svg and svg.count("<rect") == 2


def test_the_page_says_provisional_and_has_no_script() -> None:
    data = BossData("2026-10", "2026-09", provisional=True, pay=[("京东客服薪资", 4, 1000.0)])
    page = boss_html(data)
    assert "暂估" in page and "¥1,000.00" in page
    assert "<script" not in page and "http" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "@page { size: A4 portrait" in page


def test_a_kpi_row_names_its_unit_once() -> None:
    data = BossData("2026-10", "2026-09", kpis=[Kpi("平均响应时长", "seconds", 35.3, 40.0)])
    page = boss_html(data)
    assert "<td>平均响应时长</td>" in page and "35.3秒" in page  # the unit with the value
    assert "平均响应时长 (秒)" not in page


def test_kaohe_report_writes_the_page_and_refuses_other_files(tmp_path: Path) -> None:
    _store(tmp_path / "k.duckdb").close()
    (tmp_path / "assignments.yaml").write_text(RULES, encoding="utf-8")
    db = str(tmp_path / "k.duckdb")
    out = tmp_path / "boss.html"
    done = CliRunner().invoke(cli, ["--db", db, "report", "-p", "2025-03", "--out", str(out)])
    assert done.exit_code == 0, done.output
    page = out.read_text("utf-8")
    # 甲 3000 + 200 (tmall), 丙 2000 + 200 and 乙 0 + 200 (pdd; each answered in 20 s)
    assert "客服团队月报 2025-03" in page and "薪资合计 ¥5,600.00" in page
    assert "没有分配考核方案" in page  # the rules name plans only: said, not left blank
    wrong = CliRunner().invoke(cli, ["--db", db, "report", "-p", "2025-03", "--out", "x.pdf"])
    assert wrong.exit_code == 1 and ".html" in wrong.output
