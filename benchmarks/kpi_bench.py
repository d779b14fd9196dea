"""Benchmark: every metric of the response/workload engine per agent for a month.

    python benchmarks/kpi_bench.py --messages 10000000 [--dir /tmp/kaohe-bench]

Generates N messages (kaohe.demo.generate when importable, else a small numpy generator),
loads them into a DuckDB store, then — each phase in its own process so peak RSS is the
phase's own — computes every metric per agent for October 2026, the same response-time
definition plainly in pandas (groupby/shift), and the engine again without kaohe's memory
limit and under memory_limit=1GB. `--catalogue all` adds orders (topped up to `--orders`),
refunds, ratings… and a plain pandas version of the attribution rule.

    python benchmarks/kpi_bench.py --messages 10000000 --catalogue all [--orders 1000000]
    python benchmarks/kpi_bench.py --messages 10000000 --catalogue all --only engine,floor

The floor phase is the response pair written by hand in DuckDB SQL (FLOOR_SQL) on the same
store and settings: the engine's whole catalogue is read as a ratio to it. `--only` picks the
phases (each runs in its own process, back to back).

--catalogue all loads every generated table (orders topped up to --orders with shifted copies,
refunds, ratings, agent status, service orders, tickets) into its own store, computes the whole
catalogue, and also the default attribution rule (last touch in 48 h, paid within 3 days) plainly
in pandas (merge_asof), comparing total credited sales.
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


def cpu_s() -> float:
    """CPU seconds (user + system) this process has used: on a shared machine a steadier
    measure than wall time, which grows with the other processes' load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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
        "timedelta64[s]"
    )
    sizes = rng.integers(2, 15, conv)
    sizes = np.maximum(1, (sizes * n / sizes.sum()).astype(int))
    idx = np.repeat(np.arange(conv), sizes)
    pos = np.arange(len(idx)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    sender = np.where(pos % 2 == 0, "buyer", "agent")
    gaps = np.exp(rng.normal(3.5, 1.2, len(idx))).astype(int)
    offs = np.cumsum(gaps) - np.repeat(
        np.cumsum(gaps)[np.cumsum(sizes) - sizes] - gaps[np.cumsum(sizes) - sizes], sizes
    )
    table = pa.table(
        {
            "shop": np.char.add("shop", (idx % 7).astype(str)),
            "platform": np.full(len(idx), "taobao"),
            "buyer": np.char.add("b", (idx % (conv // 3 + 1)).astype(str)),
            "agent": np.char.add("agent", (idx % 40).astype(str)),
            "sender": sender,
            "time": start[idx] + offs.astype("timedelta64[s]"),
            "text": np.full(len(idx), "您好"),
            "msg_id": np.arange(len(idx)).astype(str),
            "auto_reply": rng.random(len(idx)) < 0.05,
            "msg_type": np.full(len(idx), "text"),
        }
    )
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
            "row_number() OVER () AS seq FROM read_parquet(?)",
            [str(directory / "messages.parquet")],
        )
        agents = directory / "agents.parquet"
        if agents.exists():
            store.con.execute(
                "INSERT INTO agents BY NAME SELECT * FROM read_parquet(?)", [str(agents)]
            )


TABLES = ("refunds", "agent_status", "service_orders", "tickets")  # loaded as they are


def orders_file(directory: Path, n: int) -> Path:
    """The generated orders topped up to n: copies of randomly sampled orders with a new id and
    created/paid/shipped/delivered/cancelled times shifted by the same 0–120 minutes."""
    import duckdb

    out = directory / f"orders_{n}.parquet"
    if out.exists():
        return out
    src = str(directory / "orders.parquet")
    con = duckdb.connect()
    have = con.execute("SELECT count(*) FROM read_parquet(?)", [src]).fetchone()[0]
    extra = max(n - have, 0)
    copies = -(-extra // have) if have else 0
    shifted = ", ".join(
        f"{c} + to_minutes(shift) AS {c}"
        for c in ("created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at")
    )
    con.execute(
        f"""
        COPY (
            SELECT * FROM read_parquet($src)
            UNION ALL BY NAME
            (SELECT * EXCLUDE (order_id, created_at, paid_at, shipped_at, delivered_at,
                               cancelled_at, copy, shift, pick),
                    concat(order_id, '-c', copy) AS order_id, {shifted}
             FROM (SELECT *, CAST(hash(order_id, copy, 'shift') % 121 AS INTEGER) AS shift,
                          hash(order_id, copy, 'pick') AS pick
                   FROM read_parquet($src), range($copies) AS c(copy))
             ORDER BY pick LIMIT $extra)
        ) TO '{out}' (FORMAT parquet)""",
        {"src": src, "copies": copies, "extra": extra},
    )
    return out


def load_all(directory: Path, db: Path, orders: int) -> None:
    """Every generated table present in the directory, into a store of its own."""
    import duckdb

    from kaohe.store import Store

    source = orders_file(directory, orders)
    if db.exists():  # reuse it when it holds the same orders the pandas phase reads
        with duckdb.connect(str(db), read_only=True) as con:
            same = con.execute(
                "SELECT (SELECT count(*) FROM orders) = (SELECT count(*) FROM read_parquet(?))",
                [str(source)],
            ).fetchone()[0]
        if same:
            return
        db.unlink()
    load(directory, db)
    with Store(db) as store:
        store.con.execute("INSERT INTO orders BY NAME SELECT * FROM read_parquet(?)", [str(source)])
        for table in TABLES:
            path = directory / f"{table}.parquet"
            if path.exists():
                store.con.execute(
                    f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [str(path)]
                )
        ratings = directory / "ratings.parquet"
        if ratings.exists():
            store.con.execute(
                "INSERT INTO ratings BY NAME SELECT *, level AS level_label, coalesce(rating_id, "
                "md5(concat_ws('|', shop, buyer, agent, time, level))) AS rating_key "
                "FROM read_parquet(?)",
                [str(ratings)],
            )


PART1 = ("Reception and workload", "Response", "Named platform instances")


def catalogue_ids(catalogue: str) -> list[str]:
    """part1: the reception/workload/response metrics (issue 3); all: the whole catalogue."""
    from kaohe.engine.registry import all_metrics

    return [m.id for m in all_metrics() if catalogue == "all" or m.section in PART1]


def phase_engine(db: Path, memory_limit: str | None, catalogue: str = "part1") -> dict:
    from kaohe.config import DEFAULT_MEMORY_LIMIT
    from kaohe.engine import compute_kpis
    from kaohe.engine.periods import parse_period
    from kaohe.store import Store

    limit = {"default": DEFAULT_MEMORY_LIMIT, "none": None}.get(
        memory_limit or "default", memory_limit
    )
    store = Store(db, memory_limit=limit)
    store.con.execute("SET threads = 2")
    store.con.execute("SET preserve_insertion_order = false")
    store.con.execute(f"SET temp_directory = '{db.parent / 'spill'}'")
    watcher = SpillWatcher(db.parent / "spill")
    watcher.start()
    t0, c0 = time.perf_counter(), cpu_s()
    rows = compute_kpis(
        store,
        by="agent",
        period=parse_period(MONTH),
        metrics=catalogue_ids(catalogue),
        use_facts=False,
    )
    wall = time.perf_counter() - t0
    spilled = watcher.stop()
    mean = [r["avg_response_s"] for r in rows if r["avg_response_s"] is not None]
    out = {
        "wall_s": wall,
        "cpu_s": cpu_s() - c0,
        "peak_rss_mb": peak_rss_mb(),
        "agents": len(rows),
        "metrics": len(rows[0]) - 1 if rows else 0,
        "spill_peak_mb": round(spilled / 1e6, 1),
        "mean_avg_response_s": sum(mean) / len(mean) if mean else None,
    }
    if rows and "sales_amount" in rows[0]:
        sales = [r["sales_amount"] for r in rows if r["sales_amount"]]
        out.update(sales_agents=len(sales), sales_amount=round(float(sum(sales)), 2))
    return out


FLOOR_SQL = """
WITH m AS (
    SELECT shop, buyer, agent, time, seq,
           sender = 'agent' AS is_agent, sender = 'buyer' AS is_buyer,
           sender = 'agent' AND coalesce(msg_type, 'text') <> 'withdrawn'
               AND NOT coalesce(auto_reply, false) AS is_reply
    FROM messages
    WHERE time >= TIMESTAMP '2026-09-29' AND time < TIMESTAMP '2026-11-03'
), filled AS (
    SELECT *,
        first_value(CASE WHEN is_reply THEN agent END IGNORE NULLS) OVER fwd AS next_agent,
        first_value(CASE WHEN is_reply THEN time END IGNORE NULLS) OVER fwd AS next_time,
        last_value(CASE WHEN is_agent THEN agent END IGNORE NULLS) OVER bwd AS prev_agent
    FROM m
    WINDOW fwd AS (PARTITION BY shop, buyer ORDER BY time, seq
                   ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING),
           bwd AS (PARTITION BY shop, buyer ORDER BY time, seq ROWS UNBOUNDED PRECEDING)
), assigned AS (
    SELECT shop, buyer, time, seq, is_buyer, is_reply,
        coalesce(agent, CASE WHEN next_time - time <= INTERVAL 24 HOUR THEN next_agent END,
                 prev_agent) AS agent
    FROM filled WHERE is_buyer OR is_reply
), runs AS (
    SELECT *, sum(is_reply::INT) OVER (PARTITION BY shop, buyer, agent ORDER BY time, seq
                                       ROWS UNBOUNDED PRECEDING) AS seg
    FROM assigned WHERE agent IS NOT NULL
), segs AS (
    SELECT shop, buyer, agent, seg, min(time) FILTER (is_buyer) AS start,
           min(time) FILTER (is_reply) AS reply_here
    FROM runs GROUP BY ALL
), rounds AS (
    SELECT agent, start,
           lead(reply_here) OVER (PARTITION BY shop, buyer, agent ORDER BY seg) AS reply
    FROM segs
)
SELECT agent, avg(epoch_ms(reply) - epoch_ms(start)) / 1000.0 AS avg_response_s
FROM rounds
WHERE start >= TIMESTAMP '2026-10-01' AND start < TIMESTAMP '2026-11-01'
  AND reply - start <= INTERVAL 24 HOUR
GROUP BY agent
"""


def phase_floor(db: Path) -> dict:
    """The floor: the response pair written by hand in DuckDB SQL, on the same store and
    settings as the engine — assign buyer rows their agent (next valid reply within 24 h,
    else the previous agent message), build rounds, mean response per agent. No hand-off,
    no long-run split, no other metric: what any implementation has to pay at least."""
    import duckdb

    from kaohe.config import DEFAULT_MEMORY_LIMIT

    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")
    if DEFAULT_MEMORY_LIMIT:
        con.execute(f"SET memory_limit = '{DEFAULT_MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{db.parent / 'spill'}'")
    t0, c0 = time.perf_counter(), cpu_s()
    rows = con.execute(FLOOR_SQL).fetchall()
    mean = [r[1] for r in rows if r[1] is not None]
    return {
        "wall_s": time.perf_counter() - t0,
        "cpu_s": cpu_s() - c0,
        "peak_rss_mb": peak_rss_mb(),
        "agents": len(rows),
        "mean_avg_response_s": sum(mean) / len(mean) if mean else None,
    }


def phase_pandas(directory: Path) -> dict:
    """avg response per agent: a round starts at the first buyer message after a valid reply
    and ends at the next valid reply (no horizon, no hand-off)."""
    import pandas as pd

    t0 = time.perf_counter()
    m = pd.read_parquet(
        directory / "messages.parquet",
        columns=["shop", "buyer", "agent", "sender", "time", "auto_reply", "msg_type"],
    )
    reply = (m.sender == "agent") & ~m.auto_reply.fillna(False) & (m.msg_type != "withdrawn")
    m = m[(m.sender == "buyer") | reply].assign(reply=reply)
    m = m.sort_values(["shop", "buyer", "agent", "time"], kind="stable")
    key = [m.shop, m.buyer, m.agent]
    m["seg"] = m.groupby(key)["reply"].cumsum()
    prev_reply = m.groupby(key)["reply"].shift(fill_value=True)
    m["start"] = m.time.where((m.sender == "buyer") & prev_reply)
    m["start"] = m.groupby([m.shop, m.buyer, m.agent, m.seg])["start"].transform("first")
    prev_start = m.groupby(key)["start"].shift()
    answered = m[m.reply & prev_start.notna() & ~m.groupby(key)["reply"].shift(fill_value=True)]
    start = prev_start[answered.index]
    resp = (answered.time - start).dt.total_seconds()
    month = (start.dt.strftime("%Y-%m") == MONTH) & (resp <= 86400)  # the 24 h horizon
    per_agent = resp[month].groupby(answered.agent[month]).mean()
    return {
        "wall_s": time.perf_counter() - t0,
        "peak_rss_mb": peak_rss_mb(),
        "agents": int(per_agent.size),
        "mean_avg_response_s": float(per_agent.mean()),
    }


def phase_pandas_attribution(directory: Path, orders: Path) -> dict:
    """Credited sales per agent under the default rule: touches are valid replies from the
    shop to the buyer in [created_at − 48 h, created_at); the last one's agent is credited; an
    order counts when paid within 3 days of creation, dated by payment."""
    import pandas as pd

    t0 = time.perf_counter()
    m = pd.read_parquet(
        directory / "messages.parquet",
        columns=["shop", "buyer", "agent", "sender", "time", "auto_reply", "msg_type"],
    )
    reply = (m.sender == "agent") & ~m.auto_reply.fillna(False) & (m.msg_type != "withdrawn")
    r = m.loc[reply, ["shop", "buyer", "agent", "time"]]
    del m
    # stable: among replies at the same instant the later row (higher seq) is the last touch
    r = r.sort_values("time", kind="stable")
    o = pd.read_parquet(
        orders, columns=["order_id", "shop", "buyer", "created_at", "paid_at", "amount"]
    )
    r["time"] = r.time.astype("datetime64[us]")  # merge_asof wants one resolution
    o = o.astype({"created_at": "datetime64[us]", "paid_at": "datetime64[us]"})
    o = o.sort_values("created_at", kind="stable")
    a = pd.merge_asof(
        o,
        r,
        left_on="created_at",
        right_on="time",
        by=["shop", "buyer"],
        direction="backward",
        tolerance=pd.Timedelta(hours=48),
        allow_exact_matches=False,
    )
    paid = a.paid_at.notna() & (a.paid_at <= a.created_at + pd.Timedelta(days=3))
    month = a.paid_at.dt.strftime("%Y-%m") == MONTH
    credited = a[paid & month & a.agent.notna()]
    per_agent = credited.groupby("agent")["amount"].sum()
    return {
        "wall_s": time.perf_counter() - t0,
        "peak_rss_mb": peak_rss_mb(),
        "orders": len(o),
        "credited_orders": len(credited),
        "agents": int(per_agent.size),
        "sales_amount": round(float(per_agent.sum()), 2),
    }


def child(phase: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *args], capture_output=True, text=True
    )
    if out.returncode != 0:
        return {"failed": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=10_000_000)
    ap.add_argument("--dir", default="/tmp/kaohe-bench")
    ap.add_argument("--catalogue", choices=("part1", "all"), default="part1")
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--phase", default=None)
    ap.add_argument(
        "--only",
        default="engine,floor,unbounded,attribution,pandas,1gb",
        help="comma-separated phases to run (engine, floor, unbounded, attribution, pandas, 1gb)",
    )
    ap.add_argument(
        "--memory-limit",
        default="default",
        help="DuckDB memory_limit: default (kaohe's), none (DuckDB's), or e.g. 1GB",
    )
    args = ap.parse_args()
    directory = Path(args.dir) / str(args.messages)
    db = directory / ("bench.duckdb" if args.catalogue == "part1" else "bench_all.duckdb")
    if args.phase == "engine":
        print(json.dumps(phase_engine(db, args.memory_limit, args.catalogue)))
        return
    if args.phase == "floor":
        print(json.dumps(phase_floor(db)))
        return
    if args.phase == "pandas":
        print(json.dumps(phase_pandas(directory)))
        return
    if args.phase == "attribution":
        print(json.dumps(phase_pandas_attribution(directory, orders_file(directory, args.orders))))
        return
    t0 = time.perf_counter()
    ensure_data(directory, args.messages)
    if args.catalogue == "all":
        load_all(directory, db, args.orders)
    else:
        load(directory, db)
    print(f"data ready in {time.perf_counter() - t0:.1f} s: {directory} ({db.name})")
    common = [
        "--messages",
        str(args.messages),
        "--dir",
        args.dir,
        "--catalogue",
        args.catalogue,
        "--orders",
        str(args.orders),
    ]
    only = set(args.only.split(","))
    engine = child("engine", *common) if "engine" in only else {}
    print(f"engine (kaohe default memory_limit) : {engine}")
    if "floor" in only:
        floor = child("floor", *common)
        print(f"floor (hand-written DuckDB SQL, response pair): {floor}")
        if "wall_s" in engine and "wall_s" in floor:
            print(
                f"ratio engine/floor wall: {engine['wall_s'] / floor['wall_s']:.2f}, cpu: "
                f"{engine['cpu_s'] / floor['cpu_s']:.2f} "
                f"(engine: {engine['metrics']} metrics; floor: avg response only)"
            )
    if "unbounded" in only:
        unbounded = child("engine", *common, "--memory-limit", "none")
        print(f"engine (DuckDB default memory_limit): {unbounded}")
    if args.catalogue == "all" and "attribution" in only:
        attribution = child("attribution", *common)
        print(f"pandas attribution: {attribution}")
        if "wall_s" in engine and "wall_s" in attribution:
            gap = engine.get("sales_amount", 0.0) - attribution["sales_amount"]
            print(
                f"ratio engine/pandas-attribution wall: "
                f"{engine['wall_s'] / attribution['wall_s']:.2f} (engine: {engine['metrics']} "
                f"metrics; pandas: credited sales only)"
            )
            print(
                f"sales_amount {MONTH}: kaohe {engine.get('sales_amount')} vs pandas "
                f"{attribution['sales_amount']} (diff {gap:+.2f}, "
                f"{gap / (attribution['sales_amount'] or 1):+.4%})"
            )
    if "pandas" in only:
        plain = child("pandas", *common)
        print(f"pandas   : {plain}")
        if "wall_s" in engine and "wall_s" in plain:
            print(
                f"ratio engine/pandas wall: {engine['wall_s'] / plain['wall_s']:.2f} "
                f"(engine: {engine['metrics']} metrics; pandas: avg response only)"
            )
    if "1gb" in only:
        limited = child("engine", *common, "--memory-limit", "1GB")
        print(f"engine 1GB: {limited}")


if __name__ == "__main__":
    main()
