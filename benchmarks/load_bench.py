"""Load test of `kaohe serve` on the demo store, over real HTTP on the loopback only.

    python benchmarks/load_bench.py [--users 50] [--seconds 60] [--think 1.0]
                                    [--dir /tmp/kaohe-load-bench] [--runs abcde]

Builds the demo store (kaohe demo) once, starts `kaohe serve` on it in a subprocess, logs in
`--users` browser sessions and has each browse like a person: request a page (the overview,
the ranking, an agent's page or a conversation, at random), wait `--think` seconds ± 50 %,
again. Runs, each bounded in time: (a) the pages, after one visit to each (a server that
has been up); (b) the same while an import of a freshly generated month of chats runs through
the web upload (its commit changes the data version, so the run also covers the
recomputation that follows); (c) `--users` API clients with a bearer token (KPIs, scores,
findings, alerts); (d) the same while another month is imported; (e) for scale, the users
fetching a static file. The store is copied from a pristine demo store for every run.
Prints p50 / p95 / p99 latency, errors and requests per second per run, the imports'
durations, the server's CPU seconds and the load average per run, and the server's peak RSS
(VmHWM). Every request goes to 127.0.0.1, every loop
stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

USER, PASSWORD = "bench_supervisor", "bench-password-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SRC = Path(__file__).resolve().parents[1] / "src"


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0  # the server's CPU seconds during the run (and the import it waits for)
    load: tuple[float, float] = (0.0, 0.0)  # 1-min load average at its start and end

    def line(self) -> str:
        lat = sorted(self.latencies) or [float("nan")]

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))]

        rate = len(self.latencies) / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<34} {len(self.latencies):>6} {len(self.errors):>6} {rate:>7.1f} "
            f"{statistics.median(lat) * 1000:>8.0f} {pct(0.95) * 1000:>8.0f} "
            f"{pct(0.99) * 1000:>8.0f} {max(lat) * 1000:>8.0f} {self.cpu:>7.1f} "
            f"{self.load[0]:>5.1f}→{self.load[1]:<5.1f}"
        )


def kaohe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kaohe", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=False,
    )


def prepare(directory: Path) -> tuple[Path, list[Path]]:
    """The demo store with a supervisor (and an API token for it), kept pristine and copied
    for each run; two fresh months of chats to import (one per run with an import)."""
    import shutil

    pristine = directory / "pristine.duckdb"
    if not pristine.exists():
        built = directory / "demo"
        result = kaohe("demo", "--dir", str(built))
        if result.returncode != 0:
            sys.exit(f"kaohe demo failed: {result.stderr}")
        db = built / "kaohe.duckdb"
        kaohe("--db", str(db), "users", "add", USER, "--role", "supervisor", "--password", PASSWORD)
        token = kaohe("--db", str(db), "users", "token", USER).stdout.strip()
        (directory / "token").write_text(token)
        checkpoint(db)
        shutil.copy(db, pristine)
    db = directory / "kaohe.duckdb"
    for stale in (db, Path(f"{db}.wal"), Path(f"{db}.server.json")):
        stale.unlink(missing_ok=True)
    shutil.copy(pristine, db)
    uploads = []
    for month, seed in ((9, 7), (8, 8)):
        folder = directory / f"import-{month}"
        found = sorted(folder.glob("messages*"))
        if not found:
            from datetime import date

            sys.path.insert(0, str(SRC))
            from kaohe.demo.generate import generate

            files = generate(
                folder, messages=20000, seed=seed, start=date(2026, month, 1), days=30, fmt="csv"
            )
            found = [Path(files["messages"])]
        uploads.append(found[0])
    return db, uploads


def checkpoint(db: Path) -> None:
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("CHECKPOINT")


def targets(db: Path) -> tuple[list[str], list[str]]:
    """Agent ids and conversation keys (two sessions per agent, the latest) to browse."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        agents = [r[0] for r in con.execute("SELECT agent FROM agents ORDER BY agent").fetchall()]
        keys = [
            r[0]
            for r in con.execute(
                "SELECT msg_key FROM (SELECT msg_key, row_number() OVER (PARTITION BY agent "
                "ORDER BY time DESC) AS n FROM messages WHERE agent IS NOT NULL AND "
                "sender = 'buyer') WHERE n IN (1, 40)"
            ).fetchall()
        ]
    return agents, keys


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_s(pid: int) -> float:
    """The server's CPU seconds so far (user + system, every thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(found.group(1)) / 1024 if found else float("nan")


async def log_in(client: httpx.AsyncClient) -> None:
    token = CSRF.search((await client.get("/login")).text).group(1)
    response = await client.post(
        "/login", data={"username": USER, "password": PASSWORD, "csrf_token": token, "next": "/"}
    )
    if response.status_code != 303:
        raise RuntimeError(f"login failed: {response.status_code}")


async def browse(
    client: httpx.AsyncClient, paths: list[str], run: Run, until: float, think: float
) -> None:
    rng = random.Random(id(client))
    while time.monotonic() < until:
        path = rng.choice(paths)
        began = time.monotonic()
        try:
            response = await client.get(path)
            if response.status_code != 200:
                run.errors.append(f"{path}: {response.status_code}")
            else:
                run.latencies.append(time.monotonic() - began)
        except httpx.HTTPError as exc:
            run.errors.append(f"{path}: {type(exc).__name__}")
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def phase(
    clients: list[httpx.AsyncClient], paths: list[str], name: str, seconds: float, think: float
) -> Run:
    run = Run(name)
    began = time.monotonic()
    until = began + seconds
    await asyncio.gather(*(browse(c, paths, run, until, think) for c in clients))
    run.seconds = time.monotonic() - began
    return run


async def upload(base: str, path: Path) -> float:
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        await log_in(client)
        token = CSRF.search((await client.get("/imports")).text).group(1)
        began = time.monotonic()
        response = await client.post(
            "/imports",
            data={"csrf_token": token},
            files={"files": (path.name, path.read_bytes(), "text/csv")},
        )
        if response.status_code != 200:
            raise RuntimeError(f"import failed: {response.status_code}")
        return time.monotonic() - began


API_PATHS = [
    "/api/v1/kpis?period=2026-10&metrics=rounds,reply_rate,taobao_avg_response_s",
    "/api/v1/kpis?period=2026-10&by=team",
    "/api/v1/scores?period=2026-10",
    "/api/v1/findings?period=2026-10&limit=50",
    "/api/v1/alerts?limit=50",
    "/api/v1/me",
]


async def main_async(
    args: argparse.Namespace, base: str, pid: int, uploads: list[Path], browsed: tuple
) -> None:
    db = Path(args.dir) / "kaohe.duckdb"
    agents, keys = browsed
    pages = ["/", "/ranking"]
    paths = (
        pages * 10
        + [f"/agents/{a}" for a in agents]
        + [f"/conversation?msg={k}" for k in keys][: 2 * len(agents)]
    )
    api_paths = API_PATHS + [f"/api/v1/kpis?period=2026-10&agent={a}" for a in agents[:10]]
    limits = httpx.Limits(max_connections=args.users * 2)
    clients = [
        httpx.AsyncClient(base_url=base, timeout=120, limits=limits) for _ in range(args.users)
    ]
    token = (Path(args.dir) / "token").read_text().strip()
    api_clients = [
        httpx.AsyncClient(
            base_url=base,
            timeout=120,
            limits=limits,
            headers={"Authorization": f"Bearer {token}"},
        )
        for _ in range(args.users)
    ]
    runs, imports = [], []
    try:
        gate = asyncio.Semaphore(4)  # argon2 per login: log the users in a few at a time

        async def gated(client: httpx.AsyncClient) -> None:
            async with gate:
                await log_in(client)

        await asyncio.gather(*(gated(c) for c in clients))
        began = time.monotonic()
        warm_errors = []
        api = any(run in args.runs for run in "cd")
        for client, visit in ((clients[0], paths), (api_clients[0], api_paths if api else [])):
            for path in dict.fromkeys(visit):  # one visit each: a server that has been up
                try:
                    await client.get(path)
                except httpx.HTTPError as exc:
                    warm_errors.append(f"{path}: {type(exc).__name__}")
        warm = time.monotonic() - began
        for name, users, targets_, upload_file in (
            ("pages (a)", clients, paths, None),
            ("pages while importing (b)", clients, paths, uploads[0]),
            ("API (c)", api_clients, api_paths, None),
            ("API while importing (d)", api_clients, api_paths, uploads[1]),
        ):
            if name[-2] not in args.runs:
                continue
            importing = asyncio.create_task(upload(base, upload_file)) if upload_file else None
            cpu, load = cpu_s(pid), os.getloadavg()[0]
            runs.append(await phase(users, targets_, name, args.seconds, args.think))
            if importing is not None:
                imports.append(await importing)
            runs[-1].cpu, runs[-1].load = cpu_s(pid) - cpu, (load, os.getloadavg()[0])
        if "e" in args.runs:
            runs.append(
                await phase(
                    clients,
                    ["/static/kaohe.css"],
                    "static file, for scale (e)",
                    args.seconds / 4,
                    args.think,
                )
            )
    finally:
        await asyncio.gather(*(c.aclose() for c in [*clients, *api_clients]))
    print(f"store: {db}  users: {args.users}  think: {args.think} s ± 50 %  pages: {len(paths)}")
    print(f"nproc: {os.cpu_count()}  load average at the end: {os.getloadavg()}")
    print(
        f"warm-up (one visit per page and API path, sequential): {warm:.1f} s; imports of "
        f"~20,000 chat messages: {', '.join(f'{s:.1f} s' for s in imports)}"
    )
    print(
        f"{'run':<34} {'reqs':>6} {'errors':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'cpu s':>7} load"
    )
    for error in warm_errors:
        print(f"    warm-up error: {error}")
    for run in runs:
        print(run.line())
        for error in sorted(set(run.errors))[:5]:
            print(f"    error: {error}")
    print(f"server peak RSS (VmHWM): {peak_rss_mb(pid):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between pages")
    parser.add_argument("--dir", default="/tmp/kaohe-load-bench")
    parser.add_argument(
        "--runs", default="abcde", help="which runs, e.g. ab: the pages alone and while importing"
    )
    args = parser.parse_args()
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    db, uploads = prepare(directory)
    browsed = targets(db)  # read before the server holds the store
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kaohe", "--db", str(db), "serve", "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stdout=subprocess.DEVNULL,
        stderr=(directory / "server.log").open("w"),  # its JSON log lines, never a full pipe
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit(f"kaohe serve did not start: see {directory / 'server.log'}")
            time.sleep(0.3)
        asyncio.run(main_async(args, base, server.pid, uploads, browsed))
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
