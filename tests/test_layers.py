"""Data flows one way: files → store → engine → results → reports/web (spec principle 1).

The import graph of src/kaohe is read statically (every `import` and `from … import`,
including those inside functions and under TYPE_CHECKING); a module may import only modules
of its own layer or a lower one, and no modules import each other round a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Lowest first. A module belongs to the layer of its longest listed prefix.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundations",
        (
            "kaohe.errors",
            "kaohe.suggest",
            "kaohe.units",
            "kaohe.saferegex",
            "kaohe.datafile",
            "kaohe.config",
            "kaohe.schema",
            "kaohe.privacy",
            "kaohe.terminal",
            "kaohe.spreadsheet",
            "kaohe.output",
        ),
    ),
    ("store", ("kaohe.store", "kaohe.agents", "kaohe.rated")),  # the latter two read the store
    ("files", ("kaohe.ingest",)),
    ("engine", ("kaohe.engine", "kaohe.params")),
    (
        "results",
        (
            "kaohe.qa",
            "kaohe.schemes",
            "kaohe.pay",
            "kaohe.compliance",
            "kaohe.alerts",
            "kaohe.imports",
            "kaohe.import_report",
            "kaohe.assignments",
            "kaohe.assigned",
        ),
    ),
    ("reports", ("kaohe.reports",)),
    # what keeps a store running on its own (scheduler jobs write reports; the web wires it in)
    ("service", ("kaohe.service",)),
    ("web", ("kaohe.web",)),
    ("demo", ("kaohe.demo",)),
    ("cli", ("kaohe.commands", "kaohe.cli", "kaohe.__main__", "kaohe.docs", "kaohe.dev")),
]
# Same-rank pairs that must not meet either (web and reports sit side by side above results).
SEPARATE = [("kaohe.web", "kaohe.reports"), ("kaohe.reports", "kaohe.web")]
ROOT_PACKAGE = "kaohe"  # kaohe/__init__.py: the version only


def module_files() -> dict[str, Path]:
    files = {}
    for path in sorted((SRC / "kaohe").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def _imported(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = module.split(".")
        if path.name != "__init__.py":
            package.pop()
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    for alias in node.names:
        yield f"{base}.{alias.name}"  # a submodule, or a name the module `base` holds


def import_graph() -> dict[str, set[str]]:
    """module → the kaohe modules it imports."""
    files = module_files()
    graph: dict[str, set[str]] = {m: set() for m in files}
    for module, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in _imported(module, path, node):
                while name and name not in files:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    graph[module].add(name)
    return graph


def layer_of(module: str) -> int:
    best, rank = "", -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, rank = prefix, i
    if rank < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in {__file__}")
    return rank


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_every_module_has_a_layer():
    for module in module_files():
        if module != ROOT_PACKAGE:
            layer_of(module)


def test_no_module_imports_a_higher_layer():
    graph = import_graph()
    wrong = []
    for module, targets in sorted(graph.items()):
        if module == ROOT_PACKAGE:
            continue
        for target in sorted(targets - {ROOT_PACKAGE}):
            if layer_of(target) > layer_of(module):
                wrong.append(
                    f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} "
                    f"({LAYERS[layer_of(target)][0]})"
                )
            if any(_within(module, a) and _within(target, b) for a, b in SEPARATE):
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_only_the_command_line_imports_the_commands():
    graph = import_graph()
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if _within(target, "kaohe.commands")
        and not (_within(module, "kaohe.commands") or module in ("kaohe.cli", "kaohe.docs"))
    ]
    assert not wrong, "\n".join(wrong)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "modules importing each other: " + "; ".join(" ⇄ ".join(c) for c in found)


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_the_cycle_finder(graph, expected):
    assert cycles(graph) == expected


def test_the_graph_sees_function_level_and_relative_imports(tmp_path):
    graph = import_graph()
    assert "kaohe.qa.reviews" in graph["kaohe.imports"]
    # a function-level import (cli imports the store only when a command opens it)
    assert "kaohe.store" in graph["kaohe.cli"]
