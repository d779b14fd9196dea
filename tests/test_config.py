from pathlib import Path

import pytest

from kaohe.config import load_config, parse_overrides
from kaohe.errors import ConfigError


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KAOHE_DB", raising=False)
    config = load_config()
    assert config.db == "kaohe.duckdb"
    assert config.zone == "Asia/Shanghai"
    assert config.lang == "zh"


def test_env_db_and_file_params(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAOHE_DB", "from_env.duckdb")
    (tmp_path / "kaohe.toml").write_text(
        '[metrics.params]\nsession_gap = "10m"\n"avg_response_s.cap_s" = 600\n', "utf-8"
    )
    config = load_config()
    assert config.db == "from_env.duckdb"
    assert config.params == {"session_gap": "10m", "avg_response_s.cap_s": 600}


def test_set_values_are_typed() -> None:
    assert parse_overrides(["cap_s=600", "window=08:00-23:00", "flag=true"]) == {
        "cap_s": 600,
        "window": "08:00-23:00",
        "flag": True,
    }


def test_bad_set_and_bad_toml_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(["nonsense"])
    bad = tmp_path / "bad.toml"
    bad.write_text("[metrics\nx = 1\n", "utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(str(bad))
    assert "bad.toml:1" in str(info.value)
