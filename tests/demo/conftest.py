"""One demo run shared by the demo's tests (it takes about a minute)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe.cli import cli


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(cli, ["demo", "--dir", str(base), "--seed", "1"])
    assert result.exit_code == 0, result.output
    return base, result.output
