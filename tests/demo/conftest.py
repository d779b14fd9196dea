"""One demo run shared by the demo's tests (it takes about a minute), built once per run."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from tests.conftest import built_once


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, str]:
    """(the demo's folder, what `kaohe demo` printed)."""
    return built_once(tmp_path_factory, worker_id, "demo", _run_demo)


def _run_demo(base: Path) -> str:
    result = CliRunner().invoke(cli, ["demo", "--dir", str(base), "--seed", "1"])
    assert result.exit_code == 0, result.output
    return result.output
