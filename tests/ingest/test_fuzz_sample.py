"""A small run of the import fuzzer (benchmarks/import_fuzz.py, which runs 10,000 files):
malformed files of every format, each imported by a worker process under a 30 s hang guard.
No crash, no abort, no hang, no lost row."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "benchmarks" / "import_fuzz.py"


@pytest.mark.slow
def test_two_hundred_malformed_files(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("import_fuzz", FUZZ)
    assert spec is not None and spec.loader is not None
    fuzz = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = fuzz  # its dataclasses look their module up
    spec.loader.exec_module(fuzz)
    paths = fuzz.generate(200, seed=7, folder=tmp_path)
    report = fuzz.run(paths, timeout=30.0)
    assert report.files == 200
    assert report.failures == 0, report.crashes + report.lost
    assert report.status["ok"] > 20 and report.status["refused"] > 20  # both kinds exercised
