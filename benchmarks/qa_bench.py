"""Benchmark: the default QA pack's phrase and pattern rules over generated messages.

    PYTHONPATH=src python benchmarks/qa_bench.py --messages 10000000 [--dir /tmp/kaohe-bench]

Reuses ``DIR/N/messages.parquet`` when it exists (kpi_bench writes it), otherwise generates
it with kaohe.demo.generate. Prints messages/s of :func:`kaohe.qa.scan.scan` (the read of
the parquet file is timed apart), findings per rule and the process's peak RSS.
Target: ≥ 1M messages/s on 2 cores.
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
    ap.add_argument("--all-text", action="store_true",
                    help="also ad_buyer and withdrawn (every text rule)")
    args = ap.parse_args()
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
    print(f"messages: {n:,}  read: {t1 - t0:.1f} s  scan: {t2 - t1:.1f} s  "
          f"→ {n / (t2 - t1):,.0f} messages/s")
    print(f"findings: {findings.height:,}")
    print(findings.group_by("rule").len().sort("len", descending=True))
    print(f"peak RSS: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
