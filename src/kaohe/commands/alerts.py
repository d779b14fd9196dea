"""`kaohe alerts list|show|ack|assign|comment|resolve|evaluate|test-channel|times|rules`: the
alert inbox from the command line, evaluation by hand, and a test message through a channel."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

import click

from kaohe.output import emit
from kaohe.spreadsheet import Column, columns_of

FORMATS = click.Choice(["table", "json", "csv"])


def _now(text: str | None) -> datetime:
    from kaohe.errors import UsageError

    if not text:
        return datetime.now()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now: 不是时间 / not a time (YYYY-MM-DD[ HH:MM]): {text!r}") from None


def _who(by: str | None) -> str:
    return by or getpass.getuser()


def _served(obj: Any, alert_id: int, action: str, by: str | None, body: Any = None) -> Any:
    """The alert action through the running server's API (its one writer), or None when no
    server holds the store. The server records its token's user as the actor."""
    client = obj.server()
    if client is None:
        return None
    if by:
        click.echo(
            f"经由服务器：操作人为令牌的用户，未使用 --by {by} / through the server the token's "
            f"user acts; --by {by} is not used",
            err=True,
        )
    return client.post(f"/alerts/{alert_id}/{action}", body)


def _setup(obj: Any) -> Any:
    from kaohe.alerts.setup import setup_from_config

    return setup_from_config(obj.config, dict(obj.params().engine))


@click.group("alerts")
def command() -> None:
    """预警 / live alerts: the inbox, evaluation, channels."""


@command.command("list")
@click.option(
    "--status", default="active", show_default=True, help="open, acknowledged, resolved, active"
)
@click.option("--rule", default=None)
@click.option("--shop", default=None)
@click.option("--severity", default=None, help="info, warning, critical")
@click.option("--limit", default=200, show_default=True, type=int)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.option("--out", default=None)
@click.pass_obj
def list_command(
    obj: Any,
    status: str,
    rule: str | None,
    shop: str | None,
    severity: str | None,
    limit: int,
    fmt: str,
    out: str | None,
) -> None:
    """预警列表 / the inbox, newest first."""
    from kaohe.alerts.inbox import LIST_COLUMNS, list_alerts

    with obj.open_store(reads=True) as store:
        rows = list_alerts(store, None if status == "all" else status, rule, shop, severity, limit)
    if not rows and fmt == "table":
        click.echo(f"没有预警 / no alerts (status {status})")
        return
    if fmt != "table":
        emit({"rows": rows}, rows, columns_of(LIST_COLUMNS), fmt, out)
        return
    from kaohe.alerts.inbox import SEVERITY_ZH, STATUS_ZH

    en = obj.lang == "en"
    shown = [
        {
            **r,
            "severity": r["severity"] if en else SEVERITY_ZH.get(r["severity"]),
            "status": r["status"] if en else STATUS_ZH.get(r["status"]),
            "fired_at": f"{r['fired_at']:%m-%d %H:%M}",
            "due_at": f"{r['due_at']:%m-%d %H:%M}" if r["due_at"] else "",
        }
        for r in rows
    ]
    ids = ["id", "severity", "status", "title", "fired_at", "due_at"]
    headers = ids if en else ["编号", "级别", "状态", "预警", "触发", "到期"]
    emit({"rows": rows}, shown, columns_of(ids, headers), fmt, out, lang=obj.lang)


@command.command("show")
@click.argument("alert_id", type=int)
@click.pass_obj
def show_command(obj: Any, alert_id: int) -> None:
    """一条预警的证据与处理记录 / one alert: its evidence and events."""
    from kaohe.alerts.deliver import alert_card
    from kaohe.alerts.inbox import events, get_alert
    from kaohe.output import to_json

    setup = _setup(obj)
    with obj.open_store(reads=True) as store:
        card = alert_card(get_alert(store, alert_id), setup.base_url)
        card["events"] = events(store, alert_id)
    click.echo(to_json(card))


