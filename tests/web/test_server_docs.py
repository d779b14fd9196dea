"""docs/server.md is generated from the [server] settings and must not be stale."""

from __future__ import annotations

from pathlib import Path

from kaohe.web.docs import render_docs

DOC = Path(__file__).resolve().parents[2] / "docs" / "server.md"


def test_the_server_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render_docs(), (
        "docs/server.md is stale: run `python -m kaohe.web.docs > docs/server.md`"
    )
