"""The JSON API under /api/v1, described by the app's OpenAPI document
(/api/v1/openapi.json): imports, KPIs, scores, pay, compliance, QA findings, the alert inbox,
users and tokens, the roster, the scheduler's runs, backups and the health check.

Every endpoint but the health check needs a token (`Authorization: Bearer kh_…`, made by
`kaohe users token NAME` or on the users page); the token acts as its user with the user's
role, under the same rules as the pages: a lead sees their team's agents, an agent only
themselves, buyer data masked for both. Writes go through the server's one writer."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

PREFIX = "/api/v1"
OPENAPI_URL = f"{PREFIX}/openapi.json"


def api_router() -> APIRouter:
    """Every module's `router` of this package, under /api/v1."""
    from kaohe.web import api as package

    root = APIRouter(prefix=PREFIX)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"kaohe.web.api.{info.name}")
        router = getattr(module, "router", None)
        if router is not None:
            root.include_router(router)
    return root
