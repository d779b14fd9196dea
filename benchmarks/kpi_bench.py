"""Benchmark: every metric of the response/workload engine per agent for a month.

    python benchmarks/kpi_bench.py --messages 10000000 [--dir /tmp/kaohe-bench]

Generates N messages (kaohe.demo.generate when importable, else a small numpy generator),
loads them into a DuckDB store, then — each phase in its own process so peak RSS is the
phase's own — computes every metric per agent for October 2026, the same response-time
definition plainly in pandas (groupby/shift), and the engine again under memory_limit=1GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

MONTH = "2026-10"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class SpillWatcher(threading.Thread):
    """Samples the size of DuckDB's spill directory while the engine runs (its temporary
    files are gone by the end)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(daemon=True)
        self.directory, self.peak, self.done = directory, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak = max(self.peak, self.size())

    def size(self) -> int:
        total = 0
        for f in self.directory.glob("**/*"):
            try:
                total += f.stat().st_size if f.is_file() else 0
            except FileNotFoundError:  # DuckDB removed it meanwhile
                pass
        return total

    def stop(self) -> int:
        self.done.set()
        self.join()
        return self.peak


def numpy_messages(path: Path, n: int, seed: int = 0) -> None:
    """Fallback generator: buyers ask, agents answer after a lognormal delay."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    conv = max(n // 8, 1)
    start = np.datetime64("2026-10-01T00:00:00") + rng.integers(0, 31 * 86400, conv).astype(
        "timedelta64[s]")
    sizes = rng.integers(2, 15, conv)
    sizes = np.maximum(1, (sizes * n / sizes.sum()).astype(int))
    idx = np.repeat(np.arange(conv), sizes)
    pos = np.arange(len(idx)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    sender = np.where(pos % 2 == 0, "buyer", "agent")
    gaps = np.exp(rng.normal(3.5, 1.2, len(idx))).astype(int)
    offs = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[np.cumsum(sizes) - sizes] -
                                       gaps[np.cumsum(sizes) - sizes], sizes)
    table = pa.table({
        "shop": np.char.add("shop", (idx % 7).astype(str)), "platform": np.full(len(idx), "taobao"),
        "buyer": np.char.add("b", (idx % (conv // 3 + 1)).astype(str)),
        "agent": np.char.add("agent", (idx % 40).astype(str)), "sender": sender,
        "time": start[idx] + offs.astype("timedelta64[s]"), "text": np.full(len(idx), "您好"),
        "msg_id": np.arange(len(idx)).astype(str), "auto_reply": rng.random(len(idx)) < 0.05,
        "msg_type": np.full(len(idx), "text")})
    pq.write_table(table, path)


def ensure_data(directory: Path, n: int) -> Path:
    messages = directory / "messages.parquet"
    if messages.exists():
        return messages
    directory.mkdir(parents=True, exist_ok=True)
    try:
        from kaohe.demo.generate import generate

        generate(directory, messages=n, seed=0, fmt="parquet")
    except ImportError:
        numpy_messages(messages, n)
    return messages


def load(directory: Path, db: Path) -> None:
    from kaohe.store import Store

    if db.exists():
        return
    with Store(db) as store:
        store.con.execute(
            "INSERT INTO messages BY NAME SELECT *, msg_id AS msg_key, "
            "row_number() OVER () AS seq FROM read_parquet(?)", [str(directory /
                                                                      "messages.parquet")])
        agents = directory / "agents.parquet"
        if agents.exists():
            store.con.execute("INSERT INTO agents BY NAME SELECT * FROM read_parquet(?)",
                              [str(agents)])


def phase_engine(db: Path, memory_limit: str | None) -> dict:
    from kaohe.engine import compute_kpis
    from kaohe.engine.periods import parse_period
    from kaohe.store import Store

    store = Store(db, memory_limit=memory_limit)
    store.con.execute("SET threads = 2")
    store.con.execute("SET preserve_insertion_order = false")
    store.con.execute(f"SET temp_directory = '{db.parent / 'spill'}'")
    watcher = SpillWatcher(db.parent / "spill")
    watcher.start()
    t0 = time.perf_counter()
    rows = compute_kpis(store, by="agent", period=parse_period(MONTH), use_facts=False)
    wall = time.perf_counter() - t0
    spilled = watcher.stop()
    mean = [r["avg_response_s"] for r in rows if r["avg_response_s"] is not None]
    return {"wall_s": wall, "peak_rss_mb": peak_rss_mb(), "agents": len(rows),
            "metrics": len(rows[0]) - 1 if rows else 0, "spill_peak_mb": round(spilled / 1e6, 1),
            "mean_avg_response_s": sum(mean) / len(mean) if mean else None}


def phase_pandas(directory: Path) -> dict:
    """avg response per agent: a round starts at the first buyer message after a valid reply
    and ends at the next valid reply (no horizon, no hand-off)."""
    import pandas as pd

    t0 = time.perf_counter()
    m = pd.read_parquet(directory / "messages.parquet",
                        columns=["shop", "buyer", "agent", "sender", "time", "auto_reply",
                                 "msg_type"])
    reply = (m.sender == "agent") & ~m.auto_reply.fillna(False) & (m.msg_type != "withdrawn")
    m = m[(m.sender == "buyer") | reply].assign(reply=reply)
    m = m.sort_values(["shop", "buyer", "agent", "time"], kind="stable")
    key = [m.shop, m.buyer, m.agent]
    m["seg"] = m.groupby(key)["reply"].cumsum()
    prev_reply = m.groupby(key)["reply"].shift(fill_value=True)
    m["start"] = m.time.where((m.sender == "buyer") & prev_reply)
    m["start"] = m.groupby([m.shop, m.buyer, m.agent, m.seg])["start"].transform("first")
    prev_start = m.groupby(key)["start"].shift()
    answered = m[m.reply & prev_start.notna() & ~m.groupby(key)["reply"].shift(
        fill_value=True)]
    start = prev_start[answered.index]
    resp = (answered.time - start).dt.total_seconds()
    month = (start.dt.strftime("%Y-%m") == MONTH) & (resp <= 86400)  # the 24 h horizon
    per_agent = resp[month].groupby(answered.agent[month]).mean()
    return {"wall_s": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb(),
            "agents": int(per_agent.size), "mean_avg_response_s": float(per_agent.mean())}


def child(phase: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", phase, *args],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return {"failed": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=10_000_000)
    ap.add_argument("--dir", default="/tmp/kaohe-bench")
    ap.add_argument("--phase", default=None)
    ap.add_argument("--memory-limit", default=None)
    args = ap.parse_args()
    directory = Path(args.dir) / str(args.messages)
    db = directory / "bench.duckdb"
    if args.phase == "engine":
        print(json.dumps(phase_engine(db, args.memory_limit)))
        return
    if args.phase == "pandas":
        print(json.dumps(phase_pandas(directory)))
        return
    t0 = time.perf_counter()
    ensure_data(directory, args.messages)
    load(directory, db)
    print(f"data ready in {time.perf_counter() - t0:.1f} s: {directory}")
    engine = child("engine", "--messages", str(args.messages), "--dir", args.dir)
    print(f"engine   : {engine}")
    plain = child("pandas", "--messages", str(args.messages), "--dir", args.dir)
    print(f"pandas   : {plain}")
    if "wall_s" in engine and "wall_s" in plain:
        print(f"ratio engine/pandas wall: {engine['wall_s'] / plain['wall_s']:.2f} "
              f"(engine: {engine['metrics']} metrics; pandas: avg response only)")
    limited = child("engine", "--messages", str(args.messages), "--dir", args.dir,
                    "--memory-limit", "1GB")
    print(f"engine 1GB: {limited}")


if __name__ == "__main__":
    main()
