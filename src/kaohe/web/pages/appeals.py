"""Appeals (申诉): an agent contests a QA finding or a manual review of theirs from their page,
or an order's credit from the conversation; a supervisor accepts or rejects it here.
Accepting changes the scores through the store (kaohe.qa.appeals: the finding dismissed, the
order credited to the agent, the review not counted), keeps the payslip lines as they were,
and the agent's payslip then shows the line that changed. Filing and deciding run on the one
writer; every step is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from kaohe.engine.periods import parse_period
from kaohe.errors import KaoheError
from kaohe.web import audit, views
from kaohe.web.auth import User, csrf_protect, require_roles, visible_agents
from kaohe.web.render import render

router = APIRouter()

DECIDERS = ("admin", "supervisor")
Decider = Annotated[User, Depends(require_roles(*DECIDERS))]


@router.get("/appeals")
def appeals_page(request: Request, user: views.UserDep, st: views.StoreDep) -> Response:
    from kaohe.qa.appeals import appeals
    from kaohe.qa.rules import rule_names

    scope = visible_agents(user, st)
    status = request.query_params.get("status", "")
    return render(
        request,
        "appeals.html",
        {
            "appeals": appeals(st, scope, status),
            "names": rule_names(),
            "decides": user.role in DECIDERS,
            "status": status,
        },
    )


@router.post("/appeals", dependencies=[Depends(csrf_protect)])
async def file(request: Request, user: views.UserDep) -> Response:
    """An agent's appeal (kind finding, credit or review), filed on the one writer."""
    form = dict(await request.form())
    try:
        await request.app.state.writer.run(lambda st: _file(user, st, form))
    except KaoheError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse("/appeals", 303)


def _file(user: User, st: Any, form: dict[str, Any]) -> None:
    from kaohe.qa.appeals import file_credit_appeal, file_review_appeal

    kind = str(form.get("kind") or "finding")
    comment = str(form.get("comment") or "")
    if kind == "finding":
        appeal_id, subject = _file_finding(user, st, form, comment)
    elif kind == "credit" and user.agent:
        subject = str(form.get("order_id") or "")
        _credit_visible(user, st, subject)
        appeal_id = file_credit_appeal(st, subject, user.agent, user.username, comment)
    elif kind == "review" and user.agent:
        subject = str(form.get("review_id") or "")
        appeal_id = file_review_appeal(st, subject, user.agent, user.username, comment)
    else:  # only an agent appeals, and only these
        raise HTTPException(404, "无法申诉 / nothing to appeal")
    audit.record(st, user, "appeal", f"{appeal_id} {kind} {subject}")


def _file_finding(user: User, st: Any, form: dict[str, Any], comment: str) -> tuple[int, str]:
    from kaohe.qa.appeals import file_appeal
    from kaohe.qa.dismiss import FindingKey

    msg_key, rule = str(form.get("msg_key") or ""), str(form.get("rule") or "")
    row = st.con.execute(
        "SELECT pack, agent FROM qa_findings WHERE msg_key = ? AND rule = ? "
        "ORDER BY pack <> 'default', pack LIMIT 1",
        [msg_key, rule],
    ).fetchone()
    # an agent appeals their own findings only (anyone else's answers like an unknown one)
    if row is None or user.agent != row[1]:
        raise HTTPException(404, "未找到该质检发现 / finding not found")
    key = FindingKey(row[0], msg_key, rule)
    return file_appeal(st, key, user.username, comment), f"{rule} {msg_key}"


def _credit_visible(user: User, st: Any, order_id: str) -> None:
    """An agent claims only an order of a buyer they served in that shop (else the same 404
    as an unknown order: order ids of other teams stay unknown)."""
    served = st.con.execute(
        "SELECT count(*) FROM orders o JOIN messages m ON m.shop = o.shop AND m.buyer = o.buyer "
        "WHERE o.order_id = ? AND m.agent = ?",
        [order_id, user.agent],
    ).fetchone()[0]
    if not served:
        raise HTTPException(404, "未找到该订单 / order not found")


@router.post("/appeals/{appeal_id}/decide", dependencies=[Depends(csrf_protect)])
async def decide_appeal(request: Request, appeal_id: int, user: Decider) -> Response:
    form = dict(await request.form())
    try:
        await request.app.state.writer.run(lambda st: _decide(request, appeal_id, user, st, form))
    except KaoheError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse("/appeals", 303)


def _decide(request: Request, appeal_id: int, user: User, st: Any, form: dict[str, Any]) -> None:
    """Accept or reject, on the writer. Accepting keeps the payslip as it stands (the team's,
    read from the page cache when an agent page or the warm-up computed it) to show the line
    the appeal changes."""
    from kaohe.qa.appeals import appeal, decide
    from kaohe.web.cache import cached
    from kaohe.web.pages.agent import DEFAULT_PLAN, amounts, payslip

    accept = form.get("action") == "accept"
    current = appeal(st, appeal_id)
    before = None
    if accept:
        end = parse_period(current["period"]).end

        def keep(key: tuple[Any, ...], run: Any) -> Any:
            return cached(request, st, key, end, run)

        params = views.overrides(request)
        slip = payslip(st, current["agent"], current["period"], DEFAULT_PLAN, None, params, keep)
        before = {"plan": DEFAULT_PLAN, "lines": amounts(slip), "total": slip.get("total")}
    decide(st, appeal_id, accept, user.username, str(form.get("decision") or ""), before)
    audit.record(st, user, "appeal_" + ("accept" if accept else "reject"), str(appeal_id))
