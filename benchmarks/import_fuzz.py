"""Fuzz the readers and importers with malformed files (issues 14 and 16).

    python benchmarks/import_fuzz.py [--files 10000] [--seed 1] [--timeout 30] [--workers 1]

Builds valid files in every supported layout (chat exports, orders, platform reports with title
rows and footers, JSON Lines, Parquet, xlsx, the 千牛 chat window, 晓多 dumps), then damages
each copy with one to three mutations: truncation, random bytes, flipped bytes, NUL bytes,
wrong encodings, giant fields, duplicate headers, mixed or CR-only line endings, title rows,
summary words, deep JSON, dropped or misspelt columns, ragged rows, unbalanced quotes, swapped
extensions, damaged zip members, far-corner cells and compression bombs.

Each file is imported by a worker process (`import_file` into its own store); the worker
answers one JSON line per file. A file that takes longer than --timeout seconds is a hang (the
worker is killed and replaced), a worker that dies is an abort, an exception other than a
KaoheError is a crash (what the CLI reports as exit 70). A lost row is a file whose counts do
not balance (read ≠ inserted + updated + rejected + skipped) or whose store does not grow by
what it says was inserted. Prints the counts, the slowest files and the workers' peak RSS;
the target is 0 crashes, 0 aborts, 0 hangs, 0 lost rows.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import select
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# ---------------------------------------------------------------- base files

MESSAGES = [
    ["shop", "buyer", "agent", "sender", "time", "text"],
    ["云朵小铺", "橘子", "云朵小铺:阿青", "buyer", "2026-10-01 10:00:00", "在吗"],
    ["云朵小铺", "橘子", "云朵小铺:阿青", "agent", "2026-10-01 10:00:20", "在的，亲"],
    ["云朵小铺", "橘子", "云朵小铺:阿青", "buyer", "2026-10-01 10:01:00", "合计"],
    ["云朵小铺", "柠檬", "云朵小铺:小白", "buyer", "2026/10/1 10:02", "有货吗"],
    ["云朵小铺", "柠檬", "云朵小铺:小白", "agent", "2026-10-01T10:02:30", "有的"],
]
QIANNIU = [
    ["店铺名称", "客服昵称", "买家昵称", "发送时间", "发送者", "消息内容"],
    ["云朵小铺", "云朵小铺:阿青", "橘子", "2026-10-03 09:00:01", "买家", "你好"],
    ["云朵小铺", "云朵小铺:阿青", "橘子", "2026-10-03 09:00:20", "客服", "在的"],
    ["云朵小铺", "云朵小铺:阿青", "橘子", "2026-10-03 09:01:00", "买家", "汇总"],
]
ORDERS = [
    [
        "订单编号",
        "店铺名称",
        "买家会员名",
        "订单创建时间",
        "付款时间",
        "实付金额（元）",
        "订单状态",
    ],
    [
        "A1",
        "云朵小铺",
        "橘子",
        "2026-10-01 10:00:00",
        "2026-10-01 10:05:00",
        "¥1,234.50",
        "买家已付款",
    ],
    ["A2", "云朵小铺", "柠檬", "2026-10-01 11:00:00", "", "", "等待买家付款"],
    ["A3", "云朵小铺", "西瓜", "2026-10-02 09:00:00", "2026-10-02 09:01:00", "88", "交易成功"],
]
PDD = [
    ["序号", "客服账号", "咨询人数", "询单人数", "平均人工响应时长", "3分钟人工回复率(8-23点)"],
    ["1", "pdd云朵:阿明", "100", "80", "0.37", "98.5%"],
    ["2", "pdd云朵:阿红", "90", "70", "22秒", "100.00%"],
    ["汇总", "", "190", "150", "", ""],
]
SYCM = [
    ["客服绩效（旺旺）"],
    ["统计时间：2026-10-01 ~ 2026-10-31"],
    [],
    ["旺旺昵称", "聊天人数(原咨询人数)", "询单人数", "客服销售额(元)", "平均接待时长"],
    ["云朵小铺:阿青", "30", "12", "¥1,234.50", "8分48秒"],
    ["云朵小铺:小白", "20", "8", "800", "0:05:30"],
    ["合计", "50", "20", "2034.50", ""],
]
DOUYIN = [
    ["客服", "客服在线天数", "接待会话量", "全天平响时长", "全天3分钟回复率", "询单人数"],
    ["阿青", "26", "300", "2分30秒", "95.20%", "80"],
    ["店铺汇总值", "26", "300", "2分30秒", "95.20%", "80"],
    ["店铺平均值", "26", "300", "2分30秒", "95.20%", "80"],
]
XIAODUO = [
    ["dialog_id", "seller_nick", "snick", "cnick", "source", "content", "time", "withdraw_ms_time"],
    [
        "d1",
        "小熊",
        "小熊:阿花",
        "buyerA",
        "0",
        "在吗",
        "2026-10-01 10:00:00",
        "1970-01-01 08:00:00",
    ],
    ["d1", "小熊", "小熊:阿花", "buyerA", "1", "在的", "2026-10-01 10:00:05", "0"],
]
CHAT_WINDOW = (
    "橘子 2026-10-01 10:00:00\n在吗\n已读\n云朵小铺:阿青 2026-10-01 10:00:20\n在的\n"
    "云朵小铺:阿青 撤回了一条消息\n云朵小铺:阿青 --> 云朵小铺:小白 2026-10-01 10:01:00\n"
)
TABLES: dict[str, list[list[str]]] = {
    "messages": MESSAGES,
    "qianniu": QIANNIU,
    "orders": ORDERS,
    "pdd": PDD,
    "sycm": SYCM,
    "douyin": DOUYIN,
    "xiaoduo": XIAODUO,
}


def csv_bytes(rows: list[list[str]], sep: str = ",", eol: str = "\n", enc: str = "utf-8") -> bytes:
    def cell(value: str) -> str:
        if any(ch in value for ch in (sep, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return eol.join(sep.join(cell(c) for c in r) for r in rows).encode(enc, "replace") + b"\n"


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    with xlsxwriter.Workbook(out, {"in_memory": True}) as book:
        sheet = book.add_worksheet("Sheet0")
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                sheet.write_string(i, j, cell)
    return out.getvalue()


def jsonl_bytes(rows: list[list[str]]) -> bytes:
    head = rows[0]
    return b"".join(
        json.dumps(dict(zip(head, r, strict=False)), ensure_ascii=False).encode() + b"\n"
        for r in rows[1:]
    )


def parquet_bytes(rows: list[list[str]]) -> bytes:
    import polars as pl

    head = rows[0]
    frame = pl.DataFrame(
        [r + [""] * (len(head) - len(r)) for r in rows[1:]], schema=head, orient="row"
    )
    out = io.BytesIO()
    frame.write_parquet(out)
    return out.getvalue()


@dataclass
class Sample:
    name: str
    data: bytes
    rows: list[list[str]] = field(default_factory=list)
    mutations: list[str] = field(default_factory=list)


def base_sample(rng: random.Random) -> Sample:
    kind = rng.choice([*TABLES, "chat"])
    if kind == "chat":
        return Sample("chat.txt", CHAT_WINDOW.encode())
    rows = [list(r) for r in TABLES[kind]]
    fmt = rng.choice(["csv", "csv", "tsv", "xlsx", "jsonl", "parquet"])
    if fmt in ("jsonl", "parquet") and kind in ("sycm",):
        fmt = "csv"
    name = f"{kind}_2026-10-05.{fmt}"
    if fmt == "csv":
        return Sample(name, csv_bytes(rows), rows)
    if fmt == "tsv":
        return Sample(name, csv_bytes(rows, sep="\t"), rows)
    if fmt == "xlsx":
        return Sample(name, xlsx_bytes(rows), rows)
    if fmt == "jsonl":
        return Sample(name, jsonl_bytes(rows), rows)
    return Sample(name, parquet_bytes(rows), rows)


# ---------------------------------------------------------------- mutations

Mutation = Callable[[Sample, random.Random], Sample]


def truncate(s: Sample, rng: random.Random) -> Sample:
    s.data = s.data[: rng.randrange(0, max(1, len(s.data)))]
    return s


def random_bytes(s: Sample, rng: random.Random) -> Sample:
    s.data = rng.randbytes(rng.choice([0, 1, 7, 64, 512, 4096]))
    return s


def flip_bytes(s: Sample, rng: random.Random) -> Sample:
    data = bytearray(s.data)
    for _ in range(rng.randint(1, 20)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    s.data = bytes(data)
    return s


def nul_bytes(s: Sample, rng: random.Random) -> Sample:
    data = bytearray(s.data)
    for _ in range(rng.randint(1, 10)):
        data.insert(rng.randrange(len(data) + 1), 0)
    s.data = bytes(data)
    return s


def rebuild(s: Sample, **kw: str) -> Sample:
    if s.rows:
        sep = "\t" if s.name.endswith(".tsv") else ","
        s.data = csv_bytes(s.rows, sep=sep, **kw)
        if not s.name.endswith((".csv", ".tsv", ".txt")):
            s.name = s.name.rsplit(".", 1)[0] + ".csv"
    return s


def encoding(s: Sample, rng: random.Random) -> Sample:
    enc = rng.choice(["utf-16", "utf-16-le", "gb18030", "big5", "latin-1", "utf-8-sig", "cp1252"])
    try:
        text = s.data.decode("utf-8")
    except UnicodeDecodeError:
        return s
    s.data = text.encode(enc, "replace")
    return s


def giant_field(s: Sample, rng: random.Random) -> Sample:
    if len(s.rows) > 1:
        i = rng.randrange(1, len(s.rows))
        row = s.rows[i]
        if row:
            row[rng.randrange(len(row))] = "巨" * rng.choice([70_000, 400_000, 1_100_000])
    return rebuild(s)


def duplicate_header(s: Sample, rng: random.Random) -> Sample:
    if s.rows and len(s.rows[0]) > 1:
        head = s.rows[0]
        head[rng.randrange(len(head))] = head[rng.randrange(len(head))]
    return rebuild(s)


def line_endings(s: Sample, rng: random.Random) -> Sample:
    if not s.rows:
        return s
    s = rebuild(s, eol="\n")
    lines = s.data.split(b"\n")
    endings = [rng.choice([b"\n", b"\r", b"\r\n"]) for _ in lines]
    s.data = b"".join(line + end for line, end in zip(lines, endings, strict=True))
    return s


def cr_only(s: Sample, rng: random.Random) -> Sample:
    return rebuild(s, eol="\r")


def title_rows(s: Sample, rng: random.Random) -> Sample:
    s.rows = [["客服绩效（旺旺）"], ["统计时间：2026-10-01 ~ 2026-10-31"], [], *s.rows]
    return rebuild(s)


def summary_words(s: Sample, rng: random.Random) -> Sample:
    if len(s.rows) > 1:
        row = s.rows[rng.randrange(1, len(s.rows))]
        if row:
            row[0] = rng.choice(["合计", "汇总", "店铺平均值", "均值", "总计：", "平均"])
    return rebuild(s)


def deep_json(s: Sample, rng: random.Random) -> Sample:
    depth = rng.choice([10, 40, 1000, 5000])
    s.name = s.name.rsplit(".", 1)[0] + ".jsonl"
    s.data = b'{"shop": ' + b"[" * depth + b"1" + b"]" * depth + b"}\n" + s.data[:200]
    return s


def drop_or_misspell(s: Sample, rng: random.Random) -> Sample:
    if s.rows and s.rows[0]:
        head = s.rows[0]
        i = rng.randrange(len(head))
        if rng.random() < 0.5:
            for row in s.rows:
                if i < len(row):
                    del row[i]
        else:
            head[i] = head[i][:-1] + "实" if head[i] else "x"
    return rebuild(s)


def ragged(s: Sample, rng: random.Random) -> Sample:
    for row in s.rows[1:]:
        if rng.random() < 0.5 and row:
            del row[rng.randrange(len(row)) :]
        elif rng.random() < 0.5:
            row.extend(["多余"] * rng.randint(1, 5))
    return rebuild(s)


def quotes(s: Sample, rng: random.Random) -> Sample:
    data = bytearray(s.data)
    for _ in range(rng.randint(1, 5)):
        data.insert(rng.randrange(len(data) + 1), ord('"'))
    s.data = bytes(data)
    return s


def swap_extension(s: Sample, rng: random.Random) -> Sample:
    ext = rng.choice([".csv", ".xlsx", ".jsonl", ".parquet", ".txt", ".json", ".xls", ".tsv"])
    s.name = s.name.rsplit(".", 1)[0] + ext
    return s


def duplicate_rows(s: Sample, rng: random.Random) -> Sample:
    if len(s.rows) > 1:
        s.rows += [list(r) for r in s.rows[1:]] * rng.randint(1, 3)
        rng.shuffle(s.rows[1:])
    return rebuild(s)


def zip_damage(s: Sample, rng: random.Random) -> Sample:
    if not s.data.startswith(b"PK"):
        s = Sample(s.name.rsplit(".", 1)[0] + ".xlsx", xlsx_bytes(s.rows or MESSAGES), s.rows)
    choice = rng.choice(["far_corner", "bomb", "drop_member", "garble_member"])
    try:
        src = zipfile.ZipFile(io.BytesIO(s.data))
        items = [(i, src.read(i.filename)) for i in src.infolist()]
    except Exception:  # noqa: BLE001 - an earlier mutation broke it: start from a sound one
        src = zipfile.ZipFile(io.BytesIO(xlsx_bytes(s.rows or MESSAGES)))
        items = [(i, src.read(i.filename)) for i in src.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in items:
            if info.filename.startswith("xl/worksheets/") and choice == "far_corner":
                corner = (
                    b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
                )
                data = data.replace(b"</sheetData>", corner + b"</sheetData>")
            elif info.filename.startswith("xl/worksheets/") and choice == "bomb":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (12 * 1024 * 1024))
            elif choice == "drop_member" and rng.random() < 0.3:
                continue
            elif choice == "garble_member" and rng.random() < 0.3:
                data = rng.randbytes(len(data))
            dst.writestr(info, data)
    s.data = out.getvalue()
    s.mutations.append(choice)
    return s


def empty(s: Sample, rng: random.Random) -> Sample:
    s.data = rng.choice([b"", b"\n", b"\r\n\r\n", s.data.split(b"\n", 1)[0] + b"\n"])
    return s


def long_line(s: Sample, rng: random.Random) -> Sample:
    s.data = s.data + b"x" * rng.choice([10_000, 300_000, 2_000_000]) + b"\n"
    return s


MUTATIONS: list[Mutation] = [
    truncate,
    random_bytes,
    flip_bytes,
    nul_bytes,
    encoding,
    giant_field,
    duplicate_header,
    line_endings,
    cr_only,
    title_rows,
    summary_words,
    deep_json,
    drop_or_misspell,
    ragged,
    quotes,
    swap_extension,
    duplicate_rows,
    zip_damage,
    empty,
    long_line,
]


def generate(count: int, seed: int, folder: Path) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        sample = base_sample(rng)
        for mutate in rng.sample(MUTATIONS, rng.randint(1, 3)):
            sample.mutations.append(mutate.__name__)
            sample = mutate(sample, rng)
        path = folder / f"{i:05d}_{'+'.join(sample.mutations)[:60]}_{sample.name}"
        path.write_bytes(sample.data)
        paths.append(path)
    return paths


# ---------------------------------------------------------------- the worker


# a reader failure reported as "cannot read the file (TypeError)" would hide a bug: a crash
BUG_EXCEPTIONS = (
    "AttributeError",
    "TypeError",
    "NameError",
    "KeyError",
    "IndexError",
    "AssertionError",
    "UnboundLocalError",
    "RecursionError",
    "ZeroDivisionError",
)
COUNTED = ("messages", "orders", "metric_values", "refunds", "ratings", "agents", "qa_reviews")


def worker() -> None:
    """Import the files named on stdin, one JSON answer line each."""
    from kaohe.errors import KaoheError
    from kaohe.imports import import_file
    from kaohe.store import Store

    with Store(":memory:") as store:
        for line in sys.stdin:
            path = line.strip()
            before = {t: store.count(t) for t in COUNTED}
            answer: dict[str, object] = {"file": path}
            started = time.perf_counter()
            try:
                result = import_file(store, path)
                grew = store.count(result.table) - before[result.table]
                answer.update(
                    status="ok",
                    read=result.read,
                    inserted=result.inserted,
                    updated=result.updated,
                    rejected=result.rejected,
                    skipped=result.skipped,
                    grew=grew,
                )
            except KaoheError as exc:
                masked = any(f"（{name}）" in str(exc) for name in BUG_EXCEPTIONS)
                answer.update(status="crash" if masked else "refused", error=str(exc)[:300])
            except Exception as exc:  # noqa: BLE001 - what the CLI would answer with exit 70
                answer.update(status="crash", error=f"{type(exc).__name__}: {exc}"[:500])
            answer["seconds"] = round(time.perf_counter() - started, 4)
            print(json.dumps(answer, ensure_ascii=False), flush=True)


class Worker:
    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )

    def ask(self, path: Path, timeout: float) -> dict[str, object]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(f"{path}\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return {"status": "abort", "code": self.proc.poll()}
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.kill()
            return {"status": "hang"}
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            return {"status": "abort", "code": code}
        return json.loads(line)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


# ---------------------------------------------------------------- the run


@dataclass
class Report:
    files: int = 0
    status: Counter = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    refusals: Counter = field(default_factory=Counter)

    @property
    def failures(self) -> int:
        bad = ("crash", "abort", "hang")
        return sum(self.status[s] for s in bad) + len(self.lost)


def balanced(answer: dict[str, object]) -> bool:
    read = int(answer["read"])  # type: ignore[arg-type]
    parts = sum(int(answer[k]) for k in ("inserted", "updated", "rejected", "skipped"))  # type: ignore[arg-type]
    return read == parts and answer["grew"] == answer["inserted"]


def refusal_kind(message: str) -> str:
    """The Chinese gist of a refusal, without the file name and the particulars."""
    text = message.split(": ", 1)[1] if ": " in message[:120] else message
    text = text.split(" / ", 1)[0]
    if text.startswith("无法读取文件（"):  # keep the reader's exception type
        return text.split("）", 1)[0] + "）"
    for stop in ("：", "（", "，", "；"):
        text = text.split(stop, 1)[0]
    return text.strip()[:30]


def run(paths: list[Path], timeout: float = 30.0, progress: bool = False) -> Report:
    report = Report()
    worker = Worker()
    for n, path in enumerate(paths, start=1):
        answer = worker.ask(path, timeout)
        status = str(answer["status"])
        report.status[status] += 1
        report.files += 1
        if status in ("hang", "abort"):
            report.crashes.append(f"{status} {answer.get('code', '')}: {path.name}")
            worker = Worker()
        elif status == "crash":
            report.crashes.append(f"crash: {path.name}: {answer.get('error')}")
        elif status == "refused":
            report.refusals[refusal_kind(str(answer.get("error", "")))] += 1
        elif status == "ok" and not balanced(answer):
            report.lost.append(f"{path.name}: {answer}")
        if "seconds" in answer:
            report.slowest = sorted([*report.slowest, (float(answer["seconds"]), path.name)])[-5:]  # type: ignore[arg-type]
        if progress and n % 500 == 0:
            print(f"  {n} files: {dict(report.status)}, lost {len(report.lost)}", flush=True)
    worker.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--dir", default=None, help="keep the generated files here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="kaohe-fuzz-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    paths = generate(args.files, args.seed, folder)
    print(f"generated {len(paths)} files in {time.perf_counter() - started:.1f} s ({folder})")
    started = time.perf_counter()
    report = run(paths, args.timeout, progress=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"imported {report.files} files in {seconds:.1f} s on {os.cpu_count()} CPUs")
    print(f"status: {dict(report.status)}")
    print(
        f"crashes (exit 70): {report.status['crash']}, aborts: {report.status['abort']}, "
        f"hangs over {args.timeout:g} s: {report.status['hang']}, lost rows: {len(report.lost)}"
    )
    print(f"slowest: {report.slowest}")
    print("refusals: " + ", ".join(f"{k} {n}" for k, n in report.refusals.most_common(12)))
    print(f"workers' peak RSS: {peak:.0f} MB")
    for line in (report.crashes + report.lost)[:30]:
        print("  " + line)
    if not args.dir:
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
