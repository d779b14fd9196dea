"""Where alerts are sent, each in its platform's documented format and within its limits:

- wecom (企业微信群机器人): POST {"msgtype": "markdown", "markdown": {"content"}} (or "text");
  markdown ≤ 4,096 bytes, text ≤ 2,048; 20 messages a minute per robot.
- dingtalk (钉钉自定义机器人): POST to the URL with `&timestamp=T&sign=S`,
  {"msgtype": "markdown", "markdown": {"title", "text"}}; 20 a minute (then blocked for 10
  minutes); we keep a message under 4,096 bytes.
- feishu (飞书自定义机器人): POST {"timestamp", "sign", "msg_type": "post", "content":
  {"post": {"zh_cn": {"title", "content"}}}}; body ≤ 20 KB; 100 a minute and 5 a second.
- smtp: an e-mail; webhook: POST {"source": "kaohe", "alerts": [...]} with
  `X-Kaohe-Signature: sha256=HMAC(secret, body)`; file: one JSON line per message.

Signatures: DingTalk signs `timestamp + "\\n" + secret` with HMAC-SHA256 keyed by the secret
(milliseconds; base64, then URL-encoded as the `sign` query parameter). Feishu uses
`timestamp + "\\n" + secret` as the HMAC-SHA256 key over an empty message (seconds; base64 in
the JSON body).

Channels are configured in kaohe.toml, `[alerts.channels.NAME]` with `type` and the fields
below; a secret can come from the environment (`secret_env = "VAR"`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import time
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kaohe.errors import ConfigError

TIMEOUT_S = 10


class ChannelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["wecom", "dingtalk", "feishu", "smtp", "webhook", "file"]
    url: str | None = Field(None, description="the robot's webhook address")
    secret: str | None = Field(None, description="DingTalk/Feishu signing secret, webhook HMAC")
    secret_env: str | None = Field(None, description="read the secret from this variable")
    format: Literal["markdown", "text"] = "markdown"
    path: str | None = Field(None, description="file: the JSON-lines file")
    host: str | None = None
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    sender: str | None = Field(None, alias="from")
    to: list[str] = Field(default_factory=list)
    per_minute: int | None = Field(None, ge=1, description="override the platform's rate")
    per_second: int | None = Field(None, ge=1)


@dataclass(frozen=True)
class Limits:
    per_minute: int | None = None
    per_second: int | None = None
    max_bytes: int | None = None


PLATFORM_LIMITS = {
    "wecom": {"markdown": Limits(20, None, 4096), "text": Limits(20, None, 2048)},
    "dingtalk": {"markdown": Limits(20, None, 4096), "text": Limits(20, None, 4096)},
    "feishu": {"markdown": Limits(100, 5, 20_000), "text": Limits(100, 5, 20_000)},
}


@dataclass
class Message:
    """One outgoing message: a title and lines (markdown-ish: `**bold**`, `[text](url)`)."""

    title: str
    lines: list[str]
    alerts: list[dict[str, Any]]  # the alerts it carries (id, rule, severity, title, links)
    digest: bool = False

    def markdown(self) -> str:
        return "\n".join([f"**{self.title}**", *self.lines])

    def text(self) -> str:
        """Plain text: links as `text: url`."""
        import re

        plain = [re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1: \2", line) for line in self.lines]
        return "\n".join([self.title, *plain])


class SendError(Exception):
    """The platform refused a message (the text names why)."""


class Channel(ABC):
    def __init__(self, name: str, config: ChannelConfig) -> None:
        self.name, self.config = name, config

    @property
    def limits(self) -> Limits:
        base = PLATFORM_LIMITS.get(self.config.type, {}).get(self.config.format, Limits())
        return Limits(
            self.config.per_minute or base.per_minute,
            self.config.per_second or base.per_second,
            base.max_bytes,
        )

    def body_size(self, message: Message) -> int:
        """The bytes the platform's limit applies to."""
        text = message.markdown() if self.config.format == "markdown" else message.text()
        return len(text.encode("utf-8"))

    def secret(self) -> str | None:
        if self.config.secret_env:
            value = os.environ.get(self.config.secret_env)
            if not value:
                raise ConfigError(
                    f"环境变量未设置 / environment variable {self.config.secret_env} is not set",
                    field=f"alerts.channels.{self.name}.secret_env",
                )
            return value
        return self.config.secret

    @abstractmethod
    def send(self, message: Message, now: datetime) -> None:
        """Deliver one message; raise SendError when the platform refuses it."""


def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - configured URL
        text = response.read().decode("utf-8") or "{}"
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"raw": text}


def _need(channel: Channel, field: str) -> str:
    value = getattr(channel.config, field)
    if not value:
        raise ConfigError(
            f"通道缺少 {field} / channel {channel.name} ({channel.config.type}) needs `{field}`",
            field=f"alerts.channels.{channel.name}.{field}",
        )
    return str(value)


