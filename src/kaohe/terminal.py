"""Tables on a terminal, readable at 80 columns (and plain text when piped).

A table is laid out in the first of these that fits the terminal's width:

1. the table, headers wrapped (never below a few characters), text cells wrapped, numbers
   and names whole;
2. the same with short agent labels: a shop common to every row is dropped (and named in
   the title), several shops are cut to their shortest distinct form (`京东:小月`);
3. transposed: one column per row, one line per field (a few rows, many fields);
4. records: one block per row, its fields side by side as `label value` pairs.

Cells are already text here (kaohe.output formats them with kaohe.units).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rich.cells import cell_len
from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from kaohe.schema import PLATFORMS

HEADER_MIN = 8  # cells a wrapped header keeps per line (four Chinese characters)
WORD_MAX = 10  # an English header word up to this long is not broken
TEXT_MIN = 10  # a wrapped text column keeps at least this many cells (five Chinese)
SHOP_ABBREVIATION = 2  # characters a shop is cut to at least (京东, 天猫)
SEP = ":"  # agent ids are `shop:name`
# platform names a shop's short form never cuts in half (拼多多店 → 拼多多, not 拼多)
PLATFORM_WORDS = sorted((w for w in PLATFORMS if not w.isascii()), key=len, reverse=True)


@dataclass(frozen=True)
class Grid:
    """What a table shows: headers, rows of cell texts, and per column whether it holds
    numbers (right-aligned, never wrapped), names (never wrapped) or a key of the row (the
    headings of the transposed and record layouts)."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    names: list[bool]
    keys: list[bool]


def console() -> Console:
    """The stdout console; `TTY_COMPATIBLE=1` (rich) makes anything a terminal, `COLUMNS`
    sets the width."""
    return Console(highlight=False, soft_wrap=False)


def is_terminal() -> bool:
    return console().is_terminal


def width() -> int:
    return console().width


# ------------------------------------------------------------------ short names


def short_names(
    values: Sequence[str], abbreviate: bool = True
) -> tuple[dict[str, str], str | None]:
    """Short, still distinct labels for agent and shop names, and the shop dropped from
    every label (None when there are several shops). Names without a shop stay as they
    are; so do names of several shops unless `abbreviate`."""
    distinct = sorted({v for v in values if v})
    split = {v: v.split(SEP, 1) if SEP in v else [v] for v in distinct}
    agents = [parts for parts in split.values() if len(parts) == 2]
    if not agents:
        return {v: v for v in distinct}, None
    shops = {parts[0] for parts in split.values()}
    if len(shops) == 1 and len(agents) == len(distinct):
        shop = next(iter(shops))
        labels = {v: split[v][1] for v in distinct}
        if len(set(labels.values())) == len(labels):
            return labels, shop
    if not abbreviate:
        return {v: v for v in distinct}, None
    tails = _without_common_prefix(sorted(shops))
    cut = _abbreviations(tails)
    labels = {
        value: f"{cut[parts[0]]}{SEP}{parts[1]}" if len(parts) == 2 else tails[parts[0]]
        for value, parts in split.items()
    }
    if len(set(labels.values())) != len(labels):
        return {v: v for v in distinct}, None
    return labels, None


def _without_common_prefix(shops: list[str]) -> dict[str, str]:
    """Each shop without the start every shop shares (云朵…); never empty."""
    if len(shops) < 2:
        return {s: s for s in shops}
    prefix = os.path.commonprefix(shops)[: min(len(s) for s in shops) - 1]
    return {s: s[len(prefix) :] for s in shops}


def _abbreviations(tails: dict[str, str]) -> dict[str, str]:
    """Each shop's tail cut to its shortest start, of at least SHOP_ABBREVIATION
    characters and never inside a platform's name, that no other shop's tail begins with."""
    out = {}
    for shop, tail in tails.items():
        others = [t for s, t in tails.items() if s != shop]
        word = next((w for w in PLATFORM_WORDS if tail.startswith(w)), "")
        n = min(max(SHOP_ABBREVIATION, len(word)), len(tail))
        while n < len(tail) and any(o.startswith(tail[:n]) for o in others):
            n += 1
        out[shop] = tail[:n]
    return out


# ------------------------------------------------------------------ widths


def _header_min(text: str) -> int:
    longest_word = max((cell_len(w) for w in text.split()), default=0)
    return min(cell_len(text), max(HEADER_MIN, min(longest_word, WORD_MAX)))


def _columns_widths(grid: Grid, budget: int) -> list[int] | None:
    """Column widths that fit `budget` cells (borders included), or None: every column
    starts at its natural width; the widest wrappable one gives a cell at a time."""
    n = len(grid.headers)
    natural, least = [], []
    for c, head in enumerate(grid.headers):
        cells = max((cell_len(row[c]) for row in grid.rows), default=0)
        natural.append(max(cells, cell_len(head)))
        whole = grid.numeric[c] or grid.names[c]
        floor = cells if whole else min(cells, TEXT_MIN)
        least.append(max(floor, _header_min(head)))
    widths = list(natural)
    room = budget - (3 * n + 1)
    while sum(widths) > room:
        slack = [(widths[c] - least[c], c) for c in range(n) if widths[c] > least[c]]
        if not slack:
            return None
        widths[max(slack)[1]] -= 1
    return widths


# ------------------------------------------------------------------ layouts


def _table(grid: Grid, widths: list[int]) -> Group:
    """The title on its own line (a narrow table would wrap it), then the table; numbers
    and names fit their columns whole (the widths are at least theirs), text and headers
    wrap."""
    table = Table()
    for c, head in enumerate(grid.headers):
        table.add_column(
            Text(head, overflow="fold"),
            width=widths[c],
            justify="right" if grid.numeric[c] else "left",
            overflow="fold",
        )
    for row in grid.rows:
        table.add_row(*row)
    return Group(*([Text(grid.title, style="bold")] if grid.title else []), table)


