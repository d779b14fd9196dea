"""Benchmark: the per-day facts — built from scratch, answering a month when fresh, and after
one more day is imported — each next to its plain alternative (the month on demand).

    python benchmarks/facts_bench.py --store /tmp/perf/1000000/bench_all.duckdb \\
        [--dir /tmp/kaohe-facts-bench] [--day 2026-10-31]

`--store` is a store made by `kpi_bench.py --catalogue all` (generated messages, orders,
refunds, ratings…); it is copied, cut at the end of `--day`'s month, and `--day`'s rows of every
dated table are held back as "the new day". Phases, each in its own process (peak RSS is the
phase's own), back to back on the copy:

- scratch:  facts of the month without the new day, from nothing (refresh_facts)
- fresh:    the whole catalogue per agent for the month from those fresh facts
- plain:    the same computed on demand (use_facts=False): what a read costs without facts
- new_day:  the new day's rows inserted (an import), then the month from the facts, which
            refreshes the days the new rows make stale
- rebuild:  on a second copy with the new day: every fact dropped, rebuilt, the month read
- late_chats: on that copy (facts fresh), 1,000 more chat messages of the day before the new
            day (a late chat export, no orders), then the month from the facts

Prints one JSON line per phase (wall and CPU seconds, peak RSS, days refreshed) and a summary.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

# every dated table the generator fills, with the column that dates its rows
DATED = {
    "messages": "time",
    "orders": "created_at",
    "refunds": "applied_at",
    "ratings": "time",
    "agent_status": "start",
    "service_orders": "applied_at",
    "tickets": "received_at",
}
FACT_TABLES = ("metric_facts", "metric_facts_days", "metric_facts_sources")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def open_store(db: Path):  # noqa: ANN201 - kaohe.store.Store
    from kaohe.config import DEFAULT_MEMORY_LIMIT
    from kaohe.store import Store

    store = Store(db, memory_limit=DEFAULT_MEMORY_LIMIT)
    store.con.execute("SET threads = 2")
    store.con.execute(f"SET temp_directory = '{db.parent / 'spill'}'")
    return store


def month_of(day: date):  # noqa: ANN201 - kaohe.engine.periods.Period
    from kaohe.engine.periods import parse_period

    return parse_period(f"{day:%Y-%m}")


def prepare(source: Path, work: Path, day: date) -> None:
    """The copy cut after `day`, with `day`'s rows moved to parquet files (the new day)."""
    import duckdb

    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    shutil.copy(source, work / "base.duckdb")
    with duckdb.connect(str(work / "base.duckdb")) as con:
        start, end = datetime.combine(day, datetime.min.time()), day + timedelta(days=1)
        for table, column in DATED.items():
            con.execute(f"DELETE FROM {table} WHERE {column} >= ?", [end])
            held = work / f"new_{table}.parquet"
            con.execute(
                f"COPY (SELECT * FROM {table} WHERE {column} >= ?) TO '{held}' (FORMAT parquet)",
                [start],
            )
            con.execute(f"DELETE FROM {table} WHERE {column} >= ?", [start])
        for table in FACT_TABLES:
            con.execute(f"DELETE FROM {table}")
        con.execute("CHECKPOINT")
    open_store(work / "base.duckdb").close()  # migrated once, outside the timings


def import_new_day(store, work: Path) -> int:  # noqa: ANN001 - kaohe.store.Store
    """The held rows back into the store, as an import of one more day would add them."""
    added = 0
    for table in DATED:
        held = work / f"new_{table}.parquet"
        store.con.execute(f"INSERT INTO {table} SELECT * FROM read_parquet('{held}')")
        added += store.con.execute(f"SELECT count(*) FROM read_parquet('{held}')").fetchone()[0]
    return added


def drop_facts(store) -> None:  # noqa: ANN001 - kaohe.store.Store
    for table in FACT_TABLES:
        store.con.execute(f"DELETE FROM {table}")
    exists = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'metric_fact_row_sets'"
    ).fetchone()[0]
    if exists:  # the row tables of the stored medians (schema 22)
        for (table,) in store.con.execute("SELECT tbl FROM metric_fact_row_sets").fetchall():
            store.con.execute(f'DROP TABLE IF EXISTS "{table}"')
        store.con.execute("DELETE FROM metric_fact_row_sets")