@command.command("ack")
@click.argument("alert_id", type=int)
@click.option("--by", default=None, help="who acknowledges (default: the login name)")
@click.pass_obj
def ack_command(obj: Any, alert_id: int, by: str | None) -> None:
    """确认预警 / acknowledge an alert (stops its escalation)."""
    from kaohe.alerts.inbox import acknowledge

    answer = _served(obj, alert_id, "ack", by)
    if answer is not None:
        alert = answer["alert"]
    else:
        with obj.open_store() as store:
            alert = acknowledge(store, alert_id, _who(by), datetime.now())
    click.echo(f"已确认 / acknowledged #{alert_id}: {alert['title']}")


@command.command("assign")
@click.argument("alert_id", type=int)
@click.argument("to")
@click.option("--by", default=None)
@click.pass_obj
def assign_command(obj: Any, alert_id: int, to: str, by: str | None) -> None:
    """指派预警 / assign an alert to someone."""
    from kaohe.alerts.inbox import assign

    if _served(obj, alert_id, "assign", by, {"to": to}) is None:
        with obj.open_store() as store:
            assign(store, alert_id, to, _who(by), datetime.now())
    click.echo(f"已指派 / assigned #{alert_id} → {to}")


@command.command("comment")
@click.argument("alert_id", type=int)
@click.argument("text")
@click.option("--by", default=None)
@click.pass_obj
def comment_command(obj: Any, alert_id: int, text: str, by: str | None) -> None:
    """备注 / comment on an alert (buyer data in the text is masked)."""
    from kaohe.alerts.inbox import comment

    if _served(obj, alert_id, "comment", by, {"text": text}) is None:
        with obj.open_store() as store:
            comment(store, alert_id, text, _who(by), datetime.now())
    click.echo(f"已备注 / commented on #{alert_id}")


@command.command("resolve")
@click.argument("alert_id", type=int)
@click.option("--note", default=None)
@click.option("--by", default=None)
@click.pass_obj
def resolve_command(obj: Any, alert_id: int, note: str | None, by: str | None) -> None:
    """解决预警 / resolve an alert by hand."""
    from kaohe.alerts.inbox import resolve

    if _served(obj, alert_id, "resolve", by, {"note": note}) is None:
        with obj.open_store() as store:
            resolve(store, alert_id, _who(by), datetime.now(), note)
    click.echo(f"已解决 / resolved #{alert_id}")


@command.command("evaluate")
@click.option("--now", "now_text", default=None, help="evaluate as at this time (default now)")
@click.option("--clock-only", is_flag=True, help="only the clock rules (the scheduler's minute)")
@click.option("--no-send", is_flag=True, help="record alerts, send nothing")
@click.pass_obj
def evaluate_command(obj: Any, now_text: str | None, clock_only: bool, no_send: bool) -> None:
    """按规则评估新数据与时限 / evaluate the rules on new data and the clock."""
    from kaohe.alerts import evaluate_clock, evaluate_imports

    setup = _setup(obj)
    now = _now(now_text)
    with obj.open_store() as store:
        if clock_only:
            report = evaluate_clock(store, setup, now, send=not no_send)
        else:
            report = evaluate_imports(store, setup, now, send=not no_send)
    for line in report_lines(report, bool(setup.channels)):
        click.echo(line)


def report_lines(report: Any, has_channels: bool) -> list[str]:
    changes = report.changes
    lines = [
        f"新导入 / new imports: {len(report.imports)}",
        f"新预警 / fired: {len(changes.fired)}  需通知 / to notify: {len(changes.notify)}  "
        f"自动解决 / resolved: {len(changes.resolved)}  升级 / escalated: {len(report.escalated)}",
    ]
    if not has_channels:
        lines.append(
            "未配置通道: 预警只留在收件箱 / no channel configured: alerts stay in the inbox"
        )
    for channel, n in sorted(report.sent.messages.items()):
        alerts = report.sent.alerts.get(channel, 0)
        lines.append(f"  {channel}: {n} 条消息 / messages, {alerts} 条预警 / alerts")
    for channel, n in sorted(report.sent.queued.items()):
        lines.append(
            f"  {channel}: {n} 条待下一分钟发送 / alerts wait for the next minute (rate limit)"
        )
    lines += [f"  发送失败 / failed: {e}" for e in report.sent.errors]
    return lines


