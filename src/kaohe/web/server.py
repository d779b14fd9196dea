"""The web server's settings (`[server]` in kaohe.toml, documented in docs/server.md) and the
HTTP protocol that times slow clients out.

One process serves the store: a DuckDB file is opened read-write by one process only, so the
server scales with threads inside that process (`threads` for page work, `readers` for the
connections those pages read through), never with worker processes.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import h11
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from uvicorn.protocols.http.h11_impl import H11Protocol

from kaohe.errors import ConfigError


def _default_readers() -> int:
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class ServerSettings(BaseModel):
    """`[server]` in kaohe.toml: sizing, time limits and trust of the web server."""

    model_config = ConfigDict(extra="forbid")

    threads: int = Field(
        24,
        ge=2,
        le=512,
        description="线程池大小：同时运行的页面请求数 / "
        "page requests run at once (the thread pool); "
        "requests that need no data (login form, static files) never wait for a reader",
    )
    readers: int = Field(
        default_factory=_default_readers,
        ge=1,
        le=64,
        description="读库连接数（默认 CPU 核数×2，2–8）/ store connections pages read through at "
        "once (default 2 × CPU cores, between 2 and 8); more requests wait on the event loop",
    )
    reader_wait_s: float = Field(
        30,
        gt=0,
        le=600,
        description="请求等待空闲读库连接的最长秒数，超时回 503 / seconds a request waits for a "
        "free reader before it is answered 503 (busy, retry)",
    )
    max_connections: int = Field(
        1000,
        ge=10,
        le=100000,
        description="同时打开的连接与请求上限，超出回 503 / open connections and requests beyond "
        "which new requests are answered 503 (uvicorn limit_concurrency)",
    )
    head_timeout_s: float = Field(
        10,
        gt=0,
        le=300,
        description="请求头须在此秒数内收齐，否则断开（防慢速连接）/ "
        "seconds a client has to send a "
        "request's head; slower connections are closed",
    )
    body_idle_s: float = Field(
        30,
        gt=0,
        le=3600,
        description="上传中超过此秒数没有新数据则断开 / seconds without a byte of a request body "
        "(an upload) before the connection is closed",
    )
    keep_alive_s: float = Field(
        5,
        gt=0,
        le=300,
        description="空闲长连接保持秒数 / seconds an idle keep-alive connection stays open",
    )
    shutdown_s: float = Field(
        10,
        gt=0,
        le=600,
        description="收到 SIGTERM/Ctrl+C 后等待进行中请求的秒数，之后中断查询并释放数据库 / "
        "seconds running requests get after SIGTERM or Ctrl+C; then queries are interrupted and "
        "the store is released",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="可信反向代理地址（IP 或网段）；只有来自这些地址的 "
        "X-Forwarded-For/-Proto 才被采信 / "
        "addresses (IPs or networks) of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; empty: the headers are ignored",
    )
    session_hours: float = Field(
        12,
        gt=0,
        le=24 * 31,
        description="登录会话有效小时数 / hours a login lasts",
    )
    secret_file: str | None = Field(
        None,
        description="签名 Cookie 的密钥文件（默认数据库旁的 <store>.key，权限 0600；"
        "$KAOHE_SECRET 优先）/ "
        "the cookie-signing key file (default <store>.key beside the store, mode 0600; "
        "$KAOHE_SECRET wins)",
    )
    audit_keep_days: int = Field(
        400,
        ge=1,
        le=36500,
        description="审计日志保留天数，更早的记录在启动时和每天清理 / "
        "days audit rows are kept; older "
        "ones are pruned at start and daily",
    )


def server_settings(config: Any) -> ServerSettings:
    """The `[server]` section of the config, validated (errors name the file and field)."""
    raw = config.section("server") if config is not None else {}
    try:
        return ServerSettings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(["server", *(str(p) for p in first["loc"])])
        raise ConfigError(first["msg"], file=getattr(config, "path", None), field=field) from None


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus: a request's head must arrive within `head_timeout`
    seconds of the connection (or of the previous response), and a body may not pause for
    longer than `body_idle` seconds. uvicorn alone waits forever for a slow client."""

    head_timeout = 10.0
    body_idle = 30.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._guard: asyncio.TimerHandle | None = None
        self._arm(self.head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.SEND_BODY:
            self._arm(self.body_idle)
        elif self.conn.their_state is not h11.IDLE:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm(self.head_timeout)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._guard = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        guard = getattr(self, "_guard", None)
        if guard is not None:
            guard.cancel()
            self._guard = None

    def _expired(self) -> None:
        self._guard = None
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY and self.flow.read_paused:
            self._arm(self.body_idle)  # the app is slow to read, not the client to send
        elif state in (h11.IDLE, h11.SEND_BODY):
            self.transport.close()


def guarded_protocol(settings: ServerSettings) -> type[GuardedH11Protocol]:
    """The protocol class with this server's time limits."""
    return type(
        "KaoheH11Protocol",
        (GuardedH11Protocol,),
        {"head_timeout": settings.head_timeout_s, "body_idle": settings.body_idle_s},
    )
