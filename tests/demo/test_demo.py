"""`kaohe demo` end to end: generate, import, compute, report."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe.cli import cli


def test_demo_writes_both_reports(demo_dir: tuple[Path, str]) -> None:
    base, output = demo_dir
    xlsx = base / "reports" / "kaohe_report.xlsx"
    html = base / "reports" / "kaohe_report.html"
    assert xlsx.exists() and html.exists()
    assert str(xlsx) in output and str(html) in output
    with zipfile.ZipFile(xlsx) as z:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
    for sheet in (
        "概览",
        "导入记录",
        "隔离区",
        "客服名单",
        "客服指标",
        "质检发现",
        "广告过滤",
        "平台合规",
    ):
        assert sheet in workbook
    assessment = base / "reports" / "kaohe_assessment.xlsx"
    assert str(assessment) in output and "质检、考核与薪资" in output
    with zipfile.ZipFile(assessment) as z:
        sheets = z.read("xl/workbook.xml").decode("utf-8")
    for sheet in (
        "考核-售前客服标准考核",
        "考核-售后客服标准考核",
        "工资表-天猫、淘宝售前薪资",
        "工资条",
    ):
        assert sheet in sheets
    page = html.read_text(encoding="utf-8")
    assert "隔离区" in page and "客服名单" in page
    assert "平台合规" in page and "广告过滤" in page and "自动质检" in page
    assert "平台合规检查: 不达标" in output  # the compliance summary is printed
    # alert rules and the scorecard by their Chinese names, not their ids
    assert "抖店回复慢 (3分钟) " in output and "评分表「考核表2 服务态度」" in output
    assert "slow_reply_douyin" not in output and "kaohe2_attitude" not in output
    assert "http://" not in page.split("<body>")[0] and "cdn" not in page.lower()


def test_demo_pays_each_platform_with_its_own_plan(demo_dir: tuple[Path, str]) -> None:
    base, output = demo_dir
    for plan in (
        "京东客服薪资",
        "天猫/淘宝售前薪资",
        "拼多多客服薪资",
        "抖音客服薪资",
        "快手客服薪资",
    ):
        assert f"{plan}（" in output  # one summary line per plan
    db = str(base / "kaohe.duckdb")
    run = ["--db", db, "pay", "--period", "2026-10", "--provisional", "--payslip"]
    slip = CliRunner().invoke(cli, [*run, "云朵拼多多店:小雪"])
    assert slip.exit_code == 0, slip.output
    assert "拼多多客服薪资" in slip.output and "拼多多5分钟回复率" in slip.output
    assert "京东" not in slip.output  # not the JD plan any more (issue 20.1)
    assert all(code not in slip.output for code in ("sales_amount", "pdd_5min_reply_rate"))


def test_demo_quarantines_its_bad_rows_and_says_so(demo_dir: tuple[Path, str]) -> None:
    base, output = demo_dir
    assert "隔离区" in output and "quarantine" in output
    import duckdb

    con = duckdb.connect(str(base / "kaohe.duckdb"), read_only=True)
    reasons = con.execute("SELECT count(*), count(DISTINCT file) FROM quarantine").fetchone()
    assert reasons[0] >= 4 and reasons[1] >= 3
    assert con.execute("SELECT count(*) FROM messages").fetchone()[0] > 30_000
    shops = con.execute("SELECT count(DISTINCT shop) FROM messages").fetchone()[0]
    assert shops == 5  # the GBK file with Chinese headers imported too
    gbk = con.execute(
        "SELECT count(*) FROM messages WHERE platform = 'pdd' AND sender = 'buyer'"
    ).fetchone()[0]
    assert gbk > 0
    assert con.execute("SELECT count(*) FROM orders").fetchone()[0] > 500
    con.close()


def test_demo_exports_look_like_real_exports(demo_dir: tuple[Path, str]) -> None:
    base, _ = demo_dir
    gbk = (base / "data" / "messages_pdd_gbk.csv").read_bytes()
    header = gbk.split(b"\n")[0].decode("gbk")
    assert header.startswith("店铺,平台,买家,客服,发送方,时间,内容")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    assert (base / "data" / "orders.xlsx").exists()


def test_demo_rerun_replaces_the_store_and_reports_without_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kaohe.demo import run

    monkeypatch.setattr(run, "compute_kpis", lambda store, params: (None, "engine skipped in test"))
    first = run.run_demo(tmp_path, seed=2, messages=3000)
    second = run.run_demo(tmp_path, seed=2, messages=3000)
    assert first.counts["messages"] == second.counts["messages"] == 3000
    assert second.kpi_rows is None
    page = second.reports["html"].read_text(encoding="utf-8")
    assert "engine skipped in test" in page
    with zipfile.ZipFile(second.reports["xlsx"]) as z:
        assert "客服指标" not in z.read("xl/workbook.xml").decode("utf-8")
