"""kaohe.terminal: short distinct labels and the layout that fits the width."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.cells import cell_len
from rich.console import Console

from kaohe.terminal import Grid, layout, short_names

SHOPS = ["云朵京东自营", "云朵天猫旗舰店", "云朵拼多多店"]


def test_one_shop_is_dropped_and_named() -> None:
    labels, shop = short_names(["云朵京东自营:小月", "云朵京东自营:小美"])
    assert (
        labels == {"云朵京东自营:小月": "小月", "云朵京东自营:小美": "小美"}
        and shop == "云朵京东自营"
    )


def test_several_shops_are_cut_to_their_shortest_distinct_start() -> None:
    agents = [f"{s}:小月" for s in SHOPS] + ["云朵拼多多店"]
    labels, shop = short_names(agents)
    assert shop is None
    assert labels == {
        "云朵京东自营:小月": "京东:小月",
        "云朵天猫旗舰店:小月": "天猫:小月",
        "云朵拼多多店:小月": "拼多多:小月",  # never 拼多: a platform name stays whole
        "云朵拼多多店": "拼多多店",  # a shop itself: without the common 云朵
    }
    labels, _ = short_names(["店A:x", "店AB:y", "店B:x"])  # A is a start of AB: one more
    assert labels == {"店A:x": "A:x", "店AB:y": "AB:y", "店B:x": "B:x"}


def test_names_without_a_shop_stay_whole() -> None:
    assert short_names(["小美", "小月"]) == ({"小美": "小美", "小月": "小月"}, None)


def render(grid: Grid, width: int) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(layout(grid, width))
    return buffer.getvalue()


def grid(rows: int, fields: int) -> Grid:
    agents = [f"{SHOPS[i % 3]}:员工{i}" for i in range(rows)]
    return Grid(
        "标题",
        ["客服"] + [f"平均接待时长{j} (分钟)" for j in range(fields)],
        [[a] + [f"{10 * j + i}.5" for j in range(fields)] for i, a in enumerate(agents)],
        [False] + [True] * fields,
        [True] + [False] * fields,
        [True] + [False] * fields,
    )


def test_layouts_by_width() -> None:
    wide = render(grid(4, 3), 200)  # fits: one table, full names, whole headers
    assert "云朵京东自营:员工0" in wide and "平均接待时长0 (分钟)" in wide
    narrow = render(grid(4, 3), 60)  # short names, wrapped headers
    assert "京东:员工0" in narrow and "┃" in narrow and "…" not in narrow
    assert "平均接待" in narrow
    one = render(grid(1, 12), 80)  # one row, many fields: transposed, its shop in the title
    assert one.startswith("标题 · 云朵京东自营") and "┃ 员工0 ┃" in one
    assert one.count("平均接待时长") == 12
    many = render(grid(6, 12), 80)  # neither fits: one record per row
    assert "── 京东:员工0" in many or "── 云朵京东自营:员工0" in many
    for text in (wide, narrow, one, many):
        assert max(cell_len(line) for line in text.splitlines()) <= (200 if text is wide else 80)


def test_a_record_leaves_out_its_empty_fields() -> None:
    base = grid(6, 12)
    rows = [[*r[:-1], ""] if i == 0 else r for i, r in enumerate(base.rows)]  # 员工0: no last
    text = render(replace(base, rows=rows), 80)
    first, second = text.split("── ")[1:3]
    assert "平均接待时长11" not in first and "平均接待时长11" in second
