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
        [sys.executable, "-m", "kaohe", "--config", str(tmp_path / "nope.toml"), "--help"],
        capture_output=True, text=True, cwd=tmp_path)
    # --help is eager and exits before the config is read; use a real command instead
    result = subprocess.run(
        [sys.executable, "-m", "kaohe", "--config", str(tmp_path / "nope.toml"), "quarantine"],
        capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1
    assert "nope.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_dash_m_entry_point_works(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "kaohe", "--version"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0
    assert "0.1.0" in result.stdout
