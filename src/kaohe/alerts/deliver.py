"""Routing and noise control: which channel hears of an alert (the agent's lead, the
supervisor, a channel — by shop, team, rule and severity), the escalation ladder, quiet hours,
per-channel rate limits with the extra alerts folded into digests (never dropped), and the
daily digest of what resolved on its own. Every send is recorded (alert_messages,
alert_deliveries) and audited on the alert (`sent`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from kaohe.alerts import evidence as ev
from kaohe.alerts.channels import Channel, Message, SendError
from kaohe.alerts.inbox import SEVERITY_ZH, SYSTEM, record, state_get, state_set
from kaohe.alerts.model import SEVERITIES, Route, Routing
from kaohe.engine.params import parse_window

if TYPE_CHECKING:
    from kaohe.store import Store

PENDING, FAILED, SENT, DIGEST, SKIPPED = "pending", "failed", "sent", "digest", "skipped"


@dataclass
class Sent:
    """What a dispatch did, per channel: messages sent, alerts in them, alerts left queued."""

    messages: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)
    queued: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def route_for(routing: Routing, alert: Mapping[str, Any]) -> Route | None:
    for route in routing.routes:
        m = route.match
        if m.shops and alert["shop"] not in m.shops:
            continue
        if m.teams and alert["team"] not in m.teams:
            continue
        if m.rules and alert["rule"] not in m.rules:
            continue
        if m.kinds and alert["kind"] not in m.kinds:
            continue
        if _rank(alert["severity"]) < _rank(m.min_severity):
            continue
        return route
    return None


def targets(routing: Routing, to: Iterable[str], alert: Mapping[str, Any]) -> list[str]:
    """The channels of a ladder step for an alert: `lead` is its team's lead, `supervisor`
    the supervisor's channels, anything else a channel name."""
    out: list[str] = []
    for target in to:
        if target == "lead":
            lead = routing.leads.get(alert["team"] or "") or routing.leads.get("*")
            out += [lead] if lead else []
        elif target == "supervisor":
            out += routing.supervisor
        else:
            out.append(target)
    return list(dict.fromkeys(out))


