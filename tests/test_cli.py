import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kaohe.cli import cli


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "--db" in result.output and "--lang" in result.output


def test_missing_config_file_is_a_usage_error_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kaohe", "--config", str(tmp_path / "nope.toml"), "quarantine"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "nope.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_dash_m_entry_point_works(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kaohe", "--version"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0
    assert "0.1.0" in result.stdout


def test_platform_report_without_date_takes_the_period_option(tmp_path: Path) -> None:
    report = tmp_path / "pdd.csv"
    report.write_text(
        "序号,客服账号,咨询人数,询单人数,3分钟人工回复率(8-23点)\n1,拼多多店:小红,120,80,95.5%\n"
        "2,拼多多店:小蓝,100,延迟统计,90%\n汇总,,220,80,93%\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "k.duckdb")
    result = CliRunner().invoke(cli, ["--db", db, "import", str(report), "--period", "2026-10"])
    assert result.exit_code == 0, result.output
    import duckdb

    rows = (
        duckdb.connect(db)
        .execute(
            "SELECT subject, metric, value, provisional FROM metric_values "
            "WHERE period = '2026-10' AND metric LIKE '%buyers' ORDER BY subject, metric"
        )
        .fetchall()
    )
    assert rows == [
        ("拼多多店:小红", "consult_buyers", 120.0, False),
        ("拼多多店:小红", "inquiry_buyers", 80.0, False),
        ("拼多多店:小蓝", "consult_buyers", 100.0, False),
        ("拼多多店:小蓝", "inquiry_buyers", None, True),
    ]
