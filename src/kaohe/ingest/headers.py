"""Understanding a header: its name, the unit or alias it carries in brackets, and which of a
preset's aliases it answers to.

`客服销售额(元)` is 客服销售额 in 元; `平均响应时长（秒）` is 平均响应时长 in seconds;
`聊天人数(原咨询人数)` is 聊天人数, formerly 咨询人数; `三分钟回复率（人维度）` keeps its
qualifier (人维度 and 会话 are different figures). Matching tries, in turn: the exact header
(ignoring whitespace, case and the width of brackets), the header without its unit, and the
former name in brackets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from kaohe import saferegex

_WIDTH = str.maketrans(
    {
        "（": "(",
        "）": ")",
        "【": "(",
        "】": ")",
        "[": "(",
        "]": ")",
        "\u3000": " ",
        "：": ":",
        "\ufeff": "",
        "％": "%",
    }
)
_SPACE = saferegex.compile(r"\s+", "header whitespace")
_GROUP = saferegex.compile(r"\(([^()]{0,40})\)\s*$", "header bracket")

# unit words a header may carry in brackets, and the unit they name
UNIT_WORDS: dict[str, str] = {
    "元": "元",
    "rmb": "元",
    "¥": "元",
    "万元": "万元",
    "万": "万元",
    "秒": "秒",
    "s": "秒",
    "sec": "秒",
    "毫秒": "毫秒",
    "ms": "毫秒",
    "分钟": "分钟",
    "分": "分钟",
    "min": "分钟",
    "小时": "小时",
    "时": "小时",
    "h": "小时",
    "天": "天",
    "日": "天",
    "%": "%",
    "百分比": "%",
    "人": "人",
    "次": "次",
    "个": "个",
    "单": "单",
    "件": "件",
    "笔": "笔",
    "条": "条",
}
FORMER = "原"  # 聊天人数(原咨询人数): the column's former name


@lru_cache(maxsize=8192)
def norm(text: str) -> str:
    """A header or label for matching: bracket width, whitespace and case ignored."""
    return _SPACE.sub("", text.translate(_WIDTH)).lower()


@dataclass(frozen=True)
class HeaderParts:
    """A header split into its name (with qualifiers such as （人维度）), its unit, and any
    former names it gives in brackets."""

    raw: str
    key: str  # normalised, unit and former-name brackets removed, qualifiers kept
    unit: str | None = None
    former: tuple[str, ...] = field(default_factory=tuple)


@lru_cache(maxsize=4096)
def split_header(header: str) -> HeaderParts:
    text = norm(header)
    unit: str | None = None
    former: list[str] = []
    qualifiers: list[str] = []
    while True:
        found = _GROUP.search(text)
        if found is None or found.start() == 0:
            break
        inner = found.group(1)
        if inner in UNIT_WORDS and unit is None:
            unit = UNIT_WORDS[inner]
        elif inner.startswith(FORMER) and len(inner) > 1:
            former.append(inner[len(FORMER) :])
        else:
            qualifiers.append(f"({inner})")
        text = text[: found.start()]
    key = text + "".join(reversed(qualifiers))
    return HeaderParts(header, key, unit, tuple(former))


def header_unit(header: str) -> str | None:
    """The unit a header states in brackets (元, 秒, 分钟, 小时, %, …), if any."""
    return split_header(header).unit


def header_key(header: str) -> str:
    return split_header(header).key


def find_header(
    headers: list[str], aliases: list[str], taken: set[str] | frozenset[str] = frozenset()
) -> str | None:
    """The first header (not in `taken`) answering to one of `aliases`: an exact match of any
    alias first (in alias order), then one without the unit, then a former name."""
    free = [h for h in headers if h not in taken]
    if not free or not aliases:
        return None
    exact: dict[str, str] = {}
    for h in free:
        exact.setdefault(norm(h), h)
    for alias in aliases:
        if norm(alias) in exact:
            return exact[norm(alias)]
    by_key: dict[str, str] = {}
    by_former: dict[str, str] = {}
    for h in free:
        parts = split_header(h)
        by_key.setdefault(parts.key, h)
        for name in parts.former:
            by_former.setdefault(name, h)
    for table in (by_key, by_former):
        for alias in aliases:
            key = header_key(alias)
            if key in table:
                return table[key]
    return None


def known_header_keys(aliases: list[str]) -> set[str]:
    """What `is_known` compares a header against: exact forms and unit-free keys."""
    return {norm(a) for a in aliases} | {header_key(a) for a in aliases}


def is_known_header(header: str, keys: set[str] | frozenset[str]) -> bool:
    parts = split_header(header)
    return norm(header) in keys or parts.key in keys or any(f in keys for f in parts.former)
