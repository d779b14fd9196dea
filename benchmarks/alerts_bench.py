"""Alert evaluation on ~1,000 agents × one month: the scheduler's minute (clock rules, routing,
sending) and the delay from an import finishing to its alert being sent.

    python benchmarks/alerts_bench.py [--messages 1000000] [--agents 1000] [--minutes 10]
                                      [--dir /tmp/kaohe-alerts-bench]

The month is generated (benchmarks/generate_bench.py's generator) and loaded as-is, then every
agent is split into K agents by buyer so the roster reaches ~1,000 (as benchmarks/web_bench.py
does). The clock is set ten minutes after the last message, so the newest refunds, service
orders and tickets are pending. Printed next to each: a plain alternative, the deadline states
as one SQL query per table with no alert bookkeeping, and the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

RATING_KEYS = ", md5(concat_ws('|', shop, buyer, agent, time)) AS rating_key, level AS level_label"
TABLES = ("orders", "refunds", "ratings", "agents", "service_orders", "tickets", "agent_status")


def peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def build(directory: Path, messages: int, agents: int) -> Path:
    from kaohe.demo.generate import generate
    from kaohe.store import Store

    db = directory / "alerts_bench.duckdb"
    if db.exists():
        return db
    directory.mkdir(parents=True, exist_ok=True)
    paths = generate(directory, messages=messages, seed=0, days=31, fmt="parquet")
    with Store(db) as st:
        st.con.execute(
            "INSERT INTO messages BY NAME SELECT *, msg_id AS msg_key, "
            "row_number() OVER () AS seq, 0 AS import_id FROM read_parquet(?)",
            [str(paths["messages"])],
        )
        for table in TABLES:
            extra = RATING_KEYS if table == "ratings" else ""
            if table in paths:
                st.con.execute(
                    f"INSERT INTO {table} BY NAME SELECT *{extra} FROM read_parquet(?)",
                    [str(paths[table])],
                )
        fan_out(st, agents)
    return db


def fan_out(st: object, target: int) -> None:
    """Split every agent into K by buyer so the roster reaches about `target` agents."""
    have = st.con.execute("SELECT count(*) FROM agents").fetchone()[0]
    k = max(1, math.ceil(target / have))
    split = f"agent || '#' || (hash(buyer) % {k})"
    for table in ("messages", "ratings"):
        st.con.execute(f"UPDATE {table} SET agent = {split} WHERE agent IS NOT NULL")
    st.con.execute("CREATE TEMP TABLE roster AS SELECT * FROM agents")
    st.con.execute("DELETE FROM agents")
    st.con.execute(
        "INSERT INTO agents BY NAME SELECT roster.* REPLACE "
        f"(roster.agent || '#' || r.i AS agent) FROM roster, range({k}) AS r(i)"
    )
    for table in ("refunds", "service_orders", "tickets"):
        st.con.execute(f"UPDATE {table} SET agent = agent || '#0' WHERE agent IS NOT NULL")


PLAIN_SQL = (
    # refunds without response within 6 h of their 48 h, or past it
    "SELECT count(*) FROM refunds WHERE first_response_at IS NULL "
    "AND applied_at >= ?::TIMESTAMP - INTERVAL 55 HOUR "
    "AND applied_at <= ?::TIMESTAMP - INTERVAL 42 HOUR",
    "SELECT count(*) FROM tickets WHERE replied_at IS NULL AND kind = 'complaint' "
    "AND received_at >= ?::TIMESTAMP - INTERVAL 7 DAY AND received_at <= ?::TIMESTAMP",
    "SELECT count(*) FROM service_orders WHERE first_reviewed_at IS NULL "
    "AND applied_at >= ?::TIMESTAMP - INTERVAL 7 DAY AND applied_at <= ?::TIMESTAMP",
)


def plain_minute(store: object, now: datetime) -> float:
    began = time.perf_counter()
    for sql in PLAIN_SQL:
        store.con.execute(sql, [now, now]).fetchone()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=10, help="clock evaluations to time")
    parser.add_argument("--dir", default="/tmp/kaohe-alerts-bench")
    args = parser.parse_args()

    from kaohe.alerts import evaluate_clock, evaluate_imports, make_setup, parse_settings
    from kaohe.store import Store

    directory = Path(args.dir)
    began = time.perf_counter()
    db = build(directory, args.messages, args.agents)
    print(f"store: {db} (built in {time.perf_counter() - began:.0f} s)")
    out = directory / "alerts.jsonl"
    settings = parse_settings({"channels": {"file": {"type": "file", "path": str(out)}}})
    setup = make_setup(settings)
    without_compliance = [r for r in setup.rules.rules if r.kind != "compliance"]
    with Store(db) as st:
        for table in ("alerts", "alert_events", "alert_deliveries", "alert_messages"):
            st.con.execute(f"DELETE FROM {table}")
        st.con.execute("DELETE FROM alert_timers")
        st.con.execute("DELETE FROM alert_state")
        counts = {
            t: st.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("messages", "agents", "ratings", "refunds", "service_orders", "tickets")
        }
        print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
        last = st.con.execute("SELECT max(time) FROM messages").fetchone()[0]
        now = last + timedelta(minutes=10)
        # the first pass over the whole month (every row is new): timers, data rules
        setup.rules = setup.rules.model_copy(update={"rules": without_compliance})
        first = time.perf_counter()
        report = evaluate_imports(st, setup, now, import_ids=[0])
        first_s = time.perf_counter() - first
        print(
            f"first evaluation of the month (no compliance rule): {first_s:.1f} s, "
            f"{len(report.changes.fired):,} alerts"
        )
        slowest = sorted(report.seconds.items(), key=lambda kv: -kv[1])[:4]
        print("  slowest rules: " + ", ".join(f"{k} {v:.2f} s" for k, v in slowest))

        minutes = []
        for i in range(args.minutes):
            t0 = time.perf_counter()
            evaluate_clock(st, setup, now + timedelta(minutes=i + 1))
            minutes.append(time.perf_counter() - t0)
        plain = [plain_minute(st, now + timedelta(minutes=i + 1)) for i in range(args.minutes)]
        open_alerts = st.con.execute("SELECT count(*) FROM alerts WHERE status = 'open'").fetchone()
        print(
            f"clock minute ({open_alerts[0]:,} open alerts): median "
            f"{statistics.median(minutes) * 1000:.0f} ms, max {max(minutes) * 1000:.0f} ms "
            f"(target < 1 s); plain SQL deadline counts: median "
            f"{statistics.median(plain) * 1000:.1f} ms"
        )

        delays = {}
        for label, rules in (("without compliance", without_compliance), ("all rules", None)):
            if rules is None:
                setup.rules = make_setup(settings).rules
            delays[label] = import_to_alert(st, directory, setup, now, label)
        for label, (seconds, fired) in delays.items():
            print(f"import done → its alert sent ({label}): {seconds:.2f} s ({fired} new alerts)")
    print(f"peak RSS {peak_mb():,.0f} MB")


def import_to_alert(st: object, directory: Path, setup: object, now: datetime, tag: str) -> tuple:
    """Import one 失望 rating (with its chat) and time until its alert is in the file channel."""
    from kaohe.alerts import evaluate_imports
    from kaohe.ingest import import_file

    shop, platform = st.con.execute("SELECT shop, platform FROM messages LIMIT 1").fetchone()
    buyer = f"bench_{tag.replace(' ', '_')}"
    at = now + timedelta(minutes=1)
    chat = directory / f"chat_{buyer}.csv"
    chat.write_text(
        "shop,platform,buyer,agent,sender,time,text\n"
        f"{shop},{platform},{buyer},bench_agent,buyer,{at:%Y-%m-%d %H:%M:%S},在吗\n"
        f"{shop},{platform},{buyer},bench_agent,agent,{at + timedelta(seconds=20):%F %T},在的\n",
        encoding="utf-8",
    )
    rating = directory / f"rating_{buyer}.csv"
    rating.write_text(
        "shop,buyer,agent,time,level\n"
        f"{shop},{buyer},bench_agent,{at + timedelta(minutes=5):%Y-%m-%d %H:%M:%S},失望\n",
        encoding="utf-8",
    )
    import_file(st, chat)
    import_file(st, rating)
    channel = setup.channels["file"]
    out = Path(channel.config.path)
    before = out.stat().st_size if out.exists() else 0
    sent_at: list[float] = []
    send = channel.send

    def timed_send(message: object, now: datetime) -> None:  # notes when the rating's alert goes
        send(message, now)
        if any("失望" in a["title"] and a["agent"] == "bench_agent" for a in message.alerts):
            sent_at.append(time.perf_counter())

    channel.send = timed_send  # type: ignore[method-assign]
    began = time.perf_counter()
    try:
        report = evaluate_imports(st, setup, at + timedelta(minutes=6))
    finally:
        channel.send = send  # type: ignore[method-assign]
    total = time.perf_counter() - began
    with out.open(encoding="utf-8") as handle:
        handle.seek(before)
        lines = [json.loads(line) for line in handle]
    assert sent_at and any("失望" in m["title"] for m in lines), "alert not sent"
    seconds = sent_at[0] - began
    print(f"  ({tag}) whole evaluation {total:.2f} s")
    slowest = sorted(report.seconds.items(), key=lambda kv: -kv[1])[:3]
    print(f"  ({tag}) slowest: " + ", ".join(f"{k} {v:.2f} s" for k, v in slowest))
    return seconds, len(report.changes.fired)


if __name__ == "__main__":
    main()
