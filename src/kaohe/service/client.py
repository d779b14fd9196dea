"""How the CLI finds and reaches a server that holds the store (issue 18, one writer).

`kaohe serve` writes `<store>.server.json` (mode 0600, beside the store like its key file):
its process id, its URL on the loopback and a local key made for this run. A CLI command on
the same machine that needs the store reads it:

- commands that write and can go through the server (`kaohe import`, `kaohe users …`,
  `kaohe qa run`, `kaohe alerts ack|assign|comment|resolve`, `kaohe backup`) and `kaohe kpi`
  send their work to its API with the local key (acting as the local administrator,
  `kaohe-cli` in the audit log) or with `$KAOHE_TOKEN` (acting as that token's user);
- commands that only read (score, pay, check, qa findings, alerts list …) read a `snapshot`:
  a consistent copy the server makes of the store (as `kaohe backup` does), opened by the
  command as it would open the store, and deleted when it ends — the same code, the same
  output as without a server;
- every other command says in one line that the server holds the store (ServerHoldsStore,
  exit 4) instead of failing on DuckDB's lock.

The file is removed when the server stops; a file left by a server that died is recognised
by its process id and ignored."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaohe.errors import EXIT_STORE_BUSY, KaoheError, NotFoundError, StoreError, UsageError

SUFFIX = ".server.json"
TIMEOUT_S = 600.0  # an import of a large file runs this long at most before the CLI gives up


class ServerHoldsStore(StoreError):
    """The store is held by a running `kaohe serve`: this command cannot open it."""

    def __init__(self, info: ServerInfo, db: str) -> None:
        super().__init__(
            f"数据库由运行中的 kaohe serve 持有（PID {info.pid}，{info.url}）：此命令需在服务器"
            f"停止后运行，或在网页/API 中完成 / the store {db} is held by a running kaohe serve "
            f"(PID {info.pid} at {info.url}): stop it to run this command, or use the web app "
            "or its API (imports, qa run, users, alert actions and backups go through it by "
            "themselves, reads use a snapshot: docs/production.md)",
            EXIT_STORE_BUSY,
        )


@dataclass
class ServerInfo:
    pid: int
    url: str
    key: str


def server_file(db: str | Path) -> Path:
    return Path(f"{db}{SUFFIX}")


def announce(db: str | Path, url: str) -> ServerInfo:
    """Write the server file of this process (a new local key); returns what it holds."""
    info = ServerInfo(os.getpid(), url, secrets.token_urlsafe(32))
    path = server_file(db)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"pid": info.pid, "url": info.url, "key": info.key}, out)
    partial.replace(path)
    return info


def withdraw(db: str | Path) -> None:
    """Remove the server file if it is this process's."""
    path = server_file(db)
    found = _read(path)
    if found is not None and found.pid == os.getpid():
        path.unlink(missing_ok=True)


def _read(path: Path) -> ServerInfo | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return ServerInfo(int(raw["pid"]), str(raw["url"]), str(raw["key"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is no client of itself
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def running_server(db: str | Path) -> ServerInfo | None:
    """The server holding the store at `db`, if one runs (its file names a live process)."""
    if str(db) == ":memory:":
        return None
    info = _read(server_file(db))
    return info if info is not None and _alive(info.pid) else None


def refuse_if_served(db: str | Path) -> None:
    """ServerHoldsStore when a server runs on `db` (for commands that cannot go through it)."""
    info = running_server(db)
    if info is not None:
        raise ServerHoldsStore(info, str(db))


class ApiClient:
    """Calls of the server's /api/v1 with a bearer token; errors become the server's one
    line (its `detail`) as a KaoheError with the matching exit code."""

    def __init__(self, info: ServerInfo, token: str | None = None) -> None:
        self.info = info
        self.token = token or os.environ.get("KAOHE_TOKEN") or info.key

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"}
        url = self.info.url.rstrip("/") + "/api/v1" + path
        try:
            response = httpx.request(method, url, headers=headers, timeout=TIMEOUT_S, **kwargs)
        except httpx.HTTPError as exc:
            raise StoreError(
                f"无法连接持有数据库的服务器 / cannot reach the server holding the store at "
                f"{self.info.url}: {type(exc).__name__}",
                EXIT_STORE_BUSY,
            ) from None
        if response.status_code >= 400:
            raise _api_error(response)
        return response.json()

    def get(self, path: str, params: Any = None) -> Any:
        return self._call("GET", path, params=params)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> Any:
        return self._call("POST", path, json=json_body, **kwargs)

    def put(self, path: str, json_body: Any = None) -> Any:
        return self._call("PUT", path, json=json_body)

    def delete(self, path: str) -> Any:
        return self._call("DELETE", path)


def _api_error(response: Any) -> KaoheError:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text
    if not isinstance(detail, str):  # a validation error: the fields
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in detail or []
        )
    text = f"{detail} (服务器 / server: HTTP {response.status_code})"
    if response.status_code == 404:
        return NotFoundError(text)
    if response.status_code in (401, 403):
        return UsageError(f"{text}: 令牌无效或无权限 / the token is invalid or not allowed")
    if response.status_code >= 500:
        return StoreError(text, EXIT_STORE_BUSY)
    return UsageError(text)


def snapshot(client: ApiClient) -> tuple[Path, Path]:
    """A consistent copy of the served store, made by the server into a new private folder
    (POST /api/v1/backups, as of one moment: every import committed before it, none after);
    returns the copy and its folder, which the caller deletes (`discard`)."""
    folder = Path(tempfile.mkdtemp(prefix="kaohe-snapshot-"))
    try:
        made = client.post("/backups", {"folder": str(folder)})
    except BaseException:
        discard(folder)
        raise
    return Path(made["path"]), folder


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
