"""Benchmark: pure scoring (no store) of 1,000 agents × 12 months with a preset scheme.

    python benchmarks/score_bench.py [--agents 1000] [--months 12] [--scheme presales_standard]

Synthetic metric rows (numpy, fixed seed) for every metric the scheme reads; each month is
scored with ``kaohe.schemes.score`` and ranked with the scheme's PK section when it has one.
Prints wall time and peak RSS (target: well under 10 s).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from kaohe.schemes import load_scheme, pk_rank, score


def synthetic_rows(metrics: list[str], agents: int, rng: np.random.Generator) -> list[dict]:
    cols = {m: rng.uniform(0.0, 1.0, agents) for m in metrics}
    for m in metrics:  # counts, amounts, seconds and scores on their own scales
        if m.endswith(("buyers", "ratings", "checks")) or m in ("sales_amount", "ratings"):
            cols[m] = np.floor(cols[m] * 400)
        elif m.endswith(("_s", "value", "score", "speed")):
            cols[m] = cols[m] * 100
    nulls = rng.uniform(0, 1, (agents, len(metrics))) < 0.02  # some missing values
    rows = []
    for i in range(agents):
        row = {"agent": f"agent{i:04d}"}
        for j, m in enumerate(metrics):
            row[m] = None if nulls[i, j] else float(cols[m][i])
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=1000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--scheme", default="presales_standard")
    args = ap.parse_args(argv)
    scheme = load_scheme(args.scheme)
    rng = np.random.default_rng(42)
    months = [(f"2026-{m:02d}", synthetic_rows(scheme.metric_ids(), args.agents, rng))
              for m in range(1, args.months + 1)]
    score(scheme, months[0][1][:2], None, months[0][0])  # warm the registry import
    start = time.perf_counter()
    scored = 0
    for period, rows in months:
        result = score(scheme, rows, None, period)
        if scheme.pk:
            pk_rank(rows, scheme.pk)
        scored += len(result.agents)
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scheme {scheme.id}: {scored} agent-months scored in {wall:.2f} s "
          f"({scored / wall:,.0f}/s), peak RSS {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
