"""Time and peak memory of `kaohe generate` at benchmark scale (default 10 million messages).

python benchmarks/generate_bench.py [--messages N] [--out DIR] [--seed S] [--keep]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from kaohe.demo.generate import generate


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="output dir (default: a temporary dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="kaohe_gen_"))
    counts: dict[str, int] = {}
    began = time.perf_counter()
    paths = generate(out, messages=args.messages, seed=args.seed, fmt="parquet", counts=counts)
    seconds = time.perf_counter() - began
    size = sum(p.stat().st_size for p in paths.values())
    print(f"messages      {counts['messages']:,}")
    for table in sorted(counts):
        print(f"  {table:<15} {counts[table]:>12,}")
    print(f"wall time     {seconds:.1f} s")
    print(f"throughput    {counts['messages'] / seconds:,.0f} messages/s")
    print(f"peak RSS      {peak_rss_mb():,.0f} MiB")
    print(f"parquet size  {size / 2**20:,.0f} MiB in {out}")
    if not args.keep and args.out is None:
        shutil.rmtree(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
