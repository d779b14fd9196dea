"""预警收件箱 /alerts (issue 21.6): open, acknowledged and resolved alerts with their
evidence (stored masked) and events; acknowledge, assign, comment and resolve — each on the
server's one writer, recorded as an alert event (who, when) and in the audit log. The
acknowledge link of an alert message (`/alerts/ID/ack`) opens the alert with the button to
acknowledge it (a link alone never changes anything: mail scanners open links). Admins and
supervisors see every alert, a lead those of their team (kaohe.web.api.alerts.visible)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from kaohe.errors import KaoheError
from kaohe.web import audit, views
from kaohe.web.api.alerts import visible
from kaohe.web.auth import User, csrf_protect, require_roles
from kaohe.web.i18n import LABELS
from kaohe.web.pages.login import client_ip
from kaohe.web.render import render

router = APIRouter()
Inbox = Annotated[User, Depends(require_roles("admin", "supervisor", "lead"))]
Overseers = Annotated[User, Depends(require_roles("admin", "supervisor"))]
TIMES_BY = ("rule", "lead", "handler")
TABS = ("active", "open", "acknowledged", "resolved")
ACTIONS = ("ack", "assign", "comment", "resolve")

PAGE_LABELS: dict[str, dict[str, str]] = {
    "nav.alerts": {"zh": "预警", "en": "Alerts"},
    "alerts.title": {"zh": "预警收件箱", "en": "Alert inbox"},
    "alerts.tab.active": {"zh": "未解决", "en": "Active"},
    "alerts.tab.open": {"zh": "待处理", "en": "Open"},
    "alerts.tab.acknowledged": {"zh": "已确认", "en": "Acknowledged"},
    "alerts.tab.resolved": {"zh": "已解决", "en": "Resolved"},
    "alerts.none": {"zh": "没有预警", "en": "No alerts"},
    "alerts.rule": {"zh": "规则", "en": "Rule"},
    "alerts.severity": {"zh": "级别", "en": "Severity"},
    "alerts.status": {"zh": "状态", "en": "Status"},
    "alerts.fired": {"zh": "触发时间", "en": "Fired"},
    "alerts.due": {"zh": "截止", "en": "Due"},
    "alerts.assigned": {"zh": "指派给", "en": "Assigned to"},
    "alerts.evidence": {"zh": "证据", "en": "Evidence"},
    "alerts.events": {"zh": "处理记录", "en": "History"},
    "alerts.conversation": {"zh": "查看会话", "en": "Open the conversation"},
    "alerts.ack": {"zh": "确认", "en": "Acknowledge"},
    "alerts.assign": {"zh": "指派", "en": "Assign"},
    "alerts.comment": {"zh": "评论", "en": "Comment"},
    "alerts.resolve": {"zh": "解决", "en": "Resolve"},
    "alerts.note": {"zh": "说明（可选）", "en": "Note (optional)"},
    "alerts.done": {"zh": "已记录", "en": "Recorded"},
    "alerts.times": {"zh": "处理用时", "en": "Handling times"},
    "alerts.by.rule": {"zh": "按规则", "en": "By rule"},
    "alerts.by.lead": {"zh": "按组长", "en": "By lead"},
    "alerts.by.handler": {"zh": "按确认人", "en": "By who acknowledged"},
    "alerts.key.rule": {"zh": "规则", "en": "Rule"},
    "alerts.key.lead": {"zh": "组长", "en": "Lead"},
    "alerts.key.handler": {"zh": "确认人", "en": "Acknowledged by"},
    "alerts.none_in_period": {"zh": "本期没有触发预警", "en": "No alert fired in this period"},
}
for _key, _value in PAGE_LABELS.items():
    LABELS.setdefault(_key, _value)


@router.get("/alerts")
def inbox(request: Request, user: Inbox, st: views.StoreDep, status: str = "active") -> Response:
    from kaohe.alerts.inbox import list_alerts

    if status not in TABS:
        raise HTTPException(400, f"未知状态 / unknown status {status!r} ({', '.join(TABS)})")
    rows = [r for r in list_alerts(st, status, limit=500) if visible(user, st, r)]
    return render(request, "alerts.html", {"rows": rows, "tab": status, "tabs": TABS})


@router.get("/alerts/times")
def times(
    request: Request, user: Overseers, st: views.StoreDep, period: views.PeriodDep, by: str = "rule"
) -> Response:
    """Time to acknowledge and to resolve per rule, lead or acknowledger: the catalogue's
    alert handling metrics (kaohe.engine.alerting), for the alerts fired in the period."""
    from kaohe.engine import compute_kpis
    from kaohe.engine.alerting import SECTION
    from kaohe.engine.registry import all_metrics

    if by not in TIMES_BY:
        raise HTTPException(400, f"未知分组 / unknown grouping {by!r} ({', '.join(TIMES_BY)})")
    lang = views.lang_of(request)
    metrics = [m for m in all_metrics() if m.section == SECTION]
    rows = compute_kpis(st, by, period, [m.id for m in metrics])
    columns = [
        {"id": m.id, "label": m.label(lang), "unit": m.unit, "words": m.in_words(lang)}
        for m in metrics
    ]
    names = _rule_names(request) if by == "rule" else {}
    for row in rows:
        row["shown"] = names.get(row[by], row[by])
    context = {"rows": rows, "columns": columns, "by": by, "choices": TIMES_BY, "period": period}
    return render(request, "alert_times.html", context)


def _rule_names(request: Request) -> dict[str, str]:
    """The rules in force by id → name (the Chinese page shows names, not ids)."""
    from kaohe.alerts.load import load_rules
    from kaohe.alerts.setup import parse_settings

    config = getattr(request.app.state, "config", None)
    section = config.section("alerts") if config is not None else {}
    return {r.id: r.name for r in load_rules(parse_settings(section).rules).rules}


def _alert_or_404(user: User, st: Any, alert_id: int) -> dict[str, Any]:
    from kaohe.alerts.inbox import get_alert

    try:
        alert = get_alert(st, alert_id)
    except KaoheError as exc:
        raise HTTPException(404, str(exc)) from None
    if not visible(user, st, alert):
        raise HTTPException(404, f"没有这条预警 / no alert #{alert_id}")
    return alert


def _detail(request: Request, st: Any, user: User, alert_id: int, done: str | None) -> Response:
    from kaohe.alerts.inbox import events

    alert = _alert_or_404(user, st, alert_id)
    context = {"alert": alert, "events": events(st, alert_id), "done": done, "error": None}
    return render(request, "alert.html", context)


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: int, user: Inbox, st: views.StoreDep) -> Response:
    return _detail(request, st, user, alert_id, None)


@router.get("/alerts/{alert_id}/ack")
def ack_link(request: Request, alert_id: int, user: Inbox, st: views.StoreDep) -> Response:
    """The acknowledge link of a message: the alert, its acknowledge button first."""
    return _detail(request, st, user, alert_id, None)


@router.post("/alerts/{alert_id}/{action}", dependencies=[Depends(csrf_protect)])
async def act(request: Request, alert_id: int, action: str, user: Inbox) -> Response:
    """ack | assign | comment | resolve, on the writer (no reader held while it waits)."""
    from kaohe.alerts import inbox
    from kaohe.web.users import require_user

    if action not in ACTIONS:
        raise HTTPException(404, f"未知操作 / unknown action {action!r}")
    form = await request.form()
    text = str(form.get("text") or "").strip()[:2000]
    ip = client_ip(request)

    def job(st: Any) -> None:
        _alert_or_404(user, st, alert_id)
        now = datetime.now()
        if action == "ack":
            inbox.acknowledge(st, alert_id, user.username, now)
        elif action == "assign":
            require_user(st, text)
            inbox.assign(st, alert_id, text, user.username, now)
        elif action == "comment":
            if not text:
                raise HTTPException(400, "评论不能为空 / the comment is empty")
            inbox.comment(st, alert_id, text, user.username, now)
        else:
            inbox.resolve(st, alert_id, user.username, now, text or None)
        audit.record(st, user, f"alert.{action}", f"#{alert_id}", ip=ip)

    try:
        await request.app.state.writer.run(job)
    except KaoheError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/alerts/{alert_id}?done={action}", status_code=303)
