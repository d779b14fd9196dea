"""The generated docs (schemes, pay plans) must not be stale."""

from __future__ import annotations

from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("schemes.md", "kaohe.schemes.docs"),
        ("pay-plans.md", "kaohe.pay.docs"),
        ("presets.md", "kaohe.ingest.docs"),
        ("alerts.md", "kaohe.alerts.docs"),
    ],
)
def test_generated_doc_is_current(name, module):
    import importlib

    render = importlib.import_module(module).render_docs
    text = render()
    written = (DOCS / name).read_text(encoding="utf-8")
    assert written.rstrip("\n") == text.rstrip("\n"), (
        f"docs/{name} is stale: run `python -m {module} > docs/{name}`"
    )
