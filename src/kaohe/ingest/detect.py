"""Which preset reads a file, decided so that it can explain itself (issue 14).

Every preset is scored against the file's headers: how many headers it reads, and which of
the columns it needs are missing. The preset reading the most headers decides the table; a
file is never given to another table because one column is missing (a chat file with the
typo 发送实间 is refused, naming 发送时间 and the closest layout, instead of being read as a
roster). A refusal names the closest preset, each missing column with the headers it may be
written as and a look-alike among the file's headers, and the columns nobody would read.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kaohe import schema
from kaohe.errors import UsageError
from kaohe.ingest.headers import find_header, is_known_header, known_header_keys
from kaohe.ingest.presets import Preset, builtin_presets, list_presets, load_preset

ROW = "_row"
SKIP_REQUIRED = {("messages", "text")}  # a message may be an image: no text column needed
MIN_USED = 2  # one shared header (客服, 时间) is no layout: below this the file is "unknown"


@dataclass(frozen=True)
class Requirement:
    """A column a preset needs: found under any of `aliases` (or supplied another way)."""

    column: str  # canonical column, "subject" for a report's key, "" for a signature group
    label: str  # how to name it to a user (the preset's own, Chinese, header)
    aliases: tuple[str, ...]


@dataclass
class Candidate:
    preset: Preset
    used: list[str] = field(default_factory=list)  # headers the preset reads
    missing: list[Requirement] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    def rank(self) -> tuple[int, bool, int]:
        return (len(self.used), self.complete, self.preset.priority)


class DetectionError(UsageError):
    """No preset can read the file; says which came closest and what it lacks."""

    def __init__(self, message: str, closest: Candidate | None, headers: list[str]) -> None:
        super().__init__(message)
        self.closest = closest
        self.headers = headers

    @property
    def ignored(self) -> list[str]:
        used = set(self.closest.used) if self.closest else set()
        return [h for h in self.headers if h not in used]


def _label(aliases: list[str] | tuple[str, ...]) -> str:
    return next((a for a in aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)), aliases[0])


def requirements(preset: Preset, given: frozenset[str] = frozenset()) -> list[Requirement]:
    """What `preset` needs from a file's headers; `given` are the columns the import supplies
    itself (shop, platform)."""
    out: list[Requirement] = []
    if preset.kind == "report":
        if not preset.subject_is_shop:  # a shop-level report may take the shop as given
            out.append(Requirement("subject", _label(preset.key), tuple(preset.key)))
    elif preset.kind == "table":
        out += _table_requirements(preset, given)
    supplied = {a for c in given | set(preset.defaults) for a in preset.columns.get(c, [c])}
    for group in preset.signature:
        aliases = (group,) if isinstance(group, str) else tuple(group)
        if supplied & set(aliases):
            continue  # the import or the preset supplies this column
        if not any(set(aliases) <= set(r.aliases) or set(r.aliases) <= set(aliases) for r in out):
            out.append(Requirement("", _label(aliases), aliases))
    return out


def _table_requirements(preset: Preset, given: frozenset[str]) -> list[Requirement]:
    table = schema.TABLES[preset.table]
    opts = preset.options
    parties = opts.sender_account + opts.receiver_account
    derived: dict[str, list[str]] = {
        "agent": opts.account_column + parties,
        "buyer": opts.account_column + parties,
        "sender": opts.sender_account
        + [h for r in preset.rules if "sender" in r.set for h in r.header],
        "shop": (opts.account_column + parties + preset.columns.get("agent", []))
        if opts.shop_from_agent
        else [],
    }
    out = []
    for col in table.columns:
        if not col.required or (table.name, col.name) in SKIP_REQUIRED:
            continue
        if col.name in given or col.name in preset.defaults:
            continue
        aliases = tuple(dict.fromkeys(preset.columns.get(col.name, []) + derived.get(col.name, [])))
        label = _label(preset.columns.get(col.name) or list(aliases) or [col.name])
        out.append(Requirement(col.name, label, aliases))
    return out


def used_headers(preset: Preset, headers: list[str]) -> list[str]:
    """The headers `preset` would read, as mapping reads them (one header per column)."""
    used: list[str] = []
    if preset.kind == "report":
        groups = [preset.key, preset.period, *preset.metrics.values()]
    else:
        opts = preset.options
        groups = [*preset.columns.values(), *(r.header for r in preset.rules)]
        groups += [opts.account_column, opts.sender_account, opts.receiver_account]
    for aliases in groups:
        found = find_header(headers, aliases, frozenset(used))
        if found is not None:
            used.append(found)
    return used


def evaluate(preset: Preset, headers: list[str], given: frozenset[str]) -> Candidate:
    used = used_headers(preset, headers)
    missing = [
        r for r in requirements(preset, given) if find_header(headers, list(r.aliases)) is None
    ]
    return Candidate(preset, used, missing)


def choose(
    headers: list[str],
    table: str | None = None,
    preset: str | None = None,
    given: frozenset[str] = frozenset(),
    mappings: Path | None = None,
    file: str = "",
) -> Candidate:
    """The preset for a file: the one named, else the best complete one of the table that
    the best-reading preset belongs to. Raises DetectionError saying why none fits."""
    headers = [h for h in headers if h != ROW]
    if preset:
        chosen = evaluate(load_preset(preset, table, mappings), headers, given)
        if table is not None and chosen.preset.table != table:
            raise UsageError(
                f"预设 {chosen.preset.id} 用于 {chosen.preset.table} 表，不是 {table} / "
                f"preset {chosen.preset.id!r} is for table {chosen.preset.table}, not {table}"
            )
        if chosen.missing:
            raise DetectionError(_missing_message(chosen, headers, file), chosen, headers)
        return chosen
    pool = [
        evaluate(p, headers, given)
        for p in list_presets(mappings)
        if p.kind != "text" and (table is None or p.table == table)
    ]
    top = max(pool, key=Candidate.rank)
    if top.complete:
        return top
    same_table = [c for c in pool if c.complete and c.preset.table == top.preset.table]
    if same_table and len(top.used) >= MIN_USED:
        return max(same_table, key=Candidate.rank)
    if len(top.used) < MIN_USED:
        closest = top if top.used else None
        raise DetectionError(_unknown_message(headers, table, file), closest, headers)
    raise DetectionError(_missing_message(top, headers, file), top, headers)


def detect_preset(
    headers: list[str], table: str | None = None, mappings: Path | None = None
) -> Preset:
    """The preset that reads these headers (see `choose`)."""
    return choose(headers, table, mappings=mappings).preset


# ---------------------------------------------------------------- messages


def _where(file: str) -> str:
    return f"{file}: " if file else ""


def _unknown_message(headers: list[str], table: str | None, file: str) -> str:
    cols = "、".join(headers) or "—"
    where = f"（{table} 表）" if table else ""
    where_en = f" for table {table}" if table else ""
    return (
        f"{_where(file)}无法识别的文件格式{where}：没有一个已知的列（文件的列：{cols}） / "
        f"unknown layout{where_en}: no column is known (the file's columns: "
        f"{', '.join(headers) or '—'})"
    )


def _look_alike(req: Requirement, headers: list[str], used: list[str]) -> str | None:
    spare = [h for h in headers if h not in used]
    for alias in (req.label, *req.aliases):
        close = difflib.get_close_matches(alias, spare, n=1, cutoff=0.6)
        if close:
            return close[0]
    return None


def _missing_message(cand: Candidate, headers: list[str], file: str) -> str:
    p = cand.preset
    zh, en = [], []
    for req in cand.missing:
        names = "、".join(req.aliases) if req.aliases else "—"
        if not req.column:  # a signature group: headers that mark the layout
            zh.append(f"没有 {p.name_zh} 的特征列（应有其中之一：{names}）")
            en.append(f"none of the headers that mark {p.name_en} ({', '.join(req.aliases)})")
            continue
        alike = _look_alike(req, headers, cand.used)
        zh.append(
            f"缺少 {req.label} 列（可写作：{names}"
            + (f"；文件中的「{alike}」是否就是它？" if alike else "")
            + "）"
        )
        en.append(
            f"missing column {req.label} ({req.column}), written as one of "
            f"{', '.join(req.aliases) or '—'}" + (f" (did you mean {alike}?)" if alike else "")
        )
    ignored = [h for h in headers if h not in cand.used]
    ignored_zh = f"；不会读取的列：{'、'.join(ignored)}" if ignored else ""
    ignored_en = f"; columns not read: {', '.join(ignored)}" if ignored else ""
    return (
        f"{_where(file)}{'；'.join(zh)}（最接近的格式：{p.name_zh}）{ignored_zh} / "
        f"{'; '.join(en)} (closest layout: {p.name_en}, preset {p.id}){ignored_en}"
    )


# ---------------------------------------------------------------- header rows


@functools.cache
def _builtin_keys() -> frozenset[str]:
    return frozenset(known_header_keys([h for p in builtin_presets() for h in p.known_headers()]))


def header_matcher(mappings: Path | None = None) -> Callable[[str], bool]:
    """`is_known(header)` for finding the header row under title rows: does any preset
    (a user's saved mappings included) read a header like this one?"""
    from kaohe.ingest.presets import user_presets

    keys = set(_builtin_keys())
    keys |= known_header_keys([h for p in user_presets(mappings) for h in p.known_headers()])
    frozen = frozenset(keys)
    return lambda header: is_known_header(header, frozen)
