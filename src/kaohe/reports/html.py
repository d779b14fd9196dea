"""The HTML report: one self-contained page (inline CSS and SVG bars, no CDN), Chinese
labels, rendered from templates/report.html.j2 with Jinja2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from kaohe.reports import fmt_value, readable


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kaohe.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    env.filters["v"] = lambda value, column="", with_unit=True: fmt_value(column, value, with_unit)
    return env


def bars(values: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Bar heights in percent of the largest value, for the inline SVG charts."""
    top = max((v for _, v in values), default=0) or 1
    return [{"label": k, "value": v, "pct": round(100 * v / top, 1)} for k, v in values]


def write_html(data: dict[str, Any], path: str | Path) -> Path:
    out = Path(path)
    data = readable(data)
    hourly = bars([(f"{r['hour']:02d}", int(r["buyer_messages"])) for r in data["hourly"]])
    daily = bars([(str(r["day"])[5:], int(r["total"])) for r in data["daily"]])
    compliance = None
    if data.get("compliance") is not None:
        from kaohe.compliance.report import html_section

        compliance = Markup(html_section(data["compliance"]))  # escaped by html_section
    page = (
        environment()
        .get_template("report.html.j2")
        .render(d=data, hourly=hourly, daily=daily, compliance=compliance)
    )
    out.write_text(page, encoding="utf-8")
    return out
