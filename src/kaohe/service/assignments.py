"""Editing the scheme and pay-plan assignments (kaohe.assignments) from the admin page and
the API: what the file holds and whom each rule gives what, and replacing the rules — checked
by the one loader (schemes, plans, closed lists) and against the store's agents, shops and
teams, written atomically. The caller runs `replace` on the server's one writer, so that two
edits never interleave, and audits it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from kaohe.assignments import (
    KEYS,
    KIND_LABELS,
    Assignment,
    Assignments,
    Populations,
    check_names,
    load_assignments,
    members,
    parse_assignments,
    populations,
    save_assignments,
    store_shops,
    unused_note,
)
from kaohe.errors import ConfigError, KaoheError

STALE = (
    "方案分配已被他人修改，请刷新后重试 / the assignments changed since you opened them: "
    "reload and try again"
)


def version_of(path: Path) -> str:
    """A short fingerprint of the file as it is now ('' when there is none): an edit made
    from an older view is refused instead of overwriting someone else's."""
    if not path.is_file():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def rules_of(assignments: Assignments) -> list[dict[str, Any]]:
    """The rules as plain mappings (every `when` key present, a list each)."""
    return [
        {
            "name": rule.name,
            "when": {key: list(getattr(rule.when, key)) for key in KEYS},
            "scheme": rule.scheme,
            "plan": rule.plan,
        }
        for rule in assignments.assignments
    ]


def _population(found: Populations, rules: int) -> dict[str, Any]:
    per_rule = [0] * rules
    for choice in found.why.values():
        per_rule[choice.index] += 1
    return {
        "groups": found.groups,
        "per_rule": per_rule,
        "unassigned": found.unassigned,
        "unused": found.unused,
        "note": unused_note(found),
    }


def overview(st: Any, path: Path) -> dict[str, Any]:
    """The file, its version, the rules, and for schemes and plans: the agents each one gets
    (`groups`), how many each rule gives it to (`per_rule`), those no rule covers, the rules
    covering nobody. A file that does not load, or
    rules that disagree about an agent, are the `problem` (one line), never hidden."""
    out: dict[str, Any] = {"file": str(path), "version": version_of(path), "rules": []}
    out.update({"scheme": None, "plan": None, "problem": None})
    try:
        found = load_assignments(path)
        out["rules"] = rules_of(found)
        people = members(st)
        for kind in ("scheme", "plan"):
            out[kind] = _population(populations(found, people, kind), len(found.assignments))
    except KaoheError as exc:
        out["problem"] = str(exc)
    return out


def replace(st: Any, path: Path, rules: list[dict[str, Any]], version: str | None) -> str:
    """Validate `rules` (the loader's checks, then the store's names) and write them in place
    of the file's; `version` (when given) must be the file's current one. Returns what
    changed, one line for the audit log."""
    if version is not None and version != version_of(path):
        raise ConfigError(STALE, file=str(path))
    try:  # what was there, for the audit line; an unreadable file is what this edit mends
        before = load_assignments(path)
    except KaoheError:
        before = Assignments()
    cleaned = [
        {k: v for k, v in rule.items() if v not in (None, "", [], {})} | {"when": _when(rule)}
        for rule in rules
    ]
    import yaml

    text = yaml.safe_dump({"assignments": cleaned}, allow_unicode=True, sort_keys=False)
    parsed = parse_assignments(text, str(path))
    check_names(parsed, members(st), store_shops(st))
    save_assignments(path, parsed)
    return changes(before, parsed)


def _line(rule: Assignment) -> str:
    given = [f"{KIND_LABELS[k][0]} {ref}" for k in ("scheme", "plan") if (ref := rule.ref(k))]
    named = f"{rule.name}: " if rule.name else ""
    return f"{named}{rule.when.text()} → {'，'.join(given)}"


def changes(before: Assignments, after: Assignments) -> str:
    """`+ rule; - rule` for the rules added and removed (an edited rule is both)."""
    old = [_line(r) for r in before.assignments]
    new = [_line(r) for r in after.assignments]
    parts = [f"+ {line}" for line in new if line not in old]
    parts += [f"- {line}" for line in old if line not in new]
    return "; ".join(parts) or "无变化 / no change"


def _when(rule: dict[str, Any]) -> dict[str, Any]:
    when = rule.get("when") or {}
    if not isinstance(when, dict):
        return when  # the loader names the field
    return {k: v for k, v in when.items() if v not in (None, "", [])}
