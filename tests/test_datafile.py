"""kaohe.datafile.exists: a name the system refuses to look up is "not there"."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaohe.datafile import exists
from kaohe.errors import UsageError
from kaohe.pay import load_plan
from kaohe.qa.rules import load_pack
from kaohe.schemes import load_scheme

TOO_LONG = "中" * 200 + ".yaml"  # 600 bytes: longer than a file name may be (ENAMETOOLONG)


def test_exists(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x", "utf-8")
    assert exists(tmp_path / "a.yaml", file=True) and exists(tmp_path)
    assert not exists(tmp_path, file=True) and not exists(tmp_path / "b.yaml")
    assert not exists(tmp_path / TOO_LONG) and not exists(tmp_path / TOO_LONG, file=True)


@pytest.mark.parametrize("load", [load_pack, load_scheme, load_plan])
@pytest.mark.parametrize("ref", ["0" * 1000, TOO_LONG])
def test_a_reference_too_long_for_a_file_name_is_one_line(load, ref) -> None:
    with pytest.raises(UsageError, match="unknown|not found"):
        load(ref)
