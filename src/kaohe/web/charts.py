"""ECharts option builders: plain dicts the templates serialise into `data-option`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _axis_chart(
    kind: str, x: Sequence[Any], series: dict[str, list[Any]], title: str
) -> dict[str, Any]:
    return {
        "animation": False,
        "title": {"text": title, "left": "left", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"data": list(series), "top": 24},
        "grid": {"left": 56, "right": 56, "top": 64, "bottom": 32},
        "xAxis": {"type": "category", "data": [str(v) for v in x]},
        "yAxis": [{"type": "value"}, {"type": "value", "splitLine": {"show": False}}]
        if len(series) > 1
        else {"type": "value"},
        "series": [
            _series(kind, name, values, i if len(series) > 1 else None)
            for i, (name, values) in enumerate(series.items())
        ],
    }


def _series(kind: str, name: str, values: list[Any], index: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": kind, "data": values}
    if kind == "line":
        out["showSymbol"] = False
    if index is not None:
        # the first series on the left axis, the others on the right: counts and rates differ
        out["yAxisIndex"] = 0 if index == 0 else 1
    return out


def line(x: Sequence[Any], series: dict[str, list[Any]], title: str) -> dict[str, Any]:
    """A line chart over a category x axis (days); two or more series get a second axis."""
    return _axis_chart("line", x, series, title)


def bar(x: Sequence[Any], series: dict[str, list[Any]], title: str) -> dict[str, Any]:
    return _axis_chart("bar", x, series, title)
