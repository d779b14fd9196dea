"""Platform compliance on its own page: every check of the period filterable by platform, shop
and status, each line opening its cases, each case its conversation or order. The checks are
the overview's (one computation per period and data version)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kaohe.schema import platform_label
from kaohe.web import views
from kaohe.web.auth import User, require_roles, sees_buyer_pii
from kaohe.web.deps import PeriodDep
from kaohe.web.render import render, request_lang

router = APIRouter()

Allowed = Annotated[User, Depends(require_roles("admin", "supervisor"))]
CASES_SHOWN = 50
LINKED = {"msg_key": "/conversation?msg=", "order_id": "/credit?order_id="}


def lines(results: list[Any], platform: str, shop: str, status: str, lang: str) -> list[dict]:
    from kaohe.compliance.report import (
        check_label,
        consequence_text,
        preset_label,
        result_threshold_text,
        status_label,
        value_text,
    )

    order = {"fail": 0, "at_risk": 1, "pass": 2, "not_applicable": 3}
    chosen = [
        r
        for r in results
        if (not platform or r.platform == platform)
        and (not shop or r.shop == shop)
        and (not status or r.status == status)
    ]
    chosen.sort(key=lambda r: (order.get(r.status, 9), r.preset, r.check, r.subject, r.cycle))
    return [
        {
            "preset": preset_label(r.preset, lang),
            "check": check_label(r.preset, r.check, lang),
            "platform": platform_label(r.platform, lang),
            "subject": r.subject,
            "cycle": r.cycle,
            "running": r.running,
            "value": value_text(r, lang),
            "threshold": result_threshold_text(r, lang),
            "status_id": r.status,
            "status": status_label(r.status, lang),
            "consequence": consequence_text(r, lang),
            "cases": r.cases[:CASES_SHOWN],
            "cases_total": r.cases_total,
        }
        for r in chosen
    ]


@router.get("/compliance")
def compliance_page(
    request: Request,
    user: Allowed,
    st: views.StoreDep,
    period: PeriodDep,
    platform: str = "",
    shop: str = "",
    status: str = "",
) -> Response:
    from kaohe.compliance.report import case_header, status_label

    lang = request_lang(request)
    pii = sees_buyer_pii(user)
    filters = {"platform": platform, "shop": shop, "status": status}
    return render(
        request,
        "compliance.html",
        {
            "period": period,
            **shaped(request, st, period, filters, lang, pii),
            "filters": filters,
            "statuses": [
                (s, status_label(s, lang)) for s in ("fail", "at_risk", "pass", "not_applicable")
            ],
            "case_header": lambda c: case_header(c, lang),
            "linked": LINKED,
        },
    )


def shaped(
    request: Request, st: Any, period: str, filters: dict[str, str], lang: str, pii: bool
) -> dict[str, Any]:
    """The page's lines (cases masked unless the viewer sees buyer data) and its filter
    choices, shaped once per data version, filters, language and masking: a repeat view only
    renders them."""
    from kaohe.web.cache import cached
    from kaohe.web.deps import parse_period_text
    from kaohe.web.pages.overview import _mask_case, cached_checks

    def compute() -> dict[str, Any]:
        results = cached_checks(request, st, period)
        shown = lines(results, filters["platform"], filters["shop"], filters["status"], lang)
        for line in shown:
            line["cases"] = [_mask_case(c, pii) for c in line["cases"]]
        return {
            "lines": shown,
            "platforms": sorted(
                {(r.platform, platform_label(r.platform, lang)) for r in results if r.platform}
            ),
            "shops": sorted({r.shop for r in results if r.shop}),
        }

    key = ("compliance.page", period, *sorted(filters.items()), lang, pii)
    return cached(request, st, key, parse_period_text(period).end, compute)


def warm(app: Any, st: Any, period: str) -> None:
    """The page as it first opens (no filter, in Chinese, for the roles allowed: both see
    buyer data), shaped after an import (kaohe.web.services)."""
    from types import SimpleNamespace

    request: Any = SimpleNamespace(app=app)
    shaped(request, st, period, {"platform": "", "shop": "", "status": ""}, "zh", True)
