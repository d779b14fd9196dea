"""Suite-wide hooks: the slowest files start first, so that the two xdist workers (see
pyproject's addopts) finish together instead of one waiting on the Spark parity run; and
`built_once`, which builds an expensive directory (a demo) once per run for every worker."""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

FIRST = ("tests/engine/test_spark_parity.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return 0 if any(item.nodeid.startswith(path) for path in FIRST) else 1

    items.sort(key=rank)  # stable: every other test keeps its order


def built_once(
    tmp_path_factory: pytest.TempPathFactory,
    worker_id: str,
    name: str,
    build: Callable[[Path], str],
    only: str | None = None,
) -> tuple[Path, str]:
    """(a directory of this worker's own, build's answer): `build(directory)` runs once per test
    run however many xdist workers ask, and every worker gets its own copy (of the file `only`
    when given, else of the whole directory), since a DuckDB store can be opened by one process
    at a time and tests write to theirs. Paths in the answer name the copy."""
    own = tmp_path_factory.mktemp(name)
    if worker_id == "master":
        built = tmp_path_factory.mktemp(f"{name}-built")
        answer = build(built)
    else:
        shared = tmp_path_factory.getbasetemp().parent  # this run's folder, common to workers
        built, done = shared / name, shared / f"{name}.answer"
        with open(shared / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait for the build
            if not done.exists():
                done.write_text(build(built), encoding="utf-8")
        answer = done.read_text(encoding="utf-8")
    if only is None:
        shutil.copytree(built, own, dirs_exist_ok=True)
    else:
        shutil.copyfile(built / only, own / only)
    return own, answer.replace(str(built), str(own))