@command.command("test-channel")
@click.argument("name")
@click.pass_obj
def test_channel_command(obj: Any, name: str) -> None:
    """向通道发送一条测试消息 / send a test message through a configured channel."""
    from kaohe.alerts.channels import Message, SendError
    from kaohe.alerts.model import suggest
    from kaohe.errors import KaoheError, NotFoundError

    setup = _setup(obj)
    if name not in setup.channels:
        known = ", ".join(setup.channels) or "none: add [alerts.channels.NAME] to kaohe.toml"
        raise NotFoundError(
            f"未配置的通道 / unknown channel {name!r}{suggest(name, setup.channels)} ({known})"
        )
    channel = setup.channels[name]
    message = Message(
        "kaohe 预警通道测试 / alert channel test",
        [
            f"通道 / channel: {name} ({channel.config.type})",
            f"时间 / at: {datetime.now():%Y-%m-%d %H:%M:%S}",
        ],
        [],
    )
    try:
        channel.send(message, datetime.now())
    except (SendError, OSError) as exc:
        raise KaoheError(f"发送失败 / sending failed through {name}: {exc}") from None
    click.echo(f"已发送 / sent through {name} ({channel.config.type})")


TIME_BY = ("rule", "lead", "handler", "team", "agent", "shop", "platform", "day", "month")
BY_HEADERS = {
    "rule": "规则",
    "lead": "组长",
    "handler": "确认人",
    "team": "组",
    "agent": "客服",
    "shop": "店铺",
    "platform": "平台",
    "day": "日期",
    "month": "月份",
}


@command.command("times")
@click.option(
    "--by",
    type=click.Choice(TIME_BY),
    default="rule",
    show_default=True,
    help="rule; lead (of the alert's team); handler (who acknowledged) …",
)
@click.option("--period", "-p", default=None, help="alerts fired in this period")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.option("--out", default=None)
@click.pass_obj
def times_command(obj: Any, by: str, period: str | None, fmt: str, out: str | None) -> None:
    """确认与解决用时 / time to acknowledge and to resolve (minutes): the catalogue's alert
    handling metrics (kaohe.engine.alerting)."""
    from kaohe.engine import compute_kpis
    from kaohe.engine.alerting import SECTION
    from kaohe.engine.registry import all_metrics

    metrics = [m for m in all_metrics() if m.section == SECTION]
    with obj.open_store(reads=True) as store:
        rows = compute_kpis(store, by, period, [m.id for m in metrics])
    columns = [Column(by, BY_HEADERS[by], role="key")]
    if by == "rule":  # the rule's name beside its id
        from kaohe.alerts.load import load_rules
        from kaohe.alerts.setup import parse_settings

        settings = parse_settings(obj.config.section("alerts"), obj.config.path)
        names = {r.id: r.name for r in load_rules(settings.rules).rules}
        rows = [{"rule": r["rule"], "name": names.get(r["rule"]), **r} for r in rows]
        columns.append(Column("name", "名称", role="name"))
    columns += [Column(m.id, m.zh, m.unit) for m in metrics]
    emit({"by": by, "period": period, "rows": rows}, rows, columns, fmt, out, lang=obj.lang)


@command.command("rules")
@click.argument("file", required=False)
@click.pass_obj
def rules_command(obj: Any, file: str | None) -> None:
    """预警规则 (校验文件) / list the rules in force, or validate a rule file."""
    from kaohe.alerts.load import load_rules
    from kaohe.alerts.setup import parse_settings

    rules = load_rules(file or parse_settings(obj.config.section("alerts"), obj.config.path).rules)
    rows = [
        {
            "id": r.id,
            "kind": r.kind,
            "name": r.name,
            "platforms": ",".join(r.platforms or []) or "全部",
            "enabled": r.enabled,
            "seed": r.seed,
        }
        for r in rules.rules
    ]
    ids = ["id", "kind", "name", "platforms", "enabled", "seed"]
    headers = ["规则", "类型", "名称", "平台", "启用", "出处"]
    emit({"rows": rows}, rows, columns_of(ids, headers), "table", None, lang=obj.lang)
