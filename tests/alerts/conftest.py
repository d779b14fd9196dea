"""The alert tests build their stores as the engine's do (tests.engine.conftest)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kaohe.store import Store
from tests.engine.conftest import make_store  # noqa: F401 - the shared store builder


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:  # noqa: F811
    return make_store([])
