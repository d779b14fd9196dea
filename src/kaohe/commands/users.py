"""`kaohe users add|list|passwd`: accounts of the web app (spec: issue 8)."""

from __future__ import annotations

from typing import Any

import click

from kaohe.commands.serve import require_store


def _password(given: str | None) -> str:
    if given is not None:
        return given
    return click.prompt("密码 / password", hide_input=True, confirmation_prompt=True)


@click.group("users")
def command() -> None:
    """网页用户 — web users and roles (admin, supervisor, lead, agent)."""


@command.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "supervisor", "lead", "agent"]),
    help="admin/supervisor: all shops; lead: their team; agent: only themselves",
)
@click.option("--agent", default=None, help="roster agent id (role agent)")
@click.option("--team", default=None, help="roster team (role lead)")
@click.option("--password", default=None, help="password (prompted when omitted)")
@click.pass_obj
def add(
    obj: Any, name: str, role: str, agent: str | None, team: str | None, password: str | None
) -> None:
    """Add a user."""
    from kaohe.web.users import add_user

    require_store(obj.config.db)
    secret = _password(password)
    with obj.open_store() as st:
        user = add_user(st, name, role, secret, agent=agent, team=team)
    click.echo(f"已添加 / added: {user.username} ({user.role})")


@command.command("list")
@click.pass_obj
def list_(obj: Any) -> None:
    """List users (never their password hashes)."""
    from kaohe.web.users import list_users

    require_store(obj.config.db)
    with obj.open_store() as st:
        rows = list_users(st)
    if not rows:
        click.echo("还没有用户 / no users yet: kaohe users add NAME --role supervisor")
        return
    click.echo(f"{'用户 user':<16} {'角色 role':<12} {'客服 agent':<24} {'组 team':<10} 状态")
    for r in rows:
        state = "停用 disabled" if r["disabled"] else "启用 enabled"
        click.echo(
            f"{r['username']:<16} {r['role']:<12} {r['agent'] or '':<24} "
            f"{r['team'] or '':<10} {state}"
        )


@command.command("passwd")
@click.argument("name")
@click.option("--password", default=None, help="new password (prompted when omitted)")
@click.pass_obj
def passwd(obj: Any, name: str, password: str | None) -> None:
    """Set a user's password."""
    from kaohe.web.users import set_password

    require_store(obj.config.db)
    secret = _password(password)
    with obj.open_store() as st:
        set_password(st, name, secret)
    click.echo(f"已修改密码 / password changed: {name}")
