"""Tokens of every role on the shared web store (tests/web/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def tokens(app: Any, accounts: dict[str, dict[str, Any]]) -> dict[str, str]:
    """role key → a live token of that role's user."""
    from kaohe.web.tokens import create_token

    return {
        key: app.state.writer.call(lambda st, u=acc["username"]: create_token(st, u, "test")[1])
        for key, acc in accounts.items()
    }


@pytest.fixture()
def api(app: Any, tokens: dict[str, str]) -> Callable[[str | None], TestClient]:
    """api("admin" | … | None) → a client sending that role's token (None: no token)."""

    def make(role: str | None) -> TestClient:
        client = TestClient(app)
        if role is not None:
            client.headers["Authorization"] = f"Bearer {tokens[role]}"
        return client

    return make
