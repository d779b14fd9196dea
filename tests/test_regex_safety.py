"""Regular expressions on user data run with a time limit (issue 16): a pattern that comes
from users or their files is compiled only by kaohe.saferegex. Python's `re` stays for our own
constant patterns (each module that imports it is listed below with why); polars and DuckDB
run linear-time engines (Rust regex, RE2) and need no limit."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
MATCHING = {
    "compile",
    "search",
    "match",
    "fullmatch",
    "sub",
    "subn",
    "findall",
    "finditer",
    "split",
}

# modules that import `re`, and why that is safe
PLAIN_RE: dict[str, str] = {
    "kaohe.alerts.channels": "constant markdown-link pattern on the alert text we wrote",
    "kaohe.alerts.setup": "anchored constant prefix test (^https?://) on a configured URL",
    "kaohe.config": "a line number out of tomllib's own error message",
    "kaohe.datafile": "quoted names out of pydantic's own error message",
    "kaohe.engine.attribution": "an anchored duration pattern without nested repeats",
    "kaohe.engine.fulfilment": "re.escape only: the pattern runs in Ibis/DuckDB (RE2)",
    "kaohe.engine.params": "an anchored HH:MM-HH:MM pattern with bounded repeats",
    "kaohe.engine.periods": "anchored period patterns with bounded repeats",
    "kaohe.ingest.guard": "bounded repeats on xlsx XML bytes (the regex package times str)",
    "kaohe.pay.formula": "the formula tokenizer: alternatives without nested repeats",
    "kaohe.pay.wording": "an anchored bracketed-suffix pattern on our own labels",
    "kaohe.qa.behaviour": "re.escape only: the pattern runs in polars (Rust regex, linear)",
    "kaohe.qa.detectors": "re.escape only: the pattern runs in polars (Rust regex, linear)",
    "kaohe.qa.process": "re.escape only: the pattern runs in polars (Rust regex, linear)",
    "kaohe.schema": "one character class splitting a shop list",
    "kaohe.spreadsheet": "one character class finding characters a sheet name may not hold",
    "kaohe.store": "a process id out of DuckDB's own lock error message",
    "kaohe.web.pages.imports": "character classes cleaning an uploaded file's name",
    "kaohe.web.pages.ranking": "one character class splitting a list of names",
}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted((SRC / "kaohe").rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        yield name, ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module, wanted: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == wanted for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == wanted:
            return True
    return False


def _constant(node: ast.expr) -> bool:
    """A pattern we wrote: literals, joined by + or f-strings, with re.escape of any value."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | bytes)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _constant(node.left) and _constant(node.right)
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(v, ast.Constant) or _constant(v.value)  # type: ignore[attr-defined]
            for v in node.values
        )
    return _is_re_call(node, {"escape"})


def _is_re_call(node: ast.expr, names: set[str]) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "re"
        and node.func.attr in names
    )


def test_only_saferegex_uses_the_regex_engine() -> None:
    users = [name for name, tree in _modules() if _imports(tree, "regex")]
    assert users == ["kaohe.saferegex"]


def test_plain_re_runs_only_our_own_patterns() -> None:
    """Every `re` call's pattern is a constant we wrote; a pattern from user data would be a
    variable here, and belongs in kaohe.saferegex.compile."""
    found = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if _is_re_call(node, MATCHING) and not _constant(node.args[0]):  # type: ignore[attr-defined]
                found.append(f"{name}:{node.lineno}: re.{node.func.attr}(<not a constant>)")  # type: ignore[attr-defined]
    assert not found, "\n".join(found)


def test_every_module_importing_re_says_why() -> None:
    importing = {name for name, tree in _modules() if _imports(tree, "re")}
    assert importing == set(PLAIN_RE), (
        f"not listed: {sorted(importing - set(PLAIN_RE))}; "
        f"listed but no longer importing re: {sorted(set(PLAIN_RE) - importing)}"
    )
