"""Benchmark: pure scoring and pay (no store) of 1,000 agents × 12 months with presets.

    python benchmarks/score_bench.py [--agents 1000] [--months 12] [--scheme presales_standard]
                                     [--plan jd_commission]

Synthetic metric rows (numpy, fixed seed) for every metric the scheme reads; each month is
scored with ``kaohe.schemes.score``, ranked with the scheme's PK section when it has one, and
paid with the plan (its metrics and inputs synthesised the same way). Prints wall time and
peak RSS (target: well under 10 s).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from kaohe.pay import load_plan, pay, score_inputs
from kaohe.pay.fetch import plan_names
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
    ap.add_argument("--plan", default="jd_commission")
    args = ap.parse_args(argv)
    scheme = load_scheme(args.scheme)
    plan = load_plan(args.plan)
    reads = sorted(
        {p[-1] for p in plan_names(plan) if p[0] not in ("score", "rank", "shop")}
        - set(plan.params)
    )
    rng = np.random.default_rng(42)
    months = [
        (
            f"2026-{m:02d}",
            synthetic_rows(list(dict.fromkeys([*scheme.metric_ids(), *reads])), args.agents, rng),
        )
        for m in range(1, args.months + 1)
    ]
    score(scheme, months[0][1][:2], None, months[0][0])  # warm the registry import
    start = time.perf_counter()
    scored = 0
    paid = 0
    for period, rows in months:
        result = score(scheme, rows, None, period)
        pk = pk_rank(rows, scheme.pk) if scheme.pk else None
        scored += len(result.agents)
        slips = pay(plan, rows, None, score_inputs(result, pk), settled=True, period=period)
        paid += len(slips.payslips)
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"scheme {scheme.id} + plan {plan.id}: {scored} agent-months scored and {paid} "
        f"payslips in {wall:.2f} s ({scored / wall:,.0f} agent-months/s), "
        f"peak RSS {peak_mb:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
