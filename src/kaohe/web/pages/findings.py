"""The QA findings work list: the period's automatic-inspection findings filterable by rule,
severity, agent, shop, day and status, each linked to its conversation. A reviewer marks a
finding a false positive (误报) — it leaves the quality scores, and the scheme scores and pay
that read them (kaohe.qa.dismiss) — or puts it back; both are audited."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from kaohe.errors import KaoheError
from kaohe.web import audit, views
from kaohe.web.auth import User, csrf_protect, require_roles, sees_buyer_pii, visible_agents
from kaohe.web.deps import PeriodDep, parse_period_text
from kaohe.web.render import render

router = APIRouter()

ROLES = ("admin", "supervisor", "lead")
Allowed = Annotated[User, Depends(require_roles(*ROLES))]
FILTERS = ("rule", "severity", "agent", "shop", "day", "status")
SHOWN = 300


def _filters(request: Request) -> Any:
    from kaohe.qa.dismiss import Filters

    return Filters(**{k: (request.query_params.get(k) or "").strip() for k in FILTERS})


def _options(st: Any, period: Any, scope: set[str] | None) -> dict[str, list[Any]]:
    """The values the filters offer: what the period's findings hold."""
    from kaohe.qa.findings import bounds

    start, end = bounds(period, st)
    rows = st.con.execute(
        "SELECT DISTINCT rule, severity, agent, shop FROM qa_findings "
        "WHERE time >= ? AND time < ? AND agent IS NOT NULL",
        [start, end],
    ).fetchall()
    rows = [r for r in rows if scope is None or r[2] in scope]
    return {name: sorted({r[i] for r in rows if r[i]}) for i, name in enumerate(FILTERS[:4])}


@router.get("/findings")
def findings_page(
    request: Request, user: Allowed, st: views.StoreDep, period: PeriodDep
) -> Response:
    from kaohe.qa.dismiss import work_list
    from kaohe.qa.rules import rule_names

    chosen = parse_period_text(period)
    scope = visible_agents(user, st)
    filters = _filters(request)
    rows, total = work_list(st, chosen, filters, scope, not sees_buyer_pii(user), SHOWN)
    return render(
        request,
        "findings.html",
        {
            "period": period,
            "rows": rows,
            "total": total,
            "shown": SHOWN,
            "filters": filters,
            "options": _options(st, chosen, scope),
            "names": rule_names(),
            "back": f"/findings?{urlencode(dict(request.query_params))}",
        },
    )


@router.post("/findings/mark", dependencies=[Depends(csrf_protect)])
async def mark(request: Request, user: Allowed, st: views.StoreDep) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    return await run_in_threadpool(_mark, user, st, dict(form))


def _mark(user: User, st: Any, form: dict[str, Any]) -> Response:
    from kaohe.qa.dismiss import FindingKey, dismiss, restore

    key = FindingKey(str(form.get("pack")), str(form.get("msg_key")), str(form.get("rule")))
    agent = st.con.execute(
        "SELECT agent FROM qa_findings WHERE pack = ? AND msg_key = ? AND rule = ? LIMIT 1",
        [key.pack, key.msg_key, key.rule],
    ).fetchone()
    scope = visible_agents(user, st)
    if agent is None or (scope is not None and agent[0] not in scope):
        raise HTTPException(404, "未找到该质检发现 / finding not found")
    reason = str(form.get("reason") or "").strip()
    action = str(form.get("action") or "")
    if action not in ("dismiss", "restore"):
        raise HTTPException(400, f"未知操作 / unknown action {action!r}")

    def job(writer: Any) -> None:
        (dismiss if action == "dismiss" else restore)(writer, key, user.username, reason)
        audit.record(writer, user, f"qa_{action}", f"{key.pack} {key.rule} {key.msg_key} {reason}")

    try:
        st.write(job)  # on the one writer (st is a reader)
    except KaoheError as exc:
        raise HTTPException(400, str(exc)) from None
    back = str(form.get("back") or "/findings")
    return RedirectResponse(back if back.startswith("/findings") else "/findings", 303)
