"""Import throughput: kaohe vs pandas + DuckDB, for a messages CSV and an XLSX.

    python benchmarks/import_bench.py [--rows 1000000] [--xlsx-rows 200000] [--dir DIR]

Each measurement runs in its own subprocess so that its peak RSS is its own.
Targets: CSV >= 300k rows/s end to end, XLSX >= 80k rows/s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

HEADERS = ["shop", "platform", "buyer", "agent", "sender", "time", "text"]
TEXTS = [
    "你好，在吗",
    "亲，在的，请问有什么可以帮您？",
    "这个什么时候发货",
    "今天下单明天发",
    "好的谢谢",
    "有优惠券吗",
    "可以改地址吗",
    "[图片]",
    "已经拍了",
    "麻烦尽快发货",
]


def make_frame(rows: int, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    shops = np.array([f"店铺{i}" for i in range(5)])
    shop_idx = rng.integers(0, 5, rows)
    sender = np.where(rng.random(rows) < 0.5, "buyer", "agent")
    agent = np.char.add(
        np.char.add(shops[shop_idx], ":客服"), rng.integers(0, 40, rows).astype(str)
    )
    seconds = np.sort(rng.integers(0, 30 * 86400, rows))
    times = (np.datetime64("2026-10-01T00:00:00") + seconds.astype("timedelta64[s]")).astype(
        "datetime64[ms]"
    )
    return pl.DataFrame(
        {
            "shop": shops[shop_idx],
            "platform": np.where(shop_idx < 3, "taobao", "jd"),
            "buyer": np.char.add("buyer", rng.integers(0, rows // 8 + 1, rows).astype(str)),
            "agent": agent,
            "sender": sender,
            "time": pl.Series(times).dt.strftime("%Y-%m-%d %H:%M:%S"),
            "text": np.array(TEXTS)[rng.integers(0, len(TEXTS), rows)],
        }
    )


def write_xlsx(frame: pl.DataFrame, path: Path) -> None:
    import xlsxwriter

    with xlsxwriter.Workbook(str(path), {"constant_memory": True}) as book:
        sheet = book.add_worksheet("messages")
        sheet.write_row(0, 0, frame.columns)
        for i, row in enumerate(frame.iter_rows(), start=1):
            sheet.write_row(i, 0, row)


# ---------------------------------------------------------------- measured runs (child)


def run_kaohe(file: str, db: str) -> int:
    from kaohe.ingest.load import import_file
    from kaohe.store import Store

    with Store(db) as store:
        result = import_file(store, file, table="messages")
    return result.inserted


def run_pandas(file: str, db: str) -> int:
    import pandas as pd

    from kaohe.store import Store

    frame = pd.read_csv(file) if file.endswith(".csv") else pd.read_excel(file)
    cols = ", ".join(HEADERS)
    with Store(db) as store:
        store.con.register("src", frame)
        store.con.execute(
            f"INSERT INTO messages ({cols}, msg_key, seq) SELECT shop, platform, buyer, agent, "
            "sender, CAST(time AS TIMESTAMP), text, md5(concat_ws('|', shop, buyer, agent, "
            "sender, time, text, row_number() OVER ())), row_number() OVER () FROM src"
        )
        return store.count("messages")


def child(kind: str, file: str, db: str) -> None:
    start, cpu_start = time.perf_counter(), _cpu()
    rows = (run_kaohe if kind == "kaohe" else run_pandas)(file, db)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu_start
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu": cpu, "peak_mb": _peak_kb() / 1024}))


def _peak_kb() -> int:
    """Peak RSS of this process: VmHWM (reset by exec, unlike ru_maxrss, which a child
    inherits from the parent that spawned it) or getrusage where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- orchestration


def measure(kind: str, file: Path, workdir: Path) -> dict[str, float]:
    db = workdir / f"{kind}-{file.suffix[1:]}.duckdb"
    db.unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(file), str(db)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(label: str, stats: dict[str, float], target: float | None) -> None:
    rate = stats["rows"] / stats["seconds"]
    goal = f"  (target {target:,.0f}: {'ok' if rate >= target else 'MISSED'})" if target else ""
    print(
        f"{label:<20} {stats['rows']:>10,.0f} rows {stats['seconds']:7.2f} s "
        f"(cpu {stats['cpu']:6.2f} s) {rate:>10,.0f} rows/s  peak RSS "
        f"{stats['peak_mb']:6.0f} MB{goal}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="CSV rows")
    parser.add_argument("--xlsx-rows", type=int, default=200_000, help="XLSX rows")
    parser.add_argument("--dir", default=None, help="work directory (default: a temp dir)")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "FILE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="kaohe-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    csv_file, xlsx_file = workdir / "messages.csv", workdir / "messages.xlsx"
    t0 = time.perf_counter()
    make_frame(args.rows).write_csv(csv_file)
    write_xlsx(make_frame(args.xlsx_rows, seed=8), xlsx_file)
    print(
        f"generated in {time.perf_counter() - t0:.1f} s under {workdir}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for file, target in ((csv_file, 300_000), (xlsx_file, 80_000)):
        report(f"kaohe {file.suffix}", measure("kaohe", file, workdir), target)
        if not args.skip_pandas:
            report(f"pandas+duckdb {file.suffix}", measure("pandas", file, workdir), None)


if __name__ == "__main__":
    main()
