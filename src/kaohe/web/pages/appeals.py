"""Appeals (申诉): an agent contests a QA finding of theirs from their page; a supervisor
accepts or rejects it here. Accepting takes the finding out of the scores through the store
(kaohe.qa.appeals), keeps the payslip lines as they were, and the agent's payslip then shows
the line that changed. Every step is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

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
async def file(request: Request, user: views.UserDep, st: views.StoreDep) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = dict(await request.form())
    return await run_in_threadpool(_file, user, st, form)


def _file(user: User, st: Any, form: dict[str, Any]) -> Response:
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
    key, comment = FindingKey(row[0], msg_key, rule), str(form.get("comment") or "")

    def job(writer: Any) -> None:
        appeal_id = file_appeal(writer, key, user.username, comment)
        audit.record(writer, user, "appeal", f"{appeal_id} {rule} {msg_key}")

    try:
        st.write(job)  # on the one writer (st is a reader)
    except KaoheError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse("/appeals", 303)


@router.post("/appeals/{appeal_id}/decide", dependencies=[Depends(csrf_protect)])
async def decide_appeal(
    request: Request, appeal_id: int, user: Decider, st: views.StoreDep
) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = dict(await request.form())
    return await run_in_threadpool(_decide, appeal_id, user, st, form)


def _decide(appeal_id: int, user: User, st: Any, form: dict[str, Any]) -> Response:
    from kaohe.qa.appeals import appeal, decide
    from kaohe.web.pages.agent import DEFAULT_PLAN, amounts, payslip

    accept = form.get("action") == "accept"
    action = "appeal_" + ("accept" if accept else "reject")
    try:
        current = appeal(st, appeal_id)
        before = None
        if accept:  # the payslip as it stands, to show the line the appeal changes
            slip = payslip(st, current["agent"], current["period"], DEFAULT_PLAN, None)
            before = {"plan": DEFAULT_PLAN, "lines": amounts(slip), "total": slip.get("total")}
        decision = str(form.get("decision") or "")

        def job(writer: Any) -> None:
            decide(writer, appeal_id, accept, user.username, decision, before)
            audit.record(writer, user, action, str(appeal_id))

        st.write(job)  # on the one writer (st is a reader)
    except KaoheError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse("/appeals", 303)
