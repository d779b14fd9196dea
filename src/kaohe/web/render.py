"""Rendering pages: one Jinja2 environment, and the context every template gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

from kaohe.units import format_value
from kaohe.web.auth import User, csrf_token
from kaohe.web.i18n import DEFAULT_LANG, LANGS, translator
from kaohe.web.months import link as month_link

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
LANG_COOKIE = "lang"
LANG_COOKIE_AGE = 365 * 24 * 3600

# (href, label key, roles allowed); {agent} is the user's own roster id
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("/", "nav.overview", ("admin", "supervisor", "lead", "agent")),
    ("/ranking", "nav.ranking", ("admin", "supervisor", "lead", "agent")),
    ("/agents/{agent}", "nav.me", ("agent",)),
    ("/credit", "nav.credit", ("admin", "supervisor", "lead")),
    ("/imports", "nav.imports", ("admin", "supervisor")),
    ("/schemes", "nav.schemes", ("admin", "supervisor")),
    ("/reviews", "nav.reviews", ("admin", "supervisor", "lead")),
    ("/alerts", "nav.alerts", ("admin", "supervisor", "lead")),
    ("/findings", "nav.findings", ("admin", "supervisor", "lead")),
    ("/compliance", "nav.compliance", ("admin", "supervisor")),
    ("/appeals", "nav.appeals", ("admin", "supervisor", "lead", "agent")),
    ("/users", "nav.users", ("admin",)),
    ("/admin", "nav.admin", ("admin",)),
    ("/account", "nav.account", ("admin", "supervisor", "lead", "agent")),
]


def echarts_file() -> str:
    """The vendored, versioned ECharts bundle (static/echarts-<version>.min.js)."""
    found = sorted(STATIC_DIR.glob("echarts-*.min.js"))
    return found[-1].name if found else "echarts.min.js"


def fmt_number(value: Any, digits: int = 2) -> str:
    """A number for a table cell: thousands separators, no trailing zeros; '—' for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def fmt_metric(value: Any, unit: str | None, lang: str = "zh") -> str:
    """A value in its unit (kaohe.units): a ratio as a percent, money with ¥, a duration
    with its unit; — for none."""
    return format_value(value, unit, lang)


@pass_context
def _metric_filter(context: Any, value: Any, unit: str | None) -> str:
    return fmt_metric(value, unit, context.get("lang", DEFAULT_LANG))


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html", "xml"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["num"] = fmt_number
ENV.filters["metric"] = _metric_filter
ENV.globals["echarts_js"] = echarts_file()


def request_lang(request: Request) -> str:
    """?lang= wins, then the lang cookie, then the configured language (zh by default)."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LANGS:
            return value
    config = getattr(request.app.state, "config", None)
    return getattr(config, "lang", DEFAULT_LANG) if config else DEFAULT_LANG


def nav_for(user: User | None) -> list[dict[str, str]]:
    if user is None:
        return []
    return [
        {"href": href.format(agent=quote(user.agent or "", safe="")), "key": key}
        for href, key, roles in NAV
        if user.role in roles
    ]


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """Render `template` with the common context (user, lang, t, csrf_token, period, nav)."""
    lang = request_lang(request)
    user: User | None = getattr(request.state, "user", None)
    full = {
        "request": request,
        "user": user,
        "lang": lang,
        "t": translator(lang),
        "csrf_token": csrf_token(request),
        "period": None,
        "nav": nav_for(user),
        "path": request.url.path,
        # a cached value of the previous data version, served while the new one computes
        "stale": bool(getattr(request.state, "stale", False)),
        # an error page has no period to move through (nor echoes the URL asked for)
        "period_info": None if status >= 400 else getattr(request.state, "period_info", None),
        "period_link": lambda period: month_link(request, period),
        **context,
    }
    response = HTMLResponse(ENV.get_template(template).render(full), status_code=status)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, samesite="lax", httponly=True
        )
    return response
