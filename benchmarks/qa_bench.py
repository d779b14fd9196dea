"""Benchmark: the default QA pack's phrase and pattern rules over generated messages.

    PYTHONPATH=src python benchmarks/qa_bench.py --messages 10000000 [--dir /tmp/kaohe-bench]

Reuses ``DIR/N/messages.parquet`` when it exists (kpi_bench writes it), otherwise generates
it with kaohe.demo.generate. Prints messages/s of :func:`kaohe.qa.scan.scan` (the read of
the parquet file is timed apart), findings per rule and the process's peak RSS.
Target: ≥ 1M messages/s on 2 cores. For comparison, the same phrase rules as plain pandas
``str.contains`` over the agent messages (one regex per rule) in the same run; with
``--sessions``, also the behavioural session rules (kaohe.qa.behaviour) over a month of those
messages in a store, the conversation model they judge timed apart: slice by slice of whole
threads as kaohe.qa.findings.session_findings runs them (``--slices``: how many; by default
~1M messages each), or with ``--whole`` on the month's model at once (the plain alternative:
run both, one process each, for their peak RSS). ``--sessions-only`` skips the text rules.
With ``--store``, ``kaohe qa run`` as a user runs it: the whole default pack over a month
(2026-10) of a DuckDB store holding the messages (``DIR/N/qa.duckdb``, built once), the
conversation model, the text and session rules and the write of the findings together.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import polars as pl

from kaohe.qa.rules import PHRASE_DETECTORS, load_pack
from kaohe.qa.scan import scan

COLUMNS = ["shop", "buyer", "agent", "sender", "time", "text", "msg_id", "msg_type"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    """User + system CPU time of this process (every DuckDB thread): on a shared machine a
    steadier measure than the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ensure_messages(directory: Path, n: int) -> Path:
    path = directory / str(n) / "messages.parquet"
    if not path.exists():
        from kaohe.demo.generate import generate

        path.parent.mkdir(parents=True, exist_ok=True)
        generate(path.parent, messages=n, seed=0, fmt="parquet")
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2_000_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/kaohe-bench"))
    ap.add_argument(
        "--all-text", action="store_true", help="also ad_buyer and withdrawn (every text rule)"
    )
    ap.add_argument(
        "--sessions", action="store_true", help="also time the behavioural session rules"
    )
    ap.add_argument("--sessions-only", action="store_true", help="only the session rules")
    ap.add_argument("--whole", action="store_true", help="session rules on the whole month")
    ap.add_argument("--slices", type=int, default=None, help="thread slices (default ~1M each)")
    ap.add_argument("--no-pandas", action="store_true", help="skip the pandas comparison")
    ap.add_argument("--store", action="store_true", help="time `kaohe qa run` on a month")
    args = ap.parse_args()
    if args.store:
        qa_run(ensure_messages(args.dir, args.messages))
        return
    if args.sessions_only:
        sessions(ensure_messages(args.dir, args.messages), args.whole, args.slices)
        return
    pack = load_pack("default")
    keep = PHRASE_DETECTORS | {"pattern"} | ({"ad_buyer", "withdrawn"} if args.all_text else set())
    pack = pack.model_copy(update={"rules": [r for r in pack.rules if r.detector in keep]})

    t0 = time.perf_counter()
    messages = pl.read_parquet(ensure_messages(args.dir, args.messages), columns=COLUMNS)
    t1 = time.perf_counter()
    findings = scan(messages, pack)
    t2 = time.perf_counter()
    n = messages.height
    print(f"rules: {len(pack.rules)} ({', '.join(sorted({r.detector for r in pack.rules}))})")
    print(
        f"messages: {n:,}  read: {t1 - t0:.1f} s  scan: {t2 - t1:.1f} s  "
        f"→ {n / (t2 - t1):,.0f} messages/s"
    )
    print(f"findings: {findings.height:,}")
    print(findings.group_by("rule").len().sort("len", descending=True))
    print(f"peak RSS: {peak_rss_mb():,.0f} MB")
    if args.sessions:
        sessions(ensure_messages(args.dir, args.messages), args.whole, args.slices)
    if not args.no_pandas:
        pandas_phrases(messages, pack)


