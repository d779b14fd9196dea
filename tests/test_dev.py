"""The Justfile and `python -m kaohe.dev` offer the same tasks, and `check` runs them all."""

from __future__ import annotations

import re

from kaohe.dev import ROOT, TASKS


def test_justfile_recipes_are_the_dev_tasks() -> None:
    text = (ROOT / "Justfile").read_text(encoding="utf-8")
    recipes = dict(re.findall(r"^([a-z]+):\n    python -m kaohe\.dev ([a-z]+)$", text, re.M))
    assert recipes == {task: task for task in TASKS}


def test_check_runs_lint_types_docs_and_tests() -> None:
    steps = [" ".join(step) for step in TASKS["check"]]
    assert steps == [
        "ruff check src tests benchmarks",
        "ruff format --check src tests benchmarks",
        "mypy",
        "kaohe.docs --check",
        "pytest -q",
    ]
