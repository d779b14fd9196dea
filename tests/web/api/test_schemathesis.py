"""The API against its own OpenAPI document (schemathesis, property-based): a few generated
requests per operation, as the local administrator, on a store of its own; no answer may be
a server error. POST /backups is left out: it writes a copy wherever it is told."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from kaohe.web.app import close_app, create_app
from tests.service.conftest import tiny_store

KEY = "schemathesis-local-key"


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db: Path = tiny_store(tmp_path_factory.mktemp("schemathesis"))
    app = create_app(db, secret_key="k")
    app.state.local_key = KEY
    try:
        yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    finally:
        close_app(app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.exclude(path="/api/v1/backups").parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_a_server_error(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
