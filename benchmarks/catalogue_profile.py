"""Where the whole-catalogue run spends its time: every DuckDB statement the engine issues,
with the CPU seconds this process used while it ran, largest first.

    python benchmarks/catalogue_profile.py /tmp/kaohe-bench/10000000/bench_all.duckdb \
        [--by agent] [--top 25] [--rows rows.json]

The store is one kpi_bench.py built (`--catalogue all`). CPU seconds rather than wall time:
on a shared machine they move less with the other processes' load. `--rows` writes the metric
rows, to compare two versions of the engine value by value.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MONTH = "2026-10"
Log = list[tuple[str, float, str]]
SPACES = re.compile(r"\s+")


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def instrument(log: Log) -> None:
    """Wrap the Ibis DuckDB backend's statement entry points to time each statement."""
    from ibis.backends.duckdb import Backend

    def wrap(name: str) -> None:
        original: Callable[..., Any] = getattr(Backend, name)

        def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
            c0 = cpu_s()
            try:
                return original(self, *args, **kwargs)
            finally:
                expr = args[1] if name == "create_table" and len(args) > 1 else kwargs.get("obj")
                expr = args[0] if name != "create_table" and args else expr
                try:
                    sql = expr if isinstance(expr, str) else str(self.compile(expr))
                except Exception:  # noqa: BLE001 — a label only; never fail the run for it
                    sql = repr(expr)[:200]
                log.append((name, cpu_s() - c0, sql))

        setattr(Backend, name, timed)

    for name in ("create_table", "to_pyarrow", "execute"):
        wrap(name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--by", default="agent")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--rows", default=None, help="write the metric rows here (JSON)")
    args = ap.parse_args()
    log: Log = []
    instrument(log)
    from kaohe.config import DEFAULT_MEMORY_LIMIT
    from kaohe.engine import compute_kpis
    from kaohe.engine.periods import parse_period
    from kaohe.store import Store

    db = Path(args.db)
    store = Store(db, memory_limit=DEFAULT_MEMORY_LIMIT)
    store.con.execute("SET threads = 2")
    store.con.execute("SET preserve_insertion_order = false")
    store.con.execute(f"SET temp_directory = '{db.parent / 'spill'}'")
    t0, c0 = time.perf_counter(), cpu_s()
    rows = compute_kpis(store, by=args.by, period=parse_period(MONTH), use_facts=False)
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    in_sql = sum(seconds for _, seconds, _ in log)
    print(f"wall {wall:.1f} s, cpu {cpu:.1f} s, peak RSS {peak:.0f} MB")
    print(f"{len(log)} statements, {in_sql:.1f} cpu s in them; the rest is Python")
    for name, seconds, sql in sorted(log, key=lambda x: -x[1])[: args.top]:
        print(f"{seconds:7.2f} {name:12s} {SPACES.sub(' ', sql)[:140]}")
    if args.rows:
        Path(args.rows).write_text(json.dumps(rows, default=str, ensure_ascii=False))


if __name__ == "__main__":
    main()
