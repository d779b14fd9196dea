"""Order credit lookup: which agent an order is credited to, the touches and why
(kaohe.engine.attribution.credit, as `kaohe credit`). A lead sees an order only when an agent
of their team is credited or touched it; agents use their own page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from kaohe.errors import NotFoundError
from kaohe.web import views
from kaohe.web.auth import User, require_roles, sees_buyer_pii, visible_agents
from kaohe.web.i18n import translate
from kaohe.web.render import render

if TYPE_CHECKING:
    from kaohe.store import Store

router = APIRouter()

ROLES = ("admin", "supervisor", "lead")
Allowed = Annotated[User, Depends(require_roles(*ROLES))]
NOT_FOUND = "未找到该订单 / order not found"


def credit_for(
    st: Store,
    user: User,
    order_id: str,
    params: dict[str, Any],
    keep: Callable[[tuple[Any, ...], Callable[[], Any]], Any] | None = None,
) -> dict[str, Any]:
    """The credit of an order the user may see (buyer masked for roles without PII rights);
    an unknown order and one of agents the user may not see answer the same 404. `keep(key,
    compute)`: where the engine's answer is kept (the page cache, per data version)."""
    import copy

    from kaohe.engine.attribution import credit

    run = lambda: credit(st, order_id, params)  # noqa: E731
    key = ("credit", order_id, repr(sorted(params.items())))
    try:
        result = copy.deepcopy(keep(key, run) if keep is not None else run())
    except NotFoundError:
        raise HTTPException(404, NOT_FOUND) from None
    allowed = visible_agents(user, st)
    involved = {result["credited_agent"], *(t["agent"] for t in result["touches"])}
    if allowed is not None and not involved & allowed:
        raise HTTPException(404, NOT_FOUND)
    pii = sees_buyer_pii(user)
    result["buyer"] = views.shown_buyer(result["buyer"], pii)
    result["reason"] = {k: views.shown_text(v, pii) for k, v in result["reason"].items()}
    result["touches"] = [{**t, "time": views.when(t["time"])} for t in result["touches"]]
    for stamp in ("created_at", "paid_at"):
        result[stamp] = views.when(result[stamp])
    return result


@router.get("/credit")
def credit_page(
    request: Request, user: Allowed, st: views.StoreDep, order_id: str = ""
) -> Response:
    order_id = order_id.strip()
    from datetime import date

    from kaohe.web.cache import cached

    def keep(key: tuple[Any, ...], run: Callable[[], Any]) -> Any:
        return cached(request, st, key, date.max, run)

    params = views.overrides(request)
    result = credit_for(st, user, order_id, params, keep) if order_id else None
    if result is not None and views.wants_xlsx(request):
        return _download(request, st, user, result)
    return render(request, "credit.html", {"order_id": order_id, "r": result})


def _download(request: Request, st: Store, user: User, result: dict[str, Any]) -> Response:
    lang = views.lang_of(request)
    rows = [
        {
            **t,
            "position": translate(f"position.{t['position']}", lang),
            "credited": "✓" if t["credited"] else "",
        }
        for t in result["touches"]
    ]
    cols = [
        (k, translate(label, lang))
        for k, label in (
            ("agent", "common.agent"),
            ("time", "conv.time"),
            ("position", "credit.position"),
            ("seconds_before_anchor", "credit.before_anchor"),
            ("credited", "credit.credited"),
        )
    ]
    return views.export(
        st, user, rows, cols, f"credit_{result['order_id']}.xlsx", f"order {result['order_id']}"
    )