def _alerts(store: Store, ids: Iterable[int]) -> list[dict[str, Any]]:
    cur = store.con.execute(
        "SELECT * FROM alerts WHERE id IN (SELECT unnest(?::BIGINT[])) ORDER BY id", [list(ids)]
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def queue(
    store: Store, routing: Routing | None, ids: Iterable[int], now: datetime, fresh: bool = True
) -> int:
    """Queue deliveries of the alerts to their current ladder step's channels. `fresh` (a new
    or worsened alert): every channel of the step; an escalation: only channels that have not
    had this alert yet (deduplication). Returns the deliveries queued."""
    from kaohe.alerts.inbox import insert_rows

    wanted = list(dict.fromkeys(ids))
    if routing is None or not wanted:
        return 0
    had: dict[tuple[int, str], set[str]] = {}
    for alert_id, channel, status in store.con.execute(
        "SELECT alert_id, channel, status FROM alert_deliveries "
        "WHERE alert_id IN (SELECT unnest(?::BIGINT[]))",
        [wanted],
    ).fetchall():
        had.setdefault((alert_id, channel), set()).add(status)
    rows = []
    for alert in _alerts(store, wanted):
        route = route_for(routing, alert)
        if route is None:
            continue
        step = route.ladder[min(alert["level"], len(route.ladder) - 1)]
        for channel in targets(routing, step.to, alert):
            before = had.get((alert["id"], channel), set())
            if before & {PENDING, FAILED} or (not fresh and before):
                continue
            rows.append(
                {
                    "alert_id": alert["id"],
                    "channel": channel,
                    "level": alert["level"],
                    "status": PENDING,
                    "queued_at": now,
                }
            )
    with store.transaction() as con:
        insert_rows(con, "alert_deliveries", rows)
    return len(rows)


def escalate(store: Store, routing: Routing | None, now: datetime) -> list[int]:
    """Open (unacknowledged) alerts whose ladder's next step is due move up to the highest
    step due; each such alert is queued to that step's new channels."""
    if routing is None:
        return []
    moved = []
    rows = store.con.execute(
        "SELECT id, rule, kind, shop, team, severity, level, fired_at FROM alerts "
        "WHERE status = 'open'"
    ).fetchall()
    names = ("id", "rule", "kind", "shop", "team", "severity", "level", "fired_at")
    for values in rows:
        alert = dict(zip(names, values, strict=True))
        route = route_for(routing, alert)
        if route is None:
            continue
        waited = (now - alert["fired_at"]).total_seconds() / 60
        reached = max(i for i, s in enumerate(route.ladder) if s.after_minutes <= waited or i == 0)
        if reached <= alert["level"]:
            continue
        with store.transaction() as con:
            con.execute("UPDATE alerts SET level = ? WHERE id = ?", [reached, alert["id"]])
            record(
                con,
                alert["id"],
                "escalated",
                SYSTEM,
                now,
                {
                    "from": alert["level"],
                    "to": reached,
                    "after_minutes": route.ladder[reached].after_minutes,
                },
            )
        moved.append(alert["id"])
    queue(store, routing, moved, now, fresh=False)
    return moved


# rendering ------------------------------------------------------------------------------------


def alert_card(alert: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The alert as a message carries it (also the webhook's JSON)."""
    evidence = (
        alert["evidence"]
        if isinstance(alert["evidence"], dict)
        else json.loads(alert["evidence"] or "{}")
    )
    return {
        "id": alert["id"],
        "rule": alert["rule"],
        "kind": alert["kind"],
        "state": alert["state"],
        "severity": alert["severity"],
        "title": alert["title"],
        "shop": alert["shop"],
        "agent": alert["agent"],
        "team": alert["team"],
        "due_at": alert["due_at"],
        "evidence": evidence,
        "conversation_url": ev.conversation_url(base_url, alert["msg_key"]),
        "ack_url": ev.ack_url(base_url, alert["id"]),
    }


def _evidence_lines(card: Mapping[str, Any]) -> list[str]:
    e = card["evidence"]
    lines = []
    who = [f"店铺 {card['shop']}" if card["shop"] else None]
    who += [
        f"客服 {e.get('agent') or card['agent']}" if (e.get("agent") or card["agent"]) else None
    ]
    who += [f"买家 {e['buyer']}" if e.get("buyer") else None]
    lines.append(" · ".join(w for w in who if w))
    if e.get("left"):
        lines.append(f"时限: {e['left']} (到期 {str(e.get('due_at'))[:16]})")
    metric = e.get("metric")
    if metric:
        value = (
            ev.value_text(metric.get("value"), metric.get("unit", ""))
            if metric.get("value") is not None
            else None
        )
        shown = f" = {value} ({metric.get('of')})" if value else ""
        words = f"{metric['words']} · " if metric.get("words") else ""
        lines.append(f"指标: {metric['name']}{shown} · {words}公式: {metric['formula']}")
    if e.get("threshold") and card["kind"] in ("compliance", "metric_window"):
        lines.append(f"门槛: {e['threshold']}")
    penalty = e.get("penalty")
    if penalty and (penalty.get("penalty") or penalty.get("consequence") or penalty.get("points")):
        points = f"扣 {penalty['points']:g} 分; " if penalty.get("points") else ""
        lines.append(f"后果: {points}{penalty.get('penalty') or penalty.get('consequence')}")
    lines += [f"> {line}" for line in e.get("excerpt") or []]
    return lines


def render_alert(alert: Mapping[str, Any], base_url: str, channel: Channel) -> Message:
    card = alert_card(alert, base_url)
    title = f"【{SEVERITY_ZH.get(card['severity'], card['severity'])}】{card['title']}"
    links = [f"[确认 #{card['id']}]({card['ack_url']})"]
    if card["conversation_url"]:
        links.insert(0, f"[查看会话]({card['conversation_url']})")
    lines = [*_evidence_lines(card), " ".join(links)]
    message = Message(title, lines, [card])
    limit = channel.limits.max_bytes
    while limit and channel.body_size(message) > limit and len(message.lines) > 2:
        message.lines.pop(-2)  # drop evidence from the end, keep the links
    return message


def render_digests(
    alerts: list[Mapping[str, Any]], base_url: str, channel: Channel, title: str
) -> list[Message]:
    """The alerts as few messages as fit the channel's size: one line each, with its
    acknowledge link."""
    limit = channel.limits.max_bytes
    out: list[Message] = []
    current = Message(title, [], [], digest=True)
    for alert in alerts:
        card = alert_card(alert, base_url)
        sev = SEVERITY_ZH.get(card["severity"], card["severity"])
        line = f"- #{card['id']} 【{sev}】{card['title']} [确认]({card['ack_url']})"
        current.lines.append(line)
        current.alerts.append(card)
        if limit and channel.body_size(current) > limit and len(current.lines) > 1:
            current.lines.pop()
            current.alerts.pop()
            out.append(current)
            current = Message(title, [line], [card], digest=True)
    if current.lines:
        out.append(current)
    for i, message in enumerate(out):
        message.title = f"{title} ({i + 1}/{len(out)}, {len(message.alerts)} 条)"
    return out


# sending --------------------------------------------------------------------------------------


def capacity(store: Store, channel: Channel, now: datetime) -> int | None:
    """How many messages the channel may take now (None: no limit)."""
    limits = channel.limits
    room: list[int] = []
    for per, span in ((limits.per_minute, 60), (limits.per_second, 1)):
        if per:
            used = store.con.execute(
                "SELECT count(*) FROM alert_messages WHERE channel = ? AND sent_at > ? "
                "AND sent_at <= ?",
                [channel.name, now - timedelta(seconds=span), now],
            ).fetchone()[0]
            room.append(max(0, per - int(used)))
    return min(room) if room else None


def _quiet(routing: Routing | None, now: datetime) -> str | None:
    """The lowest severity that may go out now (None: anything)."""
    if routing is None or routing.quiet is None:
        return None
    window = parse_window(routing.quiet.hours)
    seconds = now.hour * 3600 + now.minute * 60 + now.second
    return routing.quiet.min_severity if window is not None and window.contains(seconds) else None


def dispatch(
    store: Store,
    channels: Mapping[str, Channel],
    routing: Routing | None,
    now: datetime,
    base_url: str,
) -> Sent:
    """Send every queued delivery the limits allow: alerts one by one while there is room,
    the rest folded into digests in the last message that fits; what still does not fit
    stays queued for the next minute."""
    sent = Sent()
    floor = _quiet(routing, now)
    for name, channel in channels.items():
        _skip_resolved(store, name)
        pending = _pending(store, name, floor)
        if not pending:
            continue
        room = capacity(store, channel, now)
        if room is not None and room <= 0:
            sent.queued[name] = len(pending)
            continue
        if room is None or len(pending) <= room:
            singles, folded = pending, []
        else:
            singles, folded = pending[: room - 1], pending[room - 1 :]
        outbox = Outbox(name)
        try:
            for alert in singles:
                message = render_alert(alert, base_url, channel)
                _send(store, channel, message, [alert], now, sent, outbox)
            left = None if room is None else room - len(singles)
            digests = render_digests(folded, base_url, channel, "预警汇总 / alert digest")
            for message in digests[: left if left is not None else len(digests)]:
                members = [a for a in folded if a["id"] in {c["id"] for c in message.alerts}]
                _send(store, channel, message, members, now, sent, outbox)
        finally:
            outbox.flush(store)
        unsent = sum(len(m.alerts) for m in digests[left:]) if left is not None else 0
        if unsent:
            sent.queued[name] = unsent
    return sent


def _skip_resolved(store: Store, channel: str) -> None:
    """An alert that resolved while its delivery waited is not sent (the daily digest lists
    it)."""
    store.con.execute(
        "UPDATE alert_deliveries SET status = ? WHERE channel = ? AND status IN (?, ?) "
        "AND alert_id IN (SELECT id FROM alerts WHERE status = 'resolved')",
        [SKIPPED, channel, PENDING, FAILED],
    )


def _pending(store: Store, channel: str, floor: str | None) -> list[dict[str, Any]]:
    cur = store.con.execute(
        "SELECT a.*, min(d.queued_at) AS queued_at FROM alert_deliveries d "
        "JOIN alerts a ON a.id = d.alert_id WHERE d.channel = ? AND d.status IN (?, ?) "
        "GROUP BY ALL ORDER BY a.id",
        [channel, PENDING, FAILED],
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if floor is not None:
        rows = [r for r in rows if _rank(r["severity"]) >= _rank(floor)]
    return sorted(rows, key=lambda r: (-_rank(r["severity"]), r["queued_at"], r["id"]))


@dataclass
class Outbox:
    """The sends of one channel, written to the store together (a transaction per message
    would cost more than the sending)."""

    channel: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def flush(self, store: Store) -> None:
        import pyarrow as pa

        from kaohe.alerts.inbox import insert_rows

        if not self.messages:
            return
        with store.transaction() as con:
            insert_rows(con, "alert_messages", self.messages)
            insert_rows(con, "alert_events", self.events)
            if self.deliveries:
                con.register("_alert_sent", pa.Table.from_pylist(self.deliveries))
                try:
                    con.execute(
                        "UPDATE alert_deliveries AS d SET status = s.status, message_id = "
                        "s.message_id, sent_at = s.sent_at, error = s.error FROM _alert_sent s "
                        "WHERE d.alert_id = s.alert_id AND d.channel = ? AND d.status IN (?, ?)",
                        [self.channel, PENDING, FAILED],
                    )
                finally:
                    con.unregister("_alert_sent")
        self.messages.clear()
        self.deliveries.clear()
        self.events.clear()


def _send(
    store: Store,
    channel: Channel,
    message: Message,
    alerts: list[Mapping[str, Any]],
    now: datetime,
    sent: Sent,
    outbox: Outbox,
) -> None:
    error = None
    try:
        channel.send(message, now)
    except (SendError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        sent.errors.append(f"{channel.name}: {error}")
    message_id = int(store.con.execute("SELECT nextval('alert_message_seq')").fetchone()[0])
    kind = "digest" if message.digest else "alert"
    outbox.messages.append(
        {
            "id": message_id,
            "channel": channel.name,
            "sent_at": now,
            "kind": kind,
            "alerts": len(alerts),
            "ok": error is None,
            "error": error,
        }
    )
    status = FAILED if error else (DIGEST if message.digest else SENT)
    for alert in alerts:
        outbox.deliveries.append(
            {
                "alert_id": alert["id"],
                "message_id": message_id,
                "status": status,
                "sent_at": None if error else now,
                "error": error,
            }
        )
        if error is None:
            detail = {"channel": channel.name, "message": message_id, "digest": message.digest}
            outbox.events.append(
                {
                    "alert_id": alert["id"],
                    "at": now,
                    "kind": "sent",
                    "actor": SYSTEM,
                    "detail": json.dumps(detail, ensure_ascii=False),
                }
            )
    if error is None:
        sent.messages[channel.name] = sent.messages.get(channel.name, 0) + 1
        sent.alerts[channel.name] = sent.alerts.get(channel.name, 0) + len(alerts)


# the daily digest of what resolved on its own --------------------------------------------------


def daily_digest(
    store: Store,
    channels: Mapping[str, Channel],
    routing: Routing | None,
    now: datetime,
    base_url: str,
    at: str = "09:00",
) -> tuple[int, list[str]]:
    """Once a day (from `at` on), the alerts of the previous day that resolved without anyone
    acting on them, to the routing's digest channels. Returns the alerts listed and the
    sending errors."""
    if routing is None or not routing.digest_channels:
        return 0, []
    hour, minute = (int(p) for p in at.split(":"))
    today = now.date()
    if (now.hour, now.minute) < (hour, minute) or state_get(store, "digest_day") == str(today):
        return 0, []
    start = datetime.combine(today - timedelta(days=1), datetime.min.time())
    cur = store.con.execute(
        "SELECT * FROM alerts WHERE resolved_by = ? AND acknowledged_at IS NULL "
        "AND resolved_at >= ? AND resolved_at < ? ORDER BY rule, id",
        [SYSTEM, start, start + timedelta(days=1)],
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    with store.transaction() as con:
        state_set(con, "digest_day", str(today))
    if not rows:
        return 0, []
    title = f"昨日自行恢复的预警 {start:%Y-%m-%d} / resolved on their own"
    sent = Sent()
    for name in routing.digest_channels:
        channel, outbox = channels[name], Outbox(name)
        try:
            for message in render_digests(rows, base_url, channel, title):
                _send(store, channel, message, [], now, sent, outbox)
        finally:
            outbox.flush(store)
    return len(rows), sent.errors
