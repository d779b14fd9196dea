"""Regenerates every generated document in docs/ (`python -m kaohe.docs`), or with `--check`
lists the stale ones and exits 1. Each generator module exposes one `render() -> str`."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"

# docs/<file> → the module whose render() writes it
GENERATED: dict[str, str] = {
    "metrics.md": "kaohe.engine.docs",
    "schemes.md": "kaohe.schemes.docs",
    "pay-plans.md": "kaohe.pay.docs",
    "compliance.md": "kaohe.compliance.docs",
    "presets.md": "kaohe.ingest.docs",
    "server.md": "kaohe.web.docs",
    "alerts.md": "kaohe.alerts.docs",
}


def render(name: str) -> str:
    """The current text of docs/`name`."""
    text: str = importlib.import_module(GENERATED[name]).render()
    return text.rstrip("\n") + "\n"


def stale(docs: Path = DOCS) -> list[str]:
    """The generated docs whose file differs from what their generator renders now."""
    out = []
    for name in GENERATED:
        path = docs / name
        if not path.exists() or path.read_text(encoding="utf-8") != render(name):
            out.append(name)
    return out


def write_all(docs: Path = DOCS) -> list[Path]:
    docs.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in GENERATED:
        path = docs / name
        path.write_text(render(name), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    if argv[:1] == ["--check"]:
        behind = stale()
        for name in behind:
            print(f"docs/{name} 已过期 / is stale: run `python -m kaohe.docs`")
        return 1 if behind else 0
    for path in write_all():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
