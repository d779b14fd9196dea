"""The printable payslip (工资条): one A5 page per agent in Chinese — each line its amount and
what it is, in plain words with the figures behind it; the period; 暂估 while the period is
not settled; signature lines. /agents/{agent}/payslip prints one agent's (linked from the
agent page), /payslips every payslip the user may see, one per page. The plan is the
agent's assigned one (kaohe.assignments), or ?plan= (a preset id)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from kaohe.errors import KaoheError
from kaohe.web import views
from kaohe.web.auth import User, visible_agents
from kaohe.web.pages.agent import DEFAULT_PLAN, agent_or_404, assignments_of
from kaohe.web.render import render

router = APIRouter()


def payslips(
    request: Request, st: Any, period: str, agents: set[str] | None, plan_id: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The payslips of `agents` (None: everyone) for the period, as the print page shows
    them, and the problems met (a plan that cannot be paid, nobody assigned)."""
    from kaohe.assigned import pay_assigned
    from kaohe.assignments import unassigned_note
    from kaohe.pay import list_plans
    from kaohe.pay.fetch import pay_period

    params = views.overrides(request)
    assignments = assignments_of(request)
    if not plan_id and not assignments.refs("plan"):
        plan_id = DEFAULT_PLAN  # no assignments yet: the agent page's default plan
    problems: list[str] = []
    try:
        if plan_id:
            # presets only: a name from the URL is never a path on the server
            plan = next((p for p in list_plans() if p.id == plan_id), None)
            if plan is None:
                return [], [f"未知的薪资方案 / unknown pay plan: {plan_id}"]
            result, _ = pay_period(st, plan, period, None, True, params)
            results = [result]
        else:
            runs, found = pay_assigned(st, assignments, period, True, params, for_agents=agents)
            results = [run.result for run in runs]
            found.unassigned = [a for a in found.unassigned if agents is None or a in agents]
            problems += [text] if (text := unassigned_note(found)) else []
    except KaoheError as exc:
        return [], [str(exc)]
    slips = [
        _slip(result, slip)
        for result in results
        for slip in result.payslips
        if agents is None or slip.agent in agents
    ]
    if not slips:
        problems.append("本期没有可打印的工资条 / no payslip for this period")
    return slips, problems


def _slip(result: Any, slip: Any) -> dict[str, Any]:
    return {
        "agent": slip.agent,
        "name": slip.name,
        "plan_name": result.plan_name,
        "period": result.period,
        "provisional": slip.provisional,
        "total": slip.total,
        "notices": slip.notices,
        "lines": [
            {
                "name": ln.name,
                "amount": ln.amount,
                "in_total": ln.in_total,
                "words": ln.wording or ln.explain(),
            }
            for ln in slip.lines
        ],
    }


def _page(request: Request, slips: list[dict[str, Any]], problems: list[str], period: str) -> Any:
    context = {"slips": slips, "problems": problems, "period": period}
    return render(request, "payslip_print.html", context)


@router.get("/agents/{agent}/payslip")
def agent_payslip(
    request: Request, agent: str, user: views.UserDep, st: views.StoreDep, period: views.PeriodDep
) -> Response:
    agent_or_404(st, user, agent)
    slips, problems = payslips(request, st, period, {agent}, request.query_params.get("plan"))
    return _page(request, slips, problems, period)


@router.get("/payslips")
def all_payslips(
    request: Request, user: views.UserDep, st: views.StoreDep, period: views.PeriodDep
) -> Response:
    allowed = _allowed(user, st)
    slips, problems = payslips(request, st, period, allowed, request.query_params.get("plan"))
    return _page(request, slips, problems, period)


def _allowed(user: User, st: Any) -> set[str] | None:
    """Managers see every payslip, a lead their team's; an agent only their own page."""
    if user.role == "agent":
        raise HTTPException(404, "未找到 / not found")
    return visible_agents(user, st)
