"""Suite-wide hooks: the slowest files start first, so that the two xdist workers (see
pyproject's addopts) finish together instead of one waiting on the Spark parity run."""

from __future__ import annotations

import pytest

FIRST = ("tests/engine/test_spark_parity.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return 0 if any(item.nodeid.startswith(path) for path in FIRST) else 1

    items.sort(key=rank)  # stable: every other test keeps its order
