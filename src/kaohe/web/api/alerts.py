"""The alert inbox through the API (kaohe.alerts.inbox): list, one alert with its events,
acknowledge, assign, comment, resolve — each action on the server's one writer, recorded as an
alert event with who and when (the inbox's audit), and in the audit log. Admins and
supervisors see every alert, a lead those of their team's agents; agents have no inbox.
Evidence is stored masked (buyer ids and excerpts), for every role."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from kaohe.web import audit
from kaohe.web.api.security import LeadUser, borrow, client_ip, scope_of, write
from kaohe.web.auth import User

router = APIRouter(tags=["alerts"])
AlertId = Annotated[int, Path(ge=1, le=2**62, description="预警编号 / alert id")]


class AlertRow(BaseModel):
    id: int
    rule: str
    state: str
    severity: str
    status: str
    title: str
    shop: str | None = None
    agent: str | None = None
    team: str | None = None
    fired_at: datetime | None = None
    due_at: datetime | None = None
    acknowledged_by: str | None = None
    assigned_to: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    level: int | None = None


class AlertDetail(BaseModel):
    alert: dict[str, Any]
    events: list[dict[str, Any]]


class Assign(BaseModel):
    to: str = Field(min_length=1, max_length=64, description="用户名 / the username")


class Comment(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class Resolve(BaseModel):
    note: str | None = Field(None, max_length=2000)


def visible(user: User, st: Any, alert: dict[str, Any]) -> bool:
    """Whether the caller's role lets them see this alert (a lead: their team's)."""
    if user.role in ("admin", "supervisor"):
        return True
    scope = scope_of(user, st) or set()
    return alert.get("agent") in scope or (user.team is not None and alert.get("team") == user.team)


@router.get("/alerts", response_model=list[AlertRow], summary="预警收件箱 / the alert inbox")
async def alerts(
    request: Request,
    user: LeadUser,
    status: Annotated[
        Literal["open", "acknowledged", "resolved", "active"] | None, Query()
    ] = "active",
    rule: Annotated[str | None, Query(max_length=100)] = None,
    shop: Annotated[str | None, Query(max_length=200)] = None,
    severity: Annotated[Literal["info", "warning", "critical"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertRow]:
    from kaohe.alerts.inbox import list_alerts

    def job(st: Any) -> list[dict[str, Any]]:
        rows = list_alerts(st, status, rule, shop, severity, limit)
        return [r for r in rows if visible(user, st, r)]

    return [AlertRow(**r) for r in await borrow(request, job)]


def _visible_alert(user: User, st: Any, alert_id: int) -> dict[str, Any]:
    from kaohe.alerts.inbox import get_alert

    alert = get_alert(st, alert_id)  # NotFoundError: 404
    if not visible(user, st, alert):
        raise HTTPException(404, f"没有这条预警 / no alert #{alert_id}")
    return alert


@router.get("/alerts/{alert_id}", response_model=AlertDetail, summary="一条预警 / one alert")
async def alert(request: Request, user: LeadUser, alert_id: AlertId) -> AlertDetail:
    from kaohe.alerts.inbox import events

    def job(st: Any) -> AlertDetail:
        found = _visible_alert(user, st, alert_id)
        return AlertDetail(alert=_plain(found), events=[_plain(e) for e in events(st, alert_id)])

    return await borrow(request, job)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}


async def act(request: Request, user: User, alert_id: int, name: str, action: Any) -> AlertDetail:
    """Check the caller may see the alert, run `action(st, now)` on the writer, audit it."""
    from kaohe.alerts.inbox import events

    def job(st: Any) -> AlertDetail:
        _visible_alert(user, st, alert_id)
        action(st, datetime.now())
        audit.record(st, user, f"alert.{name}", f"#{alert_id}", ip=client_ip(request))
        found = _visible_alert(user, st, alert_id)
        return AlertDetail(alert=_plain(found), events=[_plain(e) for e in events(st, alert_id)])

    return await write(request, job)


@router.post("/alerts/{alert_id}/ack", response_model=AlertDetail, summary="确认 / acknowledge")
async def ack(request: Request, user: LeadUser, alert_id: AlertId) -> AlertDetail:
    from kaohe.alerts.inbox import acknowledge

    return await act(
        request,
        user,
        alert_id,
        "ack",
        lambda st, now: acknowledge(st, alert_id, user.username, now),
    )


@router.post("/alerts/{alert_id}/assign", response_model=AlertDetail, summary="指派 / assign")
async def assign(request: Request, user: LeadUser, alert_id: AlertId, body: Assign) -> AlertDetail:
    from kaohe.alerts.inbox import assign as assign_alert
    from kaohe.web.users import require_user

    def action(st: Any, now: datetime) -> None:
        require_user(st, body.to)
        assign_alert(st, alert_id, body.to, user.username, now)

    return await act(request, user, alert_id, "assign", action)


@router.post("/alerts/{alert_id}/comment", response_model=AlertDetail, summary="评论 / comment")
async def comment(
    request: Request, user: LeadUser, alert_id: AlertId, body: Comment
) -> AlertDetail:
    from kaohe.alerts.inbox import comment as comment_alert

    return await act(
        request,
        user,
        alert_id,
        "comment",
        lambda st, now: comment_alert(st, alert_id, body.text, user.username, now),
    )


@router.post("/alerts/{alert_id}/resolve", response_model=AlertDetail, summary="解决 / resolve")
async def resolve(
    request: Request, user: LeadUser, alert_id: AlertId, body: Resolve
) -> AlertDetail:
    from kaohe.alerts.inbox import resolve as resolve_alert

    return await act(
        request,
        user,
        alert_id,
        "resolve",
        lambda st, now: resolve_alert(st, alert_id, user.username, now, body.note),
    )
