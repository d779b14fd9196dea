"""Server time of the web pages on ~1,000 agents × one month: overview, ranking, agents,
conversations, orders' credit, a scheme comparison, the QA findings and compliance.

    python benchmarks/web_bench.py [--messages 3000000] [--agents 1000] [--requests 20]
                                   [--dir /tmp/kaohe-web-bench] [--cold]

The facts are refreshed as an import's job does (every stale day); after the app starts, the
warm-up that follows every import (kaohe.web.services: on the writer, after the facts refresh,
for the default month and the newest later month the import brought) runs once and is timed,
as an import would run it; `--cold` leaves it out (every first view computes on demand).

The demo generator sizes its roster by volume (~1,500 messages per agent-day), so a month of
1,000 real-volume agents would be ~46M messages. To time the pages at 1,000 agents without that
import, the generated month is loaded (as benchmarks/kpi_bench.py does) and every agent is then
split into K agents by buyer (each buyer's chats go to one of the K), with the roster copied K
times: the pages' work grows with agents × days × metrics, which this reproduces. The first
request and N more of each page are timed through TestClient
(server time, in process) as a logged-in supervisor; prints median / p95 per page and the
peak RSS, and, for comparison, a plain pandas recomputation of two of the overview's columns
from the raw month.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import time
from pathlib import Path

PERIOD = "2026-10"
UNWARMED = "2026-11"  # the generated data runs into November: a month the warm-up leaves out
TABLES = ("orders", "refunds")  # loaded as generated (kpi_bench does the same)


def build(directory: Path, messages: int, agents: int) -> Path:
    from kaohe.demo.generate import generate
    from kaohe.store import Store

    db = directory / "web_bench.duckdb"
    if db.exists():
        return db
    directory.mkdir(parents=True, exist_ok=True)
    generate(directory, messages=messages, seed=0, days=31, fmt="parquet")
    with Store(db) as st:
        st.con.execute(
            "INSERT INTO messages BY NAME SELECT *, msg_id AS msg_key, "
            "row_number() OVER () AS seq FROM read_parquet(?)",
            [str(directory / "messages.parquet")],
        )
        st.con.execute(
            "INSERT INTO agents BY NAME SELECT * FROM read_parquet(?)",
            [str(directory / "agents.parquet")],
        )
        for table in TABLES:
            path = directory / f"{table}.parquet"
            if path.exists():
                st.con.execute(
                    f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [str(path)]
                )
        fan_out(st, agents)
    return db


def fan_out(st: object, target: int) -> None:
    """Split every agent into K by buyer so the roster reaches about `target` agents."""
    have = st.con.execute("SELECT count(*) FROM agents").fetchone()[0]
    k = max(1, math.ceil(target / have))
    st.con.execute(
        f"UPDATE messages SET agent = agent || '#' || (hash(buyer) % {k}) WHERE agent IS NOT NULL"
    )
    st.con.execute("CREATE TEMP TABLE roster AS SELECT * FROM agents")
    st.con.execute("DELETE FROM agents")
    st.con.execute(
        "INSERT INTO agents BY NAME SELECT roster.* REPLACE "
        f"(roster.agent || '#' || r.i AS agent) FROM roster, range({k}) AS r(i)"
    )
    for table in ("refunds",):
        st.con.execute(f"UPDATE {table} SET agent = agent || '#0' WHERE agent IS NOT NULL")


def pages(db: Path) -> list[str]:
    """The pages timed: the two busiest agents' pages, a quiet one and one of an agent with no
    chats in the period, two conversations and two orders (a first view of each: the second
    reads what the first compiled), and the busiest agents' pages of a month the warm-up leaves
    out (the first view of a new month)."""
    from urllib.parse import quote

    from kaohe.store import Store

    with Store(db, read_only=True) as st:
        (agent, msg), (second, msg2) = st.con.execute(
            "SELECT agent, min(msg_key) FROM messages WHERE agent IS NOT NULL "
            "GROUP BY agent ORDER BY count(*) DESC LIMIT 2"
        ).fetchall()
        quiet = st.con.execute(
            "SELECT agent FROM messages WHERE agent IS NOT NULL "
            "GROUP BY agent ORDER BY count(*), agent LIMIT 1"
        ).fetchone()[0]
        order, order2 = st.con.execute("SELECT min(order_id), max(order_id) FROM orders").fetchone()
        idle = st.con.execute(
            "SELECT min(agent) FROM agents WHERE agent NOT IN "
            "(SELECT agent FROM messages WHERE agent IS NOT NULL)"
        ).fetchone()[0]
    return [
        f"/?period={PERIOD}",
        f"/ranking?period={PERIOD}",
        f"/agents/{quote(agent, safe='')}?period={PERIOD}",
        f"/agents/{quote(second, safe='')}?period={PERIOD}",
        f"/agents/{quote(quiet, safe='')}?period={PERIOD}",
        *([f"/agents/{quote(idle, safe='')}?period={PERIOD}"] if idle else []),
        f"/agents/{quote(agent, safe='')}?period={UNWARMED}",
        f"/agents/{quote(second, safe='')}?period={UNWARMED}",
        f"/conversation?msg={quote(str(msg), safe='')}",
        f"/conversation?msg={quote(str(msg2), safe='')}",
        f"/credit?order_id={quote(str(order), safe='')}",
        f"/credit?order_id={quote(str(order2), safe='')}",
        f"/schemes?scheme=presales_growth&compare=presales_standard&period={PERIOD}",
        f"/findings?period={PERIOD}",
        f"/compliance?period={PERIOD}",
    ]


def timed(client: object, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        began = time.perf_counter()
        response = client.get(path)
        out.append(time.perf_counter() - began)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return out


def pandas_overview(directory: Path) -> tuple[float, int]:
    """The plain alternative to the overview's table: recompute its first two columns per shop
    from the raw month in pandas (consulting buyer-days; mean response, a round being the
    buyer's messages since the last reply up to the next reply, as kpi_bench's pandas phase).
    Returns (seconds, shops)."""
    import pandas as pd

    began = time.perf_counter()
    m = pd.read_parquet(
        directory / "messages.parquet",
        columns=["shop", "buyer", "agent", "sender", "time", "auto_reply"],
    )
    m = m[m.time.dt.strftime("%Y-%m") == PERIOD]
    buyers = m[m.sender == "buyer"].assign(day=lambda f: f.time.dt.date)
    consult = buyers.drop_duplicates(["shop", "buyer", "day"]).groupby("shop").size()
    reply = (m.sender == "agent") & ~m.auto_reply.fillna(False)
    m = m[(m.sender == "buyer") | reply].assign(reply=reply)
    m = m.sort_values(["shop", "buyer", "time"], kind="stable")
    key = [m.shop, m.buyer]
    prev_reply = m.groupby(key)["reply"].shift(fill_value=True)
    m["start"] = m.time.where((m.sender == "buyer") & prev_reply)
    m["start"] = m.groupby(key)["start"].ffill()
    answered = m[m.reply & ~prev_reply & m.start.notna()]
    response = (answered.time - answered.start).dt.total_seconds()
    per_shop = response[response <= 86400].groupby(answered.shop).mean()
    table = pd.DataFrame({"consult_buyers": consult, "avg_response_s": per_shop})
    return time.perf_counter() - began, len(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3_000_000)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--dir", default="/tmp/kaohe-web-bench")
    parser.add_argument("--cold", action="store_true", help="no warm-up after the start")
    args = parser.parse_args()
    print(f"nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at the start")

    from fastapi.testclient import TestClient

    from kaohe.service.jobs import refresh_stale_facts
    from kaohe.store import Store
    from kaohe.web import services
    from kaohe.web.app import create_app
    from kaohe.web.users import add_user, get_user

    began = time.perf_counter()
    db = build(Path(args.dir), args.messages, args.agents)
    print(f"store ready in {time.perf_counter() - began:.1f} s: {db}")
    with Store(db) as st:
        if get_user(st, "bench") is None:
            add_user(st, "bench", "supervisor", "bench-password")
        n_agents = st.con.execute("SELECT count(*) FROM agents").fetchone()[0]
        n_msgs = st.count("messages")
        began = time.perf_counter()
        refreshed = refresh_stale_facts(st)  # what an import's job does before its warm-up
        print(
            f"{n_agents:,} agents, {n_msgs:,} messages; facts refreshed in "
            f"{time.perf_counter() - began:.1f} s ({len(refreshed)} days)"
        )
        # the days importing the generated data brings (a store benchmarked before has fresh
        # facts: every day with messages)
        sql = "SELECT DISTINCT CAST(time AS DATE) FROM messages"
        imported = refreshed or [d for (d,) in st.con.execute(sql).fetchall()]
    paths = pages(db)
    app = create_app(db, secret_key="bench")
    client = TestClient(app)
    if not args.cold:
        if hasattr(services, "note_imported"):  # the months the "import" brought are warmed
            services.note_imported(app, imported)
        began, cpu = time.perf_counter(), time.process_time()
        for warmer in app.state.warmers:  # what kaohe.web.services runs after an import
            app.state.writer.call(lambda st, warmer=warmer: warmer(app, st))
        print(
            f"warm-up after an import (on the writer): {time.perf_counter() - began:.1f} s "
            f"({time.process_time() - cpu:.1f} CPU s)"
        )
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post(
        "/login",
        data={"username": "bench", "password": "bench-password", "csrf_token": token, "next": "/"},
    )
    for path in paths:
        first = timed(client, path, 1)[0]
        times = sorted(timed(client, path, args.requests))
        p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
        median = statistics.median(times)
        shown = path if len(path) <= 60 else f"{path[:40]}…{path[-19:]}"
        print(
            f"{shown:<60} first {first * 1000:7.1f} ms  median {median * 1000:7.1f} ms  "
            f"p95 {p95 * 1000:7.1f} ms  (n={len(times)})"
        )
    seconds, shops = pandas_overview(Path(args.dir))
    print(
        f"pandas, the overview's per-shop consult buyers and mean response recomputed from "
        f"the raw month: {seconds * 1000:,.0f} ms ({shops} shops)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    sys.exit(main())
