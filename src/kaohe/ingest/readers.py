"""Read any supported export into an all-text frame with a `_row` column.

Every column is Utf8 with the file's own headers; `_row` is the row number a spreadsheet would
show (the header's row + 1 for the first data row) or the line number for text files. Title
and blank rows above the header are skipped and kept (`title_lines`) for the period they may
state; every line-ending convention (LF, CRLF, CR alone, mixed) is read. Before any parser
sees a file, `kaohe.ingest.guard` refuses zip bombs, far-corner sheets and deep JSON.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from kaohe.errors import NotFoundError, UsageError
from kaohe.ingest.guard import RefusedFile, check_json, check_parquet, check_xlsx
from kaohe.ingest.limits import DEFAULT_LIMITS, ImportLimits

ROW = "_row"
CSV_EXTS = {".csv", ".tsv", ".tab"}
EXCEL_EXTS = {".xlsx", ".xlsm", ".xls"}
UNSUPPORTED_EXTS = {".xlsb", ".ods", ".numbers"}
JSONL_EXTS = {".jsonl", ".ndjson", ".json"}
PARQUET_EXTS = {".parquet", ".pq"}
TEXT_EXTS = {".txt", ".log"}
DELIMITERS = ("\t", ",", ";", "|")
HEADER_SEARCH = 30  # rows looked at for the header
MAX_HEADER_CHARS = 200
REJECT_SCHEMA = {"row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}
R_RECORD_SIZE = "记录过大 / record too large"
R_JSON = "无法解析的 JSON 记录 / invalid JSON record"
R_NOT_OBJECT = "不是 JSON 对象 / not a JSON object"
MAGIC = {b"PK\x03\x04": ".xlsx", b"PAR1": ".parquet", b"\xd0\xcf\x11\xe0": ".xls"}
FATAL = (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)

IsKnown = Callable[[str], bool]


@dataclass
class RawFile:
    """A file as read: all-text frame plus where it came from and what was set aside."""

    path: str
    frame: pl.DataFrame
    format: str  # csv, xlsx, jsonl, json, parquet, chat
    sha256: str
    text: str | None = None
    header_row: int | None = None  # the header's row (line) number, when the file has one
    title_lines: list[str] = field(default_factory=list)  # rows above the header
    rejects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECT_SCHEMA))
    notes: list[str] = field(default_factory=list)  # what the reader changed, for the summary

    @property
    def name(self) -> str:
        return Path(self.path).name


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def detect_encoding(data: bytes) -> tuple[str, str]:
    """(text, encoding): a BOM (UTF-8, UTF-16), plain UTF-8, else GB18030 (GBK, GB2312)."""
    boms = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
    candidates = [enc for bom, enc in boms if data.startswith(bom)] or [
        *_utf16_without_bom(data),
        "utf-8",
        "gb18030",
    ]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UsageError(
        "无法识别文件编码（应为 UTF-8 或 GB18030/GBK） / cannot decode the file as UTF-8 or GB18030"
    )


def _utf16_without_bom(data: bytes) -> list[str]:
    """UTF-16 saved without a BOM (Excel's "Unicode text"): ASCII characters leave a NUL in
    every other byte."""
    head = data[:4000]
    if len(head) < 4 or head.count(0) < len(head) // 4:
        return []
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd > 3 * even:
        return ["utf-16-le"]
    return ["utf-16-be"] if even > 3 * odd else []


def decode(data: bytes) -> str:
    return detect_encoding(data)[0]


def normalise_text(text: str) -> tuple[str, list[str]]:
    """LF line endings (CRLF and a lone CR both end a line) and no NUL characters."""
    notes: list[str] = []
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    nuls = text.count("\x00")
    if nuls:
        text = text.replace("\x00", "")
        notes.append(f"删除了 {nuls} 个 NUL 字符 / removed {nuls} NUL characters")
    return text, notes


def sniff_delimiter(text: str) -> str:
    """The candidate delimiter that some early line holds most often (title lines hold
    none)."""
    lines = text[: 1 << 16].split("\n", HEADER_SEARCH)[:HEADER_SEARCH]
    counts = {d: max(line.count(d) for line in lines) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# ---------------------------------------------------------------- the header row


def header_index(rows: list[list[str | None]], is_known: IsKnown | None = None) -> int:
    """The header among the first rows: the first with the most known headers (two or more),
    else the first at least half as wide as the widest row. Title rows (one cell) and blank
    rows above it are skipped."""
    rows = rows[:HEADER_SEARCH]
    filled = [[c.strip()[: MAX_HEADER_CHARS + 1] for c in r if c and c.strip()] for r in rows]
    widths = [len(f) for f in filled]
    if not widths or max(widths) == 0:
        return 0
    if is_known is not None:
        known = [sum(1 for c in f if is_known(c)) for f in filled]
        if max(known) >= 2:
            return known.index(max(known))
    widest = max(widths)
    need = 1 if widest == 1 else max(2, (widest + 1) // 2)
    return next(i for i, w in enumerate(widths) if w >= need)


def unique_headers(cells: list[str | None]) -> list[str]:
    """Header names as written, stripped; a blank one becomes 列N, a repeat `name (2)`, one
    longer than MAX_HEADER_CHARS (no header is; a value in the header row) is shortened."""
    out: list[str] = []
    seen: set[str] = set()
    for i, cell in enumerate(cells, start=1):
        name = (cell or "").strip().lstrip("\ufeff") or f"列{i}"
        if len(name) > MAX_HEADER_CHARS:
            name = f"{name[:40]}…（{len(name):,} 字符 / characters）"
        base, n = name, 1
        while name in seen or name == ROW:
            n += 1
            name = f"{base} ({n})"
        seen.add(name)
        out.append(name)
    return out


def _title_lines(rows: list[list[str | None]]) -> list[str]:
    lines = [" ".join(c.strip() for c in r if c and c.strip()) for r in rows]
    return [line for line in lines if line]


# ---------------------------------------------------------------- text tables


def _first_records(text: str, delimiter: str) -> tuple[list[list[str | None]], list[int]]:
    """The first records by the csv module, with the line number each one ends on."""
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    reader = csv.reader(_lines(text), delimiter=delimiter)
    records: list[list[str | None]] = []
    ends: list[int] = []
    try:
        for record in reader:
            records.append(list(record))
            ends.append(reader.line_num)
            if len(records) >= HEADER_SEARCH:
                break
    except csv.Error:
        pass  # the rest is polars' to read; the header lies within what parsed
    return records, ends


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their line ends, one at a time (no copy of the whole)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def parse_text_table(
    text: str, is_known: IsKnown | None = None, utf8: bytes | None = None
) -> tuple[pl.DataFrame, int, list[str], list[str]]:
    """CSV/TSV text (decoded, LF line endings) into (all-Utf8 frame with `_row`, header line
    number, title rows, notes). `utf8`, when given, is the text's own UTF-8 bytes (read
    without a copy). Rows wider than the header get columns 列N (listed as not read); a file
    the fast parser rejects (unbalanced quotes) is read leniently, record by record."""
    if not text or text.isspace():
        raise UsageError("文件是空的 / the file is empty")
    delimiter = sniff_delimiter(text)
    records, ends = _first_records(text, delimiter)
    if not records:
        raise UsageError("文件是空的 / the file is empty")
    at = header_index(records, is_known)
    header_line = ends[at]
    width = max(len(r) for r in records[at:])
    names = unique_headers(records[at] + [None] * (width - len(records[at])))
    body = _after_lines(utf8, header_line) if utf8 is not None else None
    if body is None:
        body = _after_lines(text, header_line).encode("utf-8")
    notes: list[str] = []
    try:
        frame = pl.read_csv(
            io.BytesIO(body),
            separator=delimiter,
            has_header=False,
            schema={n: pl.String for n in names},
            missing_columns="insert",
            extra_columns="ignore",
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
        frame = frame.with_row_index(ROW, offset=header_line + 1)
    except (pl.exceptions.ComputeError, pl.exceptions.SchemaError):
        frame = _lenient_rows(_after_lines(text, header_line), delimiter, names, header_line)
        notes.append(
            "引号不成对等格式问题，已逐行宽松读取 / malformed quoting: read record by record"
        )
    frame = frame.with_columns(pl.col(ROW).cast(pl.Int64))
    return frame, header_line, _title_lines(records[:at]), notes


def _lenient_rows(body: str, delimiter: str, names: list[str], header_line: int) -> pl.DataFrame:
    """Every record by the csv module, which takes a stray quote as text; each record's
    `_row` is the line it starts on."""
    reader = csv.reader(io.StringIO(body), delimiter=delimiter)
    rows: list[list[str | None]] = []
    start = header_line + 1
    width = len(names)
    for record in reader:
        cells: list[str | None] = [c if c != "" else None for c in record[:width]]
        rows.append([start, *cells, *([None] * (width - len(cells)))])
        start = header_line + reader.line_num + 1
    schema = {ROW: pl.Int64, **{n: pl.String for n in names}}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _after_lines(text: Any, lines: int) -> Any:
    """The text (str or bytes) after its first `lines` lines."""
    newline = "\n" if isinstance(text, str) else b"\n"
    at = 0
    for _ in range(lines):
        at = text.find(newline, at)
        if at < 0:
            return text[:0]
        at += 1
    return text[at:]


# ---------------------------------------------------------------- frames


def _with_row(frame: pl.DataFrame, offset: int = 2) -> pl.DataFrame:
    frame = frame.rename(dict(zip(frame.columns, unique_headers(frame.columns), strict=True)))
    return frame.with_row_index(ROW, offset=offset).with_columns(pl.col(ROW).cast(pl.Int64))


def _all_text(frame: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            exprs.append(col)
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone:
            exprs.append(col.dt.strftime("%Y-%m-%dT%H:%M:%S%.f%:z"))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(col.dt.strftime("%Y-%m-%d %H:%M:%S%.f"))
        elif dtype.is_nested() or dtype == pl.Object:
            exprs.append(col.map_elements(str, return_dtype=pl.String))
        elif dtype == pl.Null:
            exprs.append(col.cast(pl.String))
        else:
            exprs.append(col.cast(pl.String))
    return frame.select(exprs)


# ---------------------------------------------------------------- excel


def read_excel(
    path: Path, limits: ImportLimits = DEFAULT_LIMITS, is_known: IsKnown | None = None
) -> tuple[pl.DataFrame, int, list[str]]:
    """The first sheet, every cell as text: (frame with `_row` = sheet row, header row, title
    rows). An .xlsx is checked by kaohe.ingest.guard first."""
    import fastexcel

    first_row = 1
    if path.suffix.lower() in (".xlsx", ".xlsm") or _magic(path) == ".xlsx":
        scan = check_xlsx(path, limits)
        first_row = scan.first_value_row or 1
    reader = fastexcel.read_excel(str(path))
    sheet = reader.load_sheet(0, header_row=None, dtypes="string")
    grid = sheet.to_polars()
    if grid.height == 0:
        raise UsageError("工作表是空的 / the first sheet is empty")
    grid = _all_text(grid)
    head = [list(r) for r in grid.head(HEADER_SEARCH).iter_rows()]
    at = header_index(head, is_known)
    names = unique_headers(head[at])
    data = grid.slice(at + 1)
    data.columns = names
    header_row = first_row + at
    frame = data.with_row_index(ROW, offset=header_row + 1).with_columns(pl.col(ROW).cast(pl.Int64))
    return frame, header_row, _title_lines(head[:at])


def _magic(path: Path) -> str | None:
    with path.open("rb") as handle:
        start = handle.read(4)
    return MAGIC.get(start)


# ---------------------------------------------------------------- json


def _json_lines(data: bytes, limits: ImportLimits) -> tuple[list[tuple[int, bytes]], list[dict]]:
    """(line number, bytes) of each record to read, and rejects for over-long lines."""
    kept: list[tuple[int, bytes]] = []
    rejects: list[dict[str, Any]] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        if len(line) > limits.record_bytes:
            rejects.append(
                _reject(
                    number,
                    line[:200].decode("utf-8", "replace") + "…",
                    f"{R_RECORD_SIZE}（{len(line):,} 字节 / bytes > {limits.record_bytes:,}）",
                )
            )
            continue
        kept.append((number, line))
    return kept, rejects


def _reject(row: int, value: str, reason: str) -> dict[str, Any]:
    return {"row": row, "column": "_record", "value": value, "reason": reason}


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _records_one_by_one(kept: list[tuple[int, bytes]]) -> tuple[pl.DataFrame, list[dict]]:
    """Each line parsed alone: a line that is not a JSON object is rejected, not the file."""
    rows: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    for number, line in kept:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            rejects.append(_reject(number, line[:200].decode("utf-8", "replace"), R_JSON))
            continue
        if not isinstance(record, dict):
            rejects.append(_reject(number, line[:200].decode("utf-8", "replace"), R_NOT_OBJECT))
            continue
        rows.append({ROW: number, **{str(k): _cell_text(v) for k, v in record.items()}})
    names = list(dict.fromkeys(k for r in rows for k in r if k != ROW))
    frame = pl.DataFrame(
        [[r.get(n) for n in names] + [r[ROW]] for r in rows],
        schema={**{n: pl.String for n in names}, ROW: pl.Int64},
        orient="row",
    )
    return frame, rejects


def read_jsonl(path: Path, data: bytes, limits: ImportLimits) -> RawFile:
    check_json(path.name, data, limits, array=False)
    kept, rejects = _json_lines(data, limits)
    try:
        frame = pl.read_ndjson(
            io.BytesIO(b"\n".join(line for _, line in kept)), infer_schema_length=None
        )
        if frame.height != len(kept):
            raise ValueError("row count differs")
        frame = _all_text(frame)
        frame = frame.rename(dict(zip(frame.columns, unique_headers(frame.columns), strict=True)))
        frame = frame.with_columns(pl.Series(ROW, [n for n, _ in kept], pl.Int64))
    except Exception:  # noqa: BLE001 - a bad line or mixed types: read line by line
        frame, bad = _records_one_by_one(kept)
        rejects += bad
    frame = frame.select([c for c in frame.columns if c != ROW] + [ROW]) if frame.width else frame
    raw = RawFile(str(path), frame, "jsonl", sha256_bytes(data))
    if rejects:
        raw.rejects = pl.DataFrame(rejects, schema=REJECT_SCHEMA)
    return raw


def read_json_array(path: Path, data: bytes, limits: ImportLimits) -> RawFile:
    check_json(path.name, data, limits, array=True)
    frame = pl.read_json(io.BytesIO(data), infer_schema_length=None)
    return RawFile(str(path), _with_row(_all_text(frame)), "json", sha256_bytes(data))


# ---------------------------------------------------------------- entry point


def _read_text_file(path: Path, data: bytes, is_known: IsKnown | None) -> RawFile:
    decoded, encoding = detect_encoding(data)
    text, notes = normalise_text(decoded.lstrip("\ufeff"))
    same = text is decoded and encoding in ("utf-8", "utf-8-sig")
    utf8 = (data[3:] if encoding == "utf-8-sig" else data) if same else None
    sha = sha256_bytes(data)
    if path.suffix.lower() in TEXT_EXTS and _is_chat_window(text):
        empty = pl.DataFrame({ROW: []}, schema={ROW: pl.Int64})
        return RawFile(str(path), empty, "chat", sha, text, notes=notes)
    frame, header_line, titles, parse_notes = parse_text_table(text, is_known, utf8)
    return RawFile(
        str(path),
        frame,
        "csv",
        sha,
        header_row=header_line,
        title_lines=titles,
        notes=notes + parse_notes,
    )


def _is_chat_window(text: str) -> bool:
    from kaohe.ingest.chat_window import looks_like_chat_window

    return looks_like_chat_window(text)


def _read(
    path: Path, kind: str, data: bytes, limits: ImportLimits, is_known: IsKnown | None
) -> RawFile:
    sha = sha256_bytes(data)
    if kind in EXCEL_EXTS:
        frame, header_row, titles = read_excel(path, limits, is_known)
        return RawFile(str(path), frame, "xlsx", sha, header_row=header_row, title_lines=titles)
    if kind in PARQUET_EXTS:
        check_parquet(path, limits)
        return RawFile(str(path), _with_row(_all_text(pl.read_parquet(path))), "parquet", sha)
    if kind in JSONL_EXTS:
        if data.lstrip()[:1] == b"[":  # a JSON array of records rather than JSON Lines
            return read_json_array(path, data, limits)
        return read_jsonl(path, data, limits)
    return _read_text_file(path, data, is_known)


def file_kind(path: Path, data: bytes) -> str:
    """The format to read: the file's magic bytes (a spreadsheet or Parquet saved under
    another name) before its extension."""
    by_magic = MAGIC.get(data[:4])
    if by_magic == ".xlsx" and path.suffix.lower() == ".xlsm":
        return ".xlsm"
    return by_magic or path.suffix.lower()


def read_raw(
    path: str | Path,
    limits: ImportLimits = DEFAULT_LIMITS,
    is_known: IsKnown | None = None,
) -> RawFile:
    """Read CSV/TSV, XLSX/XLS, JSON Lines, JSON, Parquet or 千牛 chat-window text.
    `is_known(header)` helps find the header row under title rows."""
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"文件不存在 / file not found: {path}")
    if path.suffix.lower() in UNSUPPORTED_EXTS:
        raise UsageError(
            f"{path.name}: 不支持 {path.suffix} 文件，请另存为 .xlsx 或 .csv / "
            f"{path.suffix} files are not read: save as .xlsx or .csv"
        )
    data = path.read_bytes()
    try:
        return _read(path, file_kind(path, data), data, limits, is_known)
    except (UsageError, RefusedFile):
        raise
    except BaseException as exc:  # noqa: BLE001 - a reader's panic is an unreadable file too
        if isinstance(exc, FATAL):
            raise
        detail = str(exc).splitlines()[0][:300] if str(exc) else ""
        raise UsageError(
            f"{path.name}: 无法读取文件（{type(exc).__name__}） / cannot read the file: "
            f"{type(exc).__name__}: {detail}"
        ) from None