def _shortened(grid: Grid, abbreviate: bool = True) -> Grid:
    """Names without the shop they all share (named in the title instead), and, when
    `abbreviate`, several shops cut short."""
    title = grid.title
    rows = [list(r) for r in grid.rows]
    for c, is_name in enumerate(grid.names):
        if not is_name:
            continue
        labels, shop = short_names([r[c] for r in rows], abbreviate)
        for r in rows:
            r[c] = labels.get(r[c], r[c])
        if shop:
            title = f"{title} · {shop}" if title else shop
    return replace(grid, title=title, rows=rows)


def _transposed(grid: Grid) -> Grid:
    """One column per row (headed by its keys), one line per field."""
    keys = [c for c, k in enumerate(grid.keys) if k]
    fields = [c for c, k in enumerate(grid.keys) if not k]
    headers = [" · ".join(grid.headers[c] for c in keys)]
    headers += [" ".join(r[c] for c in keys if r[c]) for r in grid.rows]
    rows = [[grid.headers[f], *(r[f] for r in grid.rows)] for f in fields]
    all_numeric = [all(grid.numeric[f] for f in fields)] * len(grid.rows)
    return Grid(
        grid.title,
        headers,
        rows,
        [False, *all_numeric],
        [True] + [False] * len(grid.rows),
        [True] + [False] * len(grid.rows),
    )


def _records(grid: Grid, budget: int) -> Group:
    """One block per row: its keys as a heading, then `header value` pairs, as many to a
    line as fit."""
    keys = [c for c, k in enumerate(grid.keys) if k]
    fields = [c for c, k in enumerate(grid.keys) if not k]
    label_w = max((cell_len(grid.headers[f]) for f in fields), default=0)
    value_w = max((cell_len(r[f]) for r in grid.rows for f in fields), default=0)
    per_line = max(1, (budget + 3) // (label_w + value_w + 4))
    parts: list[object] = [Text(grid.title, style="bold")] if grid.title else []
    for row in grid.rows:
        parts.append(Text("── " + " · ".join(row[c] for c in keys if row[c]), style="bold"))
        pairs = Table.grid(padding=(0, 1))
        for _ in range(per_line):
            pairs.add_column(style="dim", no_wrap=per_line > 1)
            pairs.add_column(justify="left")
        shown = [f for f in fields if row[f]]  # an empty field (no 后果) is no line of its own
        for start in range(0, len(shown), per_line):
            line: list[str] = []
            for f in shown[start : start + per_line]:
                line += [grid.headers[f], row[f]]
            pairs.add_row(*line, *[""] * (2 * per_line - len(line)))
        parts.append(pairs)
    return Group(*parts)  # type: ignore[arg-type]


def layout(grid: Grid, budget: int) -> Group:
    """The first layout that fits `budget` cells (see the module's docstring)."""
    for candidate in (_shortened(grid, abbreviate=False), _shortened(grid)):
        widths = _columns_widths(candidate, budget)
        if widths is not None:
            return _table(candidate, widths)
    flipped = _transposed(_shortened(grid))
    widths = _columns_widths(flipped, budget)
    if widths is not None:
        return _table(flipped, widths)
    return _records(_shortened(grid, abbreviate=False), budget)


def _subgrid(grid: Grid, columns: list[int], title: str) -> Grid:
    def pick(values: list) -> list:
        return [values[c] for c in columns]

    rows = [pick(r) for r in grid.rows]
    return Grid(
        title, pick(grid.headers), rows, pick(grid.numeric), pick(grid.names), pick(grid.keys)
    )


def column_groups(grid: Grid, budget: int) -> list[Grid]:
    """The grid as several tables that each fit `budget`: the key columns, then as many of
    the other columns as fit, in order (titles numbered); full names unless short ones
    need fewer tables. The grid itself (for `layout`) when it fits whole, or when the keys
    and one column do not fit."""
    options = [
        (len(groups), n, candidate, groups)
        for n, candidate in enumerate((_shortened(grid, abbreviate=False), _shortened(grid)))
        if (groups := _groups(candidate, budget))
    ]
    if not options:
        return [grid]
    count, _, chosen, groups = min(options, key=lambda o: (o[0], o[1]))
    if count == 1:
        return [grid]
    keys = [c for c, k in enumerate(chosen.keys) if k]
    return [
        _subgrid(chosen, keys + g, f"{chosen.title} ({i}/{count})") for i, g in enumerate(groups, 1)
    ]


def _groups(grid: Grid, budget: int) -> list[list[int]] | None:
    keys = [c for c, k in enumerate(grid.keys) if k]
    groups: list[list[int]] = []
    for c in (c for c, k in enumerate(grid.keys) if not k):
        if groups and _columns_widths(_subgrid(grid, keys + groups[-1] + [c], ""), budget):
            groups[-1].append(c)
        elif _columns_widths(_subgrid(grid, keys + [c], ""), budget):
            groups.append([c])
        else:
            return None
    return groups


def show(grid: Grid, split: bool = False) -> None:
    """Print the grid in the layout that fits; `split`: as several tables of the key
    columns and some of the others before a transposed or record layout."""
    out = console()
    for part in column_groups(grid, out.width) if split else [grid]:
        out.print(layout(part, out.width))


def show_text(text: str, indent: int = 0) -> None:
    """Prose wrapped to the width, continuation lines indented like the first."""
    console().print(Padding(Text(text, overflow="fold"), (0, 0, 0, indent), expand=False))