class WeCom(Channel):
    def payload(self, message: Message) -> dict[str, Any]:
        if self.config.format == "text":
            return {"msgtype": "text", "text": {"content": message.text()}}
        return {"msgtype": "markdown", "markdown": {"content": message.markdown()}}

    def send(self, message: Message, now: datetime) -> None:
        reply = _post(
            _need(self, "url"), json.dumps(self.payload(message), ensure_ascii=False).encode()
        )
        if reply.get("errcode", 0) != 0:
            raise SendError(f"wecom errcode {reply.get('errcode')}: {reply.get('errmsg')}")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret)), URL-encoded."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


class DingTalk(Channel):
    def payload(self, message: Message) -> dict[str, Any]:
        if self.config.format == "text":
            return {"msgtype": "text", "text": {"content": message.text()}}
        return {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": message.markdown()},
        }

    def signed_url(self, now: datetime) -> str:
        url = _need(self, "url")
        secret = self.secret()
        if not secret:
            return url
        timestamp = int(time.time() * 1000)  # the platform checks it against its own clock
        joiner = "&" if "?" in url else "?"
        return f"{url}{joiner}timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"

    def send(self, message: Message, now: datetime) -> None:
        body = json.dumps(self.payload(message), ensure_ascii=False).encode()
        reply = _post(self.signed_url(now), body)
        if reply.get("errcode", 0) != 0:
            raise SendError(f"dingtalk errcode {reply.get('errcode')}: {reply.get('errmsg')}")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """base64(HMAC-SHA256(key=timestamp + "\\n" + secret, msg=b""))."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class Feishu(Channel):
    def payload(self, message: Message, now: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {
            "msg_type": "post",
            "content": {
                "post": {"zh_cn": {"title": message.title, "content": _post_lines(message)}}
            },
        }
        secret = self.secret()
        if secret:
            timestamp = int(time.time())  # the platform checks it against its own clock
            body = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **body}
        return body

    def send(self, message: Message, now: datetime) -> None:
        body = json.dumps(self.payload(message, now), ensure_ascii=False).encode()
        reply = _post(_need(self, "url"), body)
        code = reply.get("code", reply.get("StatusCode", 0))
        if code != 0:
            raise SendError(f"feishu code {code}: {reply.get('msg')}")


def _post_lines(message: Message) -> list[list[dict[str, str]]]:
    """Feishu rich-text rows: text, and links as `a` tags."""
    import re

    rows = []
    for line in message.lines:
        row, at = [], 0
        for match in re.finditer(r"\[([^\]]+)\]\(([^)]+)\)", line):
            if match.start() > at:
                row.append({"tag": "text", "text": line[at : match.start()]})
            row.append({"tag": "a", "text": match.group(1), "href": match.group(2)})
            at = match.end()
        if at < len(line) or not row:
            row.append({"tag": "text", "text": line[at:]})
        rows.append(row)
    return rows


class Smtp(Channel):
    def send(self, message: Message, now: datetime) -> None:
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = _need(self, "sender")
        if not self.config.to:
            raise ConfigError(
                f"通道缺少收件人 / channel {self.name} (smtp) needs `to`",
                field=f"alerts.channels.{self.name}.to",
            )
        mail["To"] = ", ".join(self.config.to)
        mail.set_content(message.text())
        with smtplib.SMTP(_need(self, "host"), self.config.port, timeout=TIMEOUT_S) as smtp:
            if self.config.starttls:
                smtp.starttls()
            if self.config.username:
                password = os.environ.get(self.config.password_env or "", "")
                smtp.login(self.config.username, password)
            smtp.send_message(mail)


class Webhook(Channel):
    def payload(self, message: Message) -> dict[str, Any]:
        return {
            "source": "kaohe",
            "title": message.title,
            "digest": message.digest,
            "text": message.text(),
            "alerts": message.alerts,
        }

    def send(self, message: Message, now: datetime) -> None:
        body = json.dumps(self.payload(message), ensure_ascii=False, default=str).encode()
        secret = self.secret()
        headers = {}
        if secret:
            signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Kaohe-Signature"] = f"sha256={signature}"
        _post(_need(self, "url"), body, headers)


class File(Channel):
    def send(self, message: Message, now: datetime) -> None:
        path = Path(_need(self, "path"))
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "at": now.isoformat(sep=" "),
            "channel": self.name,
            "title": message.title,
            "digest": message.digest,
            "text": message.text(),
            "alerts": message.alerts,
        }
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")


KINDS: dict[str, type[Channel]] = {
    "wecom": WeCom,
    "dingtalk": DingTalk,
    "feishu": Feishu,
    "smtp": Smtp,
    "webhook": Webhook,
    "file": File,
}


def make_channel(name: str, config: ChannelConfig) -> Channel:
    return KINDS[config.type](name, config)
