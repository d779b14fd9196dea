"""Editing the roster (the `agents` table) by hand, from the admin page: team, role, level,
shop, hire date and base salary of one agent. Values pass the same vocabularies as an import
of the roster (kaohe.schema ROLES, LEVELS: Chinese or English labels); the change marks the
facts stale like any roster import (kaohe.engine.facts watches `agents`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kaohe.errors import UsageError

EDITABLE = ("team", "role", "level", "shops", "hired_on", "base_salary")


def roster(st: Any) -> list[dict[str, Any]]:
    cols = ("agent", "name", *EDITABLE, "active")
    rows = st.con.execute(f"SELECT {', '.join(cols)} FROM agents ORDER BY team, agent").fetchall()
    return [dict(zip(cols, r, strict=True)) for r in rows]


def _label(value: str, labels: dict[str, str], what: tuple[str, str]) -> str:
    from kaohe.suggest import unknown

    if value in labels:
        return labels[value]
    raise UsageError(unknown(what[0], what[1], value, sorted(labels)))


def clean(fields: dict[str, str]) -> dict[str, Any]:
    """The edited fields as stored: '' clears a field; errors name the field in zh/en."""
    from kaohe.schema import LEVELS, ROLES

    out: dict[str, Any] = {}
    for name, raw in fields.items():
        if name not in EDITABLE:
            raise UsageError(f"不可编辑的字段 / not an editable field: {name!r}")
        text = raw.strip()
        if not text:
            out[name] = None
        elif name == "role":
            out[name] = _label(text, ROLES, ("岗位", "role"))
        elif name == "level":
            out[name] = _label(text, LEVELS, ("级别", "level"))
        elif name == "hired_on":
            try:
                out[name] = date.fromisoformat(text)
            except ValueError:
                raise UsageError(
                    f"入职日期应为 2026-10-05 / hire date as 2026-10-05: {text!r}"
                ) from None
        elif name == "base_salary":
            try:
                out[name] = float(text)
            except ValueError:
                out[name] = -1.0
            if not 0 <= out[name] < 10_000_000:
                raise UsageError(f"底薪应为 0 或正数（元）/ base salary in yuan, ≥ 0: {text!r}")
        else:
            out[name] = text[:200]
    return out


def update_agent(st: Any, agent: str, fields: dict[str, str]) -> dict[str, Any]:
    """Change one agent's editable fields; returns what changed {field: (before, after)}."""
    from kaohe.agents import resolve_agent

    agent = resolve_agent(st, agent)  # unknown: NotFoundError with a "did you mean"
    values = clean(fields)
    before = next(r for r in roster(st) if r["agent"] == agent)
    changed = {k: (before[k], v) for k, v in values.items() if before[k] != v}
    if changed:
        sets = ", ".join(f"{k} = ?" for k in changed)
        st.con.execute(
            f"UPDATE agents SET {sets} WHERE agent = ?", [*(v for _, v in changed.values()), agent]
        )
    return changed
