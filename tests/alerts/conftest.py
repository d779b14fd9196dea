from __future__ import annotations

from collections.abc import Iterator

import pytest

from kaohe.store import Store


@pytest.fixture
def store() -> Iterator[Store]:
    st = Store(":memory:")
    yield st
    st.close()
