"""Administration in the browser (issue 18.5, admin): /admin — the scheduler's jobs and their
recorded runs, the workbooks they wrote (download); /admin/users — add a user, change role or
team, reset a password, make and revoke API tokens (disable/enable and sign-outs stay on
/users); /admin/roster — an agent's team, role, level, shop, hire date and base salary.
Every change runs on the server's one writer and is audited."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response

from kaohe.errors import KaoheError
from kaohe.web import audit, views
from kaohe.web.auth import User, csrf_protect, require_roles
from kaohe.web.i18n import LABELS
from kaohe.web.pages.login import client_ip
from kaohe.web.render import render

router = APIRouter()
Admin = Annotated[User, Depends(require_roles("admin"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PAGE_LABELS: dict[str, dict[str, str]] = {
    "nav.admin": {"zh": "管理", "en": "Admin"},
    "admin.title": {"zh": "系统管理", "en": "Administration"},
    "admin.jobs": {"zh": "定时任务", "en": "Scheduled jobs"},
    "admin.runs": {"zh": "运行记录", "en": "Runs"},
    "admin.reports": {"zh": "已生成的报表", "en": "Generated workbooks"},
    "admin.users": {"zh": "用户与令牌", "en": "Users and tokens"},
    "admin.roster": {"zh": "客服名单", "en": "Roster"},
    "admin.no_scheduler": {
        "zh": "调度器未运行（仅 kaohe serve 运行时有）",
        "en": "The scheduler is not running (it runs with kaohe serve)",
    },
    "admin.add_user": {"zh": "添加用户", "en": "Add a user"},
    "admin.password": {"zh": "密码", "en": "Password"},
    "admin.save": {"zh": "保存", "en": "Save"},
    "admin.reset": {"zh": "重设密码", "en": "Reset password"},
    "admin.token": {"zh": "生成令牌", "en": "Make a token"},
    "admin.token_once": {
        "zh": "新令牌（只显示这一次）",
        "en": "New token (shown this once)",
    },
    "admin.revoke": {"zh": "吊销", "en": "Revoke"},
    "admin.done": {"zh": "已保存", "en": "Saved"},
    "admin.assignments": {"zh": "方案分配", "en": "Scheme and pay-plan assignments"},
    "admin.assign_help": {
        "zh": "每条规则：覆盖哪些客服（各项可填多个，用逗号分隔；全部留空 = 全部客服），"
        "给他们哪个考核方案和/或薪资方案。"
        "最具体的规则优先：客服 > 店铺 > 平台 > 组 > 级别 > 岗位。",
        "en": "Each rule: whom it covers (several values per field, comma-separated; all "
        "empty = everyone) and the scheme and/or pay plan they get. The most specific rule "
        "wins: agent > shop > platform > team > level > role.",
    },
    "admin.rule_name": {"zh": "名称", "en": "Name"},
    "admin.platform": {"zh": "平台", "en": "Platform"},
    "admin.level": {"zh": "级别", "en": "Level"},
    "admin.scheme": {"zh": "考核方案", "en": "Scheme"},
    "admin.plan": {"zh": "薪资方案", "en": "Pay plan"},
    "admin.covers": {"zh": "覆盖（人）", "en": "Covers (agents)"},
    "admin.none": {"zh": "（不指定）", "en": "(none)"},
    "admin.delete": {"zh": "删除", "en": "Delete"},
    "admin.add_rule": {"zh": "添加规则", "en": "Add a rule"},
    "admin.who_gets": {"zh": "谁得到什么", "en": "Who gets what"},
    "admin.unassigned": {"zh": "未分配的客服", "en": "Agents without one"},
    "admin.no_rules": {
        "zh": "还没有分配规则：kaohe score / pay 需用 --scheme / --plan",
        "en": "No rules yet: kaohe score / pay need --scheme / --plan",
    },
    "admin.file": {"zh": "文件", "en": "File"},
}
for _key, _value in PAGE_LABELS.items():
    LABELS.setdefault(_key, _value)


@router.get("/admin")
def admin_page(request: Request, user: Admin, st: views.StoreDep) -> Response:
    from kaohe.service.runs import runs
    from kaohe.web.services import report_files

    scheduler = getattr(request.app.state, "scheduler", None)
    context = {
        "jobs": scheduler.listing() if scheduler is not None else None,
        "runs": runs(st, limit=100),
        "reports": report_files(request.app),
    }
    return render(request, "admin.html", context)


@router.get("/admin/reports/{name}")
def report_download(request: Request, name: str, user: Admin) -> Response:
    from kaohe.web.services import report_files

    found = {f["name"]: f for f in report_files(request.app)}
    if name not in found:
        raise HTTPException(404, f"没有该报表 / no such workbook: {name!r}")
    return FileResponse(Path(found[name]["path"]), media_type=XLSX, filename=name)


def _users_context(st: Any, made: dict[str, Any] | None = None) -> dict[str, Any]:
    from kaohe.web.tokens import list_tokens
    from kaohe.web.users import list_users

    return {"rows": list_users(st), "tokens": list_tokens(st), "made": made, "error": None}


@router.get("/admin/users")
def users_page(request: Request, user: Admin, st: views.StoreDep) -> Response:
    return render(request, "admin_users.html", _users_context(st))


async def _write(request: Request, user: User, job: Any, action: str) -> Any:
    """Run `job(st)` on the writer and audit `action: detail` (job returns the detail and a
    value); a refusal is a 400 with its one line."""
    ip = client_ip(request)

    def run(st: Any) -> Any:
        detail, value = job(st)
        audit.record(st, user, action, detail, ip=ip)
        return value

    try:
        return await request.app.state.writer.run(run)
    except KaoheError as exc:
        status = 404 if exc.exit_code == 2 else 400
        raise HTTPException(status, str(exc)) from None


@router.post("/admin/users", dependencies=[Depends(csrf_protect)])
async def user_change(request: Request, user: Admin) -> Response:
    """action = add | role | password | token | revoke (a token id in `token`)."""
    from kaohe.web import tokens, users

    form = await request.form()

    def field(name: str) -> str:
        return str(form.get(name) or "").strip()

    action, name = field("action"), field("username")
    agent, team = field("agent") or None, field("team") or None

    def job(st: Any) -> tuple[str, Any]:
        if action == "add":
            made = users.add_user(
                st, name, field("role"), field("password"), agent=agent, team=team
            )
            return f"{made.username} ({made.role})", None
        if action == "role":
            changed = users.set_role(st, name, field("role"), agent=agent, team=team)
            return f"{name}: {changed.role} agent={agent} team={team}", None
        if action == "password":
            return name, users.set_password(st, name, field("password"))
        if action == "token":
            token_id, secret = tokens.create_token(st, name, field("label"), by=user.username)
            return f"{name} #{token_id}", {"id": token_id, "username": name, "token": secret}
        if action == "revoke":
            row = tokens.revoke_token(st, int(field("token") or 0), by=user.username)
            return f"{row['username']} #{row['id']}", None
        raise HTTPException(400, f"未知操作 / unknown action {action!r}")

    made = await _write(request, user, job, f"user.{action}")

    def context(st: Any) -> dict[str, Any]:
        return _users_context(st, made if action == "token" else None)

    from kaohe.web.api.security import borrow

    return render(request, "admin_users.html", await borrow(request, context))


@router.get("/admin/roster")
def roster_page(request: Request, user: Admin, st: views.StoreDep) -> Response:
    from kaohe.service.roster import roster

    return render(request, "admin_roster.html", {"rows": roster(st), "done": None})


@router.post("/admin/roster/{agent}", dependencies=[Depends(csrf_protect)])
async def roster_change(request: Request, agent: str, user: Admin) -> Response:
    from kaohe.service.roster import EDITABLE, roster, update_agent

    form = await request.form()
    fields = {k: str(form.get(k) or "") for k in EDITABLE if k in form}

    def job(st: Any) -> tuple[str, Any]:
        changed = update_agent(st, agent, fields)
        detail = "; ".join(f"{k}: {a} → {b}" for k, (a, b) in changed.items()) or "no change"
        return f"{agent}: {detail}", changed

    changed = await _write(request, user, job, "roster.edit")
    from kaohe.web.api.security import borrow

    rows = await borrow(request, roster)
    done = f"{agent}: {', '.join(changed) or '—'}"
    return render(request, "admin_roster.html", {"rows": rows, "done": done})


# ---------------------------------------------------------------- scheme and plan assignments

SEPARATORS = "，、;；"  # besides the comma: how people list values in a field


def _values(text: str) -> list[str]:
    """`售前组，售后组` → [售前组, 售后组]."""
    for separator in SEPARATORS:
        text = text.replace(separator, ",")
    return [v.strip() for v in text.split(",") if v.strip()]


def _assignments_context(st: Any, path: Path, error: str | None = None) -> dict[str, Any]:
    from kaohe.assignments import CLOSED, KEYS, label, members, store_shops
    from kaohe.pay import list_plans
    from kaohe.schemes import list_schemes
    from kaohe.service.assignments import overview

    found = overview(st, path)
    people = members(st)
    for rule in found["rules"]:  # platforms, roles and levels in Chinese
        rule["text"] = {k: "、".join(label(k, v) for v in rule["when"][k]) for k in KEYS}
    used = {kind: {r[kind] for r in found["rules"] if r[kind]} for kind in ("scheme", "plan")}
    # shown by their Chinese names; a scheme or plan file of the user's own by its reference
    names = {s.id: s.name for s in list_schemes()} | {p.id: p.name for p in list_plans()}
    return {
        **found,
        "error": error,
        "keys": KEYS,
        "schemes": sorted({s.id for s in list_schemes()} | used["scheme"]),
        "plans": sorted({p.id for p in list_plans()} | used["plan"]),
        "names": names,
        "choices": {
            "agent": [m.agent for m in people],
            "shop": sorted(set(store_shops(st))),
            "team": sorted({m.team for m in people if m.team}),
            **{k: sorted({label(k, c) for c in codes.values()}) for k, codes in CLOSED.items()},
        },
    }


@router.get("/admin/assignments")
def assignments_page(request: Request, user: Admin, st: views.StoreDep) -> Response:
    from kaohe.web.api.admin import assignments_file

    context = _assignments_context(st, assignments_file(request))
    return render(request, "admin_assignments.html", context)


def _form_rule(form: Any) -> dict[str, Any]:
    from kaohe.assignments import KEYS

    def field(name: str) -> str:
        return str(form.get(name) or "").strip()

    when = {k: _values(field(k)) for k in KEYS}
    return {"name": field("name"), "when": when, "scheme": field("scheme"), "plan": field("plan")}


@router.post("/admin/assignments", dependencies=[Depends(csrf_protect)])
async def assignments_change(request: Request, user: Admin) -> Response:
    """action = save (rule `index`) | delete (rule `index`) | add; `version` is the file's
    version the page was shown with (a stale page is refused, not overwriting)."""
    from kaohe.assignments import load_assignments
    from kaohe.service.assignments import rules_of
    from kaohe.web.api.admin import assignments_file, save_assigned
    from kaohe.web.api.security import borrow, write

    form = await request.form()
    path = assignments_file(request)
    action, version = str(form.get("action") or ""), str(form.get("version") or "")
    error = None
    try:
        rules = rules_of(load_assignments(path))
        index = int(str(form.get("index") or -1))
        if action == "add":
            rules.append(_form_rule(form))
        elif action in ("save", "delete") and 0 <= index < len(rules):
            rules[index : index + 1] = [_form_rule(form)] if action == "save" else []
        else:
            raise HTTPException(400, f"未知操作 / unknown action {action!r}")
        await write(request, lambda st: save_assigned(st, user, path, rules, version, request))
    except (KaoheError, ValueError) as exc:
        error = str(exc)
    context = await borrow(request, lambda st: _assignments_context(st, path, error))
    return render(request, "admin_assignments.html", context, status=400 if error else 200)
