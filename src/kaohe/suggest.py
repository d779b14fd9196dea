""" "Did you mean": the one way an unknown name (parameter, metric, agent, column, preset …)
is reported. Every "unknown X" error builds its message here, so they all read alike:

    未知的参数 'windw'，是否指 'window'？ / unknown parameter 'windw'; did you mean 'window'?
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

MAX_LISTED = 12  # candidates listed when nothing is close


def closest(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The candidates closest to `word` (difflib), best first; case is ignored."""
    pool = sorted({str(c) for c in candidates})
    by_folded: dict[str, str] = {}
    for c in pool:
        by_folded.setdefault(c.casefold(), c)
    found = difflib.get_close_matches(word.casefold(), list(by_folded), n=n, cutoff=cutoff)
    return [by_folded[f] for f in found]


def did_you_mean(word: str, candidates: Iterable[str]) -> tuple[str, str]:
    """The (Chinese, English) tail naming the closest candidate, or ("", "")."""
    found = closest(word, candidates, n=1)
    if not found:
        return "", ""
    return f"，是否指 {found[0]!r}？", f"; did you mean {found[0]!r}?"


def listing(candidates: Iterable[str], limit: int = MAX_LISTED) -> str:
    """`a, b, c` (and how many more) for an error message."""
    pool = sorted({str(c) for c in candidates})
    shown = ", ".join(pool[:limit])
    return shown + (f" … (+{len(pool) - limit})" if len(pool) > limit else "")


def unknown(what_zh: str, what_en: str, word: str, candidates: Iterable[str]) -> str:
    """One bilingual line for an unknown name: the closest candidate when one is close, else
    the known ones (at most MAX_LISTED)."""
    pool = list(candidates)
    zh, en = did_you_mean(word, pool)
    if not zh and pool:
        known = listing(pool)
        zh, en = f"（可用: {known}）", f" (known: {known})"
    return f"未知的{what_zh} {word!r}{zh} / unknown {what_en} {word!r}{en}"
