"""`kaohe users add|list|passwd|disable|enable|token|tokens|revoke|signout|rotate-secret`:
accounts, sessions and API tokens of the web app (spec: issue 8; sessions and the key file:
issue 16, kaohe.web.sessions; tokens: issue 18, kaohe.web.tokens). While `kaohe serve` holds
the store, add, list, passwd, disable, enable and the token commands go through its API
(kaohe.service.client); the others say that the server holds it."""

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
    client = obj.server()
    if client is not None:  # the running server holds the store: through its API
        body = {"username": name, "role": role, "password": secret, "agent": agent, "team": team}
        made = client.post("/users", body)
        click.echo(f"已添加 / added: {made['username']} ({made['role']}) — {_via(client)}")
        return
    with obj.open_store() as st:
        user = add_user(st, name, role, secret, agent=agent, team=team)
    click.echo(f"已添加 / added: {user.username} ({user.role})")


@command.command("list")
@click.pass_obj
def list_(obj: Any) -> None:
    """List users (never their password hashes)."""
    from kaohe.web.users import list_users

    require_store(obj.config.db)
    client = obj.server()
    if client is not None:
        rows = client.get("/users")
    else:
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
    """Set a user's password (ends all of the user's sessions)."""
    from kaohe.web.users import set_password

    require_store(obj.config.db)
    secret = _password(password)
    client = obj.server()
    if client is not None:
        from urllib.parse import quote

        done = client.put(f"/users/{quote(name, safe='')}/password", {"password": secret})
        click.echo(f"{done['detail']} — {_via(client)}")
        return
    with obj.open_store() as st:
        ended = set_password(st, name, secret)
    click.echo(f"已修改密码 / password changed: {name} (结束会话 / sessions ended: {ended})")


@command.command("disable")
@click.argument("name")
@click.pass_obj
def disable(obj: Any, name: str) -> None:
    """Disable a user and end all of their sessions."""
    from kaohe.web.users import set_disabled

    require_store(obj.config.db)
    if _remote(obj, "/users/{}/disable", name):
        return
    with obj.open_store() as st:
        ended = set_disabled(st, name, True)
    click.echo(f"已停用 / disabled: {name} (结束会话 / sessions ended: {ended})")


@command.command("enable")
@click.argument("name")
@click.pass_obj
def enable(obj: Any, name: str) -> None:
    """Enable a disabled user again."""
    from kaohe.web.users import set_disabled

    require_store(obj.config.db)
    if _remote(obj, "/users/{}/enable", name):
        return
    with obj.open_store() as st:
        set_disabled(st, name, False)
    click.echo(f"已启用 / enabled: {name}")


def _via(client: Any) -> str:
    return f"经由服务器 / through the server at {client.info.url}"


def _remote(obj: Any, path: str, name: str) -> bool:
    """POST path (with the user's name in it) to the running server, if one holds the store;
    True when it did."""
    from urllib.parse import quote

    client = obj.server()
    if client is None:
        return False
    done = client.post(path.format(quote(name, safe="")))
    click.echo(f"{done['detail']} — {_via(client)}")
    return True


@command.command("token")
@click.argument("name")
@click.option("--label", default=None, help="what the token is for (shown in the list)")
@click.pass_obj
def token(obj: Any, name: str, label: str | None) -> None:
    """Make an API token for a user: it acts with the user's role (shown once; revoke it
    with `kaohe users revoke ID`)."""
    from kaohe.web import audit
    from kaohe.web.tokens import create_token

    require_store(obj.config.db)
    client = obj.server()
    if client is not None:
        from urllib.parse import quote

        made = client.post(f"/users/{quote(name, safe='')}/tokens", {"label": label})
        token_id, secret = made["id"], made["token"]
    else:
        with obj.open_store() as st, st.transaction():
            token_id, secret = create_token(st, name, label, by="cli")
            audit.record(st, None, "token.create", f"{name} #{token_id}", username="cli")
    click.echo(secret)
    click.echo(
        f"令牌 #{token_id}（{name}）只显示这一次 / token #{token_id} of {name}, shown this once: "
        "Authorization: Bearer …",
        err=True,
    )


@command.command("tokens")
@click.argument("name", required=False)
@click.pass_obj
def tokens(obj: Any, name: str | None) -> None:
    """List API tokens (never their secret), of one user when given."""
    from kaohe.web.tokens import list_tokens

    require_store(obj.config.db)
    client = obj.server()
    if client is not None:
        rows = client.get("/tokens", {"username": name} if name else None)
    else:
        with obj.open_store() as st:
            rows = list_tokens(st, name)
    if not rows:
        click.echo("没有令牌 / no tokens: kaohe users token NAME")
        return
    for r in rows:
        state = f"吊销 revoked {r['revoked_at']}" if r["revoked_at"] else "有效 live"
        click.echo(f"#{r['id']:<5} {r['username']:<16} {r['prefix']}…  {r['label'] or ''}  {state}")


@command.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
def revoke(obj: Any, token_id: int) -> None:
    """Revoke an API token by its number (kaohe users tokens)."""
    from kaohe.web import audit
    from kaohe.web.tokens import revoke_token

    require_store(obj.config.db)
    client = obj.server()
    if client is not None:
        click.echo(f"{client.delete(f'/tokens/{token_id}')['detail']} — {_via(client)}")
        return
    with obj.open_store() as st, st.transaction():
        row = revoke_token(st, token_id, by="cli")
        audit.record(st, None, "token.revoke", f"{row['username']} #{token_id}", username="cli")
    click.echo(f"已吊销 / revoked: #{token_id} ({row['username']})")


@command.command("signout")
@click.argument("name", required=False)
@click.option("--all", "everyone", is_flag=True, help="sign every user out")
@click.pass_obj
def signout(obj: Any, name: str | None, everyone: bool) -> None:
    """Sign a user (or --all users) out everywhere: their cookies stop working."""
    from kaohe.errors import UsageError
    from kaohe.web import sessions
    from kaohe.web.users import require_user

    if bool(name) == everyone:
        raise UsageError("给出用户名或 --all / give a NAME or --all")
    require_store(obj.config.db)
    client = obj.server()
    if client is not None:
        from urllib.parse import quote

        path = "/signout-all" if everyone else f"/users/{quote(str(name), safe='')}/signout"
        click.echo(f"{client.post(path)['detail']} — {_via(client)}")
        return
    with obj.open_store() as st:
        if everyone:
            ended = sessions.end_all(st)
        else:
            require_user(st, name)
            ended = sessions.end_user(st, name)
    click.echo(f"已退出登录 / signed out: {name or 'all'} (结束会话 / sessions ended: {ended})")


@command.command("rotate-secret")
@click.pass_obj
def rotate_secret(obj: Any) -> None:
    """Write a new cookie-signing key (<store>.key, mode 0600): every login cookie signed with
    the old key stops working; a running server picks the new key up at its next request."""
    import os

    from kaohe.web.server import server_settings
    from kaohe.web.sessions import SECRET_ENV, key_path, write_key

    path = key_path(obj.config.db, server_settings(obj.config).secret_file)
    if path is None:
        from kaohe.errors import UsageError

        raise UsageError("内存数据库没有密钥文件 / an in-memory store has no key file")
    write_key(path)
    click.echo(
        f"已更换会话密钥 / new session key: {path} (所有人需重新登录 / everyone logs in again)"
    )
    if os.environ.get(SECRET_ENV):
        click.echo(
            f"注意 / note: ${SECRET_ENV} 已设置并优先于密钥文件 / "
            "is set and wins over the key file",
            err=True,
        )
