"""E-mail through a local SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import socket
from datetime import datetime
from email import message_from_bytes
from email.policy import default

import pytest

from kaohe.alerts.channels import ChannelConfig, Message, make_channel

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_alert_arrives_by_email():
    inbox = Inbox()
    port = _free_port()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = make_channel(
            "mail",
            ChannelConfig.model_validate(
                {
                    "type": "smtp",
                    "host": "127.0.0.1",
                    "port": port,
                    "from": "kaohe@example.com",
                    "to": ["lead@example.com", "boss@example.com"],
                }
            ),
        )
        message = Message(
            "【严重】差评 / 失望评价: 快手小店 · 客服 小美",
            [
                "店铺 快手小店 · 客服 小美 · 买家 b***a",
                "[查看会话](https://k.example/conversation?msg=k1)",
            ],
            [],
        )
        channel.send(message, datetime(2026, 11, 3, 10, 0))
    finally:
        controller.stop()
    (sender, to, content) = inbox.mails[0]
    mail = message_from_bytes(content, policy=default)
    assert (sender, to) == ("kaohe@example.com", ["lead@example.com", "boss@example.com"])
    assert mail["Subject"] == "【严重】差评 / 失望评价: 快手小店 · 客服 小美"
    body = mail.get_content()
    assert "买家 b***a" in body
    assert "查看会话: https://k.example/conversation?msg=k1" in body
