"""Developer tasks, the same as the Justfile's recipes for machines without `just`:
`python -m kaohe.dev check` runs lint, types, generated docs and the tests, stopping at the
first that fails; `lint`, `types`, `docs` (regenerate), `test` run one each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATHS = ["src", "tests", "benchmarks"]

TASKS: dict[str, list[list[str]]] = {
    "lint": [["ruff", "check", *PATHS], ["ruff", "format", "--check", *PATHS]],
    "types": [["mypy"]],
    "docs": [["kaohe.docs"]],
    "test": [["pytest", "-q"]],
}
TASKS["check"] = [*TASKS["lint"], *TASKS["types"], ["kaohe.docs", "--check"], *TASKS["test"]]


def run(task: str) -> int:
    """Run the task's steps as `python -m …` in the source tree; the first failure's code."""
    for step in TASKS[task]:
        print("$ python -m " + " ".join(step), flush=True)
        code = subprocess.run([sys.executable, "-m", *step], cwd=ROOT).returncode
        if code:
            return code
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in TASKS:
        print(f"用法 / usage: python -m kaohe.dev {{{'|'.join(TASKS)}}}", file=sys.stderr)
        return 1
    return run(argv[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