def sessions(parquet: Path, whole: bool = False, slices: int | None = None) -> None:
    """The behavioural session rules over a month of the store: the conversation model they
    judge (kaohe.engine.conversation) and the rules themselves, timed apart (wall and CPU),
    slice by slice or (`whole`) on the month's model at once."""
    from datetime import datetime

    from kaohe.qa.behaviour import behaviour_findings
    from kaohe.qa.findings import inspected_messages, model_slices, slice_count
    from kaohe.qa.rules import SESSION_DETECTORS
    from kaohe.store import Store

    full = load_pack("default")
    pack = full.model_copy(
        update={"rules": [r for r in full.rules if r.detector in SESSION_DETECTORS]}
    )
    start, end = datetime(2026, 10, 1), datetime(2026, 11, 1)
    model_s = model_cpu = rules_s = rules_cpu = 0.0
    n = found = 0
    with Store(ensure_store(parquet)) as store:
        count = 1 if whole else slices or slice_count(store, start, end)
        began, cpu = time.perf_counter(), cpu_seconds()
        models = (
            iter([inspected_messages(store, start, end)])
            if whole
            else model_slices(store, start, end, slices=count)
        )
        for messages in models:  # a slice's model is built when the loop asks for it
            model_s += time.perf_counter() - began
            model_cpu += cpu_seconds() - cpu
            began, cpu = time.perf_counter(), cpu_seconds()
            found += behaviour_findings(messages, pack).height
            n += messages.height
            del messages
            rules_s += time.perf_counter() - began
            rules_cpu += cpu_seconds() - cpu
            began, cpu = time.perf_counter(), cpu_seconds()
    how = "whole month at once" if whole else f"{count} thread slices"
    print(
        f"conversation model 2026-10 ({how}): {n:,} messages in {model_s:.1f} s "
        f"({model_cpu:.1f} s CPU)"
    )
    print(
        f"session rules: {len(pack.rules)}  {rules_s:.1f} s ({rules_cpu:.1f} s CPU) → "
        f"{n / rules_s:,.0f} messages/s, {n / rules_cpu:,.0f} per CPU second; "
        f"{found:,} findings"
    )
    print(f"peak RSS (model and rules): {peak_rss_mb():,.0f} MB")


def ensure_store(parquet: Path) -> Path:
    """A store holding the generated messages (msg_key: the message id, seq: file order)."""
    from kaohe.store import Store

    path = parquet.parent / "qa.duckdb"
    if not path.exists():
        with Store(path) as store:
            store.con.execute(
                "INSERT INTO messages (shop, platform, buyer, agent, sender, time, text, msg_id, "
                "auto_reply, msg_type, msg_key, seq) SELECT shop, platform, buyer, agent, sender, "
                "time, text, msg_id, auto_reply, msg_type, msg_id, row_number() OVER () "
                f"FROM read_parquet('{parquet}')"
            )
    return path


def qa_run(parquet: Path) -> None:
    """`kaohe qa run --period 2026-10` with the default pack, timed as a whole."""
    from kaohe.engine.periods import parse_period
    from kaohe.qa.findings import run_pack
    from kaohe.store import Store

    path = ensure_store(parquet)
    with Store(path) as store:
        began, cpu = time.perf_counter(), cpu_seconds()
        summary = run_pack(store, load_pack("default"), parse_period("2026-10"))
        took, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    print(
        f"qa run 2026-10: {summary.messages:,} messages in {took:.1f} s ({cpu:.1f} s CPU) → "
        f"{summary.messages / took:,.0f} messages/s, {summary.findings:,} findings; "
        f"peak RSS {peak_rss_mb():,.0f} MB"
    )
    for rule, n in sorted(summary.by_rule.items(), key=lambda kv: -kv[1]):
        print(f"  {rule:<24} {n:>9,}")


def pandas_phrases(messages: pl.DataFrame, pack: object) -> None:
    """The plain alternative: pandas str.contains with one alternation regex per phrase rule
    and isin for its whole-message phrases (no exceptions), over the agent messages."""
    import re

    frame = messages.select("sender", "text").to_pandas()
    began = time.perf_counter()
    agent = frame[frame.sender == "agent"].text.fillna("")
    hits = 0
    rules = [r for r in pack.rules if r.detector in PHRASE_DETECTORS]  # type: ignore[attr-defined]
    for rule in rules:
        params = rule.params if isinstance(rule.params, dict) else rule.params.model_dump()
        hit = agent.isin(params.get("whole") or [])
        if params.get("phrases"):
            pattern = "|".join(re.escape(p) for p in params["phrases"])
            hit |= agent.str.contains(pattern, regex=True)
        hits += int(hit.sum())
    took = time.perf_counter() - began
    print(
        f"pandas str.contains, {len(rules)} phrase rules only: {took:.1f} s → "
        f"{messages.height / took:,.0f} messages/s ({hits:,} hits)"
    )


if __name__ == "__main__":
    main()