def import_late_chats(store, day: date) -> int:  # noqa: ANN001 - kaohe.store.Store
    """1,000 copies of the day before's messages under new keys: a chat file imported late."""
    before = day - timedelta(days=1)
    store.con.execute(
        "INSERT INTO messages SELECT * REPLACE (msg_key || '-late' AS msg_key) FROM messages "
        "WHERE CAST(time AS DATE) = ? ORDER BY msg_key LIMIT 1000",
        [before],
    )
    return 1000


def read_month(store, day: date, use_facts: bool) -> list[dict]:  # noqa: ANN001
    from kaohe.engine import compute_kpis

    return compute_kpis(store, by="agent", period=month_of(day), use_facts=use_facts)


def phase(name: str, work: Path, day: date) -> dict:
    from kaohe.engine.facts import refresh_facts, stale_days

    db = work / (
        "base.duckdb" if name in ("scratch", "fresh", "plain", "new_day") else "rebuild.duckdb"
    )
    store = open_store(db)
    out: dict = {"phase": name}
    if name in ("new_day", "rebuild"):
        out["rows_added"] = import_new_day(store, work)
    if name == "rebuild":
        drop_facts(store)
    if name == "late_chats":
        out["rows_added"] = import_late_chats(store, day)
    if name in ("new_day", "late_chats"):
        out["days_refreshed"] = len(stale_days(store, month_of(day)))
    t0, c0 = time.perf_counter(), cpu_s()
    if name == "scratch":
        out["days_refreshed"] = len(refresh_facts(store))
    elif name == "rebuild":
        out["days_refreshed"] = len(refresh_facts(store))
        rows = read_month(store, day, use_facts=True)
    else:
        rows = read_month(store, day, use_facts=name != "plain")
    out.update(wall_s=time.perf_counter() - t0, cpu_s=cpu_s() - c0, peak_rss_mb=peak_rss_mb())
    if name != "scratch":
        sales = sum(r.get("sales_amount") or 0 for r in rows)
        medians = [r["median_response_s"] for r in rows if r.get("median_response_s")]
        out.update(agents=len(rows), sales_amount=round(sales, 2), median_sum=sum(medians))
    store.close()
    return out


def child(name: str, work: Path, day: date) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--dir", str(work), "--day", str(day)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, help="a kpi_bench --catalogue all store")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/kaohe-facts-bench"))
    ap.add_argument("--day", type=date.fromisoformat, default=date(2026, 10, 31))
    ap.add_argument("--phase", default=None)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.dir, args.day), default=str))
        return
    prepare(args.store, args.dir, args.day)
    results = {}
    for name in ("scratch", "fresh", "plain"):
        results[name] = child(name, args.dir, args.day)
        print(json.dumps(results[name]), flush=True)
    shutil.copy(args.dir / "base.duckdb", args.dir / "rebuild.duckdb")
    for name in ("new_day", "rebuild", "late_chats"):
        results[name] = child(name, args.dir, args.day)
        print(json.dumps(results[name]), flush=True)
    plain, fresh = results["plain"]["wall_s"], results["fresh"]["wall_s"]
    new_day, rebuild = results["new_day"]["wall_s"], results["rebuild"]["wall_s"]
    print(f"fresh facts answering the month: {fresh:.1f} s (on demand: {plain:.1f} s)")
    print(
        f"one more day, then the month from facts: {new_day:.1f} s "
        f"({results['new_day']['days_refreshed']} days refreshed; from scratch: {rebuild:.1f} s, "
        f"ratio {new_day / rebuild:.2f})"
    )
    late = results["late_chats"]
    print(
        f"a late chat file, then the month from facts: {late['wall_s']:.1f} s "
        f"({late['days_refreshed']} days refreshed)"
    )


if __name__ == "__main__":
    main()
