"""Naming an agent: `--agent`, `--explain`, `--payslip` and the web's lookups all resolve a
name the same way.

Agent accounts are often platform sub-accounts (`店铺:小美`). A name matches, in this order:
the account exactly; else the one account whose part after the shop (`…:小美`) or whose
roster name (`陈静`) is the name. Several matches are an error listing them; none is an error
with the closest accounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from kaohe.errors import NotFoundError, UsageError
from kaohe.suggest import closest, listing

if TYPE_CHECKING:
    from kaohe.store import Store

# every table with an `agent` column: an agent is known when any of them names it
AGENT_TABLES = (
    "agents",
    "messages",
    "ratings",
    "agent_status",
    "refunds",
    "service_orders",
    "tickets",
    "calls",
    "qa_reviews",
)
SEPARATORS = (":", "：")


def short_name(account: str) -> str:
    """The sub-account after the shop (`店铺:小美` → `小美`), or the account itself."""
    for sep in SEPARATORS:
        if sep in account:
            return account.rsplit(sep, 1)[1]
    return account


def match_agent(
    name: str,
    accounts: Iterable[str],
    roster_names: Mapping[str, str | None] | None = None,
    among: str = "",
) -> str:
    """The account `name` stands for among `accounts` (see the module docstring). `among`
    says where they come from in the error (e.g. "方案 general 的评分结果 / scheme general")."""
    pool = sorted({str(a) for a in accounts if a is not None})
    if name in pool:
        return name
    names = roster_names or {}
    found = [a for a in pool if short_name(a) == name or names.get(a) == name]
    if len(found) == 1:
        return found[0]
    where_zh, _, where_en = among.partition(" / ")
    if found:
        raise UsageError(
            f"客服 {name!r} 不唯一，可能是: {listing(found)} / agent {name!r} is ambiguous: "
            f"{listing(found)}; give the full account"
        )
    near = _near(name, pool, names)
    hint_zh = f"，相近的有: {', '.join(near)}" if near else ""
    hint_en = f"; closest: {', '.join(near)}" if near else ""
    in_zh = f"（{where_zh}）" if where_zh else ""
    in_en = f" ({where_en or where_zh})" if among else ""
    raise NotFoundError(
        f"未找到客服 {name!r}{in_zh}{hint_zh} / unknown agent {name!r}{in_en}{hint_en}"
    )


def _near(name: str, pool: list[str], names: Mapping[str, str | None]) -> list[str]:
    """Up to three accounts whose account, sub-account or roster name is close to `name`
    (a Chinese name is two or three characters: one wrong character is close)."""
    spellings: dict[str, set[str]] = {}
    for account in pool:
        for text in (account, short_name(account), names.get(account)):
            if text:
                spellings.setdefault(text, set()).add(account)
    found = closest(name, spellings, n=3, cutoff=0.5)
    return sorted({a for text in found for a in spellings[text]})[:3]


def known_agents(store: Store) -> dict[str, str | None]:
    """Every agent account any table names → its roster name (None when not on the roster)."""
    union = " UNION ".join(
        f'SELECT DISTINCT agent FROM "{t}" WHERE agent IS NOT NULL' for t in AGENT_TABLES
    )
    rows = store.con.execute(
        f"SELECT u.agent, a.name FROM ({union}) u LEFT JOIN agents a ON a.agent = u.agent"
    ).fetchall()
    return {str(agent): name for agent, name in rows}


def resolve_agent(store: Store, name: str) -> str:
    """The account `name` stands for among the agents of a store."""
    known = known_agents(store)
    return match_agent(name, known, known, "数据库中的客服 / the store's agents")
