"""A running `kaohe serve` on a tiny store, for the tests of the always-on server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kaohe.store import Store
from tests.engine import fixtures as F
from tests.engine.conftest import fill

SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kaohe(db: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """`python -m kaohe --db DB ARGS…` in a process of its own (as a shop would run it)."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("KAOHE_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "kaohe", "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


@dataclass
class Served:
    db: Path
    url: str
    process: subprocess.Popen[str]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def tiny_store(folder: Path) -> Path:
    db = folder / "k.duckdb"
    with Store(db) as st:
        fill(st, F.ALL, F.ROSTER)
    return db


def start_server(db: Path, config: str | None = None) -> Served:
    port = free_port()
    args = [sys.executable, "-m", "kaohe", "--db", str(db)]
    if config is not None:
        path = db.parent / "kaohe.toml"
        path.write_text(config, encoding="utf-8")
        args += ["--config", str(path)]
    process = subprocess.Popen(
        [*args, "serve", "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    server_file = Path(f"{db}.server.json")
    while not server_file.exists():  # written once the server listens
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"kaohe serve did not start: {process.stderr.read()}")
        time.sleep(0.1)
    assert httpx.get(f"{url}/api/v1/health", timeout=30).json()["status"] == "ok"
    return Served(db, url, process)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = start_server(tiny_store(tmp_path))
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=30)
