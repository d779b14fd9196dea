"""Checks that run before a file is handed to a parser (issue 16: hostile uploads).

A 1.5 KB .xlsx with one cell in A1 and one at the sheet's far corner makes the spreadsheet
reader allocate the whole grid; a zip member can inflate a thousandfold; JSON nested 1,000 deep
grew the reader to 23 GB. So before reading:

* an .xlsx (a zip) is inflated once as a stream, without keeping it: every member must inflate
  to exactly the size it declares, all of them together to at most `max_unpacked_mb`, a large
  member to at most `max_zip_ratio` times its compressed size; the cell references of the
  sheet that will be read give its used range, which may hold at most `max_cells` cells;
* a Parquet file's footer may declare at most `max_parquet_mb` uncompressed;
* a JSON (Lines) file may nest at most `max_json_depth` deep.

A file that fails is refused whole with one line naming the bound (`RefusedFile`).
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from kaohe.errors import UsageError
from kaohe.ingest.limits import MB, ZIP_RATIO_FLOOR, ImportLimits

CHUNK = 4 * MB
MAX_MEMBERS = 10_000
MAX_ROW, MAX_COL = 1_048_576, 16_384  # the largest sheet Excel can hold
LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # zip local file header, 30 bytes
ZIP_MAGIC = b"PK\x03\x04"


class RefusedFile(UsageError):
    """A file refused before parsing: it would expand past a limit."""


def refuse(name: str, zh: str, en: str) -> RefusedFile:
    return RefusedFile(f"{name}: 文件被拒绝，{zh} / file refused: {en}")


# ---------------------------------------------------------------- xlsx


@dataclass
class SheetScan:
    """What the cell references of a worksheet say about its used range."""

    min_row: int | None = None
    max_row: int = 0
    min_col: int | None = None
    max_col: int = 0
    first_value_row: int | None = None  # the sheet row of the first cell with a value
    rows_seen: int = 0  # <row> elements, for sheets that omit references

    @property
    def cells(self) -> int:
        if self.min_row is None or self.min_col is None:
            return self.rows_seen
        return (self.max_row - self.min_row + 1) * (self.max_col - self.min_col + 1)


_CELL_REF = re.compile(rb'\sr="([A-Za-z]{1,8})([0-9]{1,12})"')
_CELL_ROWS = re.compile(rb'\sr="[A-Za-z]{1,8}([0-9]{1,12})"')
_VALUE = re.compile(rb"<(?:v|is)[\s>]")
OVERLAP = 512  # bytes carried between chunks: longer than any reference the scan reads


def column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _by_magnitude(digits: list[bytes]) -> tuple[int, int]:
    """(min, max) of decimal strings without converting each one."""
    longest, shortest = max(map(len, digits)), min(map(len, digits))
    top = max(d for d in digits if len(d) == longest)
    low = min(d for d in digits if len(d) == shortest)
    return int(low), int(top)


class _SheetScanner:
    """Feeds inflated chunks of a worksheet's XML; regular expressions are bounded and
    linear (no nested quantifiers), each chunk is scanned once."""

    def __init__(self) -> None:
        self.scan = SheetScan()
        self.tail = b""
        self.offset = 0  # bytes of the document before `tail`

    def feed(self, chunk: bytes) -> None:
        buf = self.tail + chunk
        skip = len(self.tail)  # matches wholly inside the tail were read with the last chunk
        self._references(buf, skip)
        if self.scan.first_value_row is None:
            self._first_value(buf)
        self.scan.rows_seen += buf.count(b"<row", max(0, skip - 3))
        self.tail = buf[-OVERLAP:]

    def _references(self, buf: bytes, skip: int) -> None:
        """Cell references give the used range (a <row> without cells holds nothing); the
        distinct values are few (a row number repeats in each of its cells)."""
        start = max(0, skip - OVERLAP // 2)  # a reference straddling the seam is re-read
        refs = _CELL_REF.findall(buf, start)
        cols = {letters for letters, _ in refs}
        digits = list({number for _, number in refs})
        s = self.scan
        if cols:
            numbers = [column_number(c) for c in cols]
            s.min_col = min(numbers + ([s.min_col] if s.min_col is not None else []))
            s.max_col = max(numbers + [s.max_col])
        if digits:
            low, top = _by_magnitude(digits)
            s.min_row = low if s.min_row is None else min(s.min_row, low)
            s.max_row = max(s.max_row, top)

    def _first_value(self, buf: bytes) -> None:
        found = _VALUE.search(buf)
        if not found:
            return
        before = buf[: found.start()]
        cell = before.rfind(b' r="')
        row = _CELL_ROWS.match(before, cell) if cell >= 0 else None
        if row is not None:
            self.scan.first_value_row = int(row.group(1))
        else:  # no references: count the rows so far
            self.scan.first_value_row = self.scan.rows_seen + before.count(b"<row")


def _member_data_offset(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    fp = zf.fp
    assert fp is not None
    fp.seek(info.header_offset)
    header = fp.read(LOCAL_HEADER.size)
    if len(header) != LOCAL_HEADER.size or header[:4] != ZIP_MAGIC:
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    fields = LOCAL_HEADER.unpack(header)
    name_len, extra_len = fields[-2], fields[-1]
    return info.header_offset + LOCAL_HEADER.size + name_len + extra_len


def _inflate(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, sink: _SheetScanner | None
) -> int:
    """Inflate one member as a stream and return its true size; stop past `budget`."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise zipfile.BadZipFile(f"unsupported compression {info.compress_type}")
    fp = zf.fp
    assert fp is not None
    fp.seek(_member_data_offset(zf, info))
    remaining = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    total = 0
    while remaining > 0 or (inflater is not None and inflater.unconsumed_tail):
        raw = b""
        if inflater is None or not inflater.unconsumed_tail:
            raw = fp.read(min(CHUNK, remaining))
            if not raw:
                raise zipfile.BadZipFile(f"{info.filename} is truncated")
            remaining -= len(raw)
        if inflater is None:
            out = raw
        else:
            out = inflater.decompress(inflater.unconsumed_tail + raw, CHUNK)
        total += len(out)
        if total > budget:
            return total
        if sink is not None and out:
            sink.feed(out)
        if inflater is not None and inflater.eof:
            break
    return total


def _first_sheet(zf: zipfile.ZipFile) -> str | None:
    """The member of the workbook's first sheet (the one the reader loads)."""
    names = set(zf.namelist())
    try:
        book = zf.read("xl/workbook.xml") if "xl/workbook.xml" in names else b""
        rels = (
            zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
        )
    except (zipfile.BadZipFile, zlib.error, OSError):
        return None
    if len(book) > 16 * MB or len(rels) > 16 * MB:
        return None
    sheet = re.search(rb"<(?:\w+:)?sheet\b[^>]{0,2000}>", book)
    rid = re.search(rb'\b\w+:id="([^"]{1,100})"', sheet.group(0)) if sheet else None
    if rid is None:
        return None
    for rel in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]{0,2000}>", rels):
        if re.search(rb'\bId="' + re.escape(rid.group(1)) + rb'"', rel.group(0)):
            target = re.search(rb'\bTarget="([^"]{1,500})"', rel.group(0))
            if target is None:
                return None
            path = target.group(1).decode("utf-8", "replace").lstrip("/")
            return path if path.startswith("xl/") else f"xl/{path}"
    return None


def check_xlsx(path: Path, limits: ImportLimits) -> SheetScan:
    """Refuse a zip bomb or a far-corner sheet before the spreadsheet reader sees it."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_declared(name, infos, limits)
            sheet = _first_sheet(zf)
            sheets = {sheet} if sheet else {i.filename for i in infos if _is_sheet(i.filename)}
            scanner = _SheetScanner()
            _inflate_all(name, zf, infos, sheets, scanner, limits)
    except zipfile.BadZipFile as exc:
        raise refuse(name, f"不是有效的 xlsx（{exc}）", f"not a valid xlsx ({exc})") from None
    except (zlib.error, EOFError, OSError, ValueError, struct.error) as exc:
        raise refuse(name, f"xlsx 已损坏（{exc}）", f"damaged xlsx ({exc})") from None
    _check_range(name, scanner.scan, limits)
    return scanner.scan


def _is_sheet(member: str) -> bool:
    return member.startswith("xl/worksheets/") and member.endswith(".xml")


def _check_declared(name: str, infos: list[zipfile.ZipInfo], limits: ImportLimits) -> None:
    if len(infos) > MAX_MEMBERS:
        raise refuse(
            name, f"压缩包内文件过多（{len(infos)} 个）", f"too many zip members ({len(infos)})"
        )
    declared = sum(i.file_size for i in infos)
    if declared > limits.unpacked_bytes:
        raise _too_big(name, declared, limits)


def _too_big(name: str, size: int, limits: ImportLimits) -> RefusedFile:
    mb = size / MB
    return refuse(
        name,
        f"解压后约 {mb:,.0f} MB，超过上限 {limits.max_unpacked_mb} MB（[import] max_unpacked_mb）",
        f"unpacks to about {mb:,.0f} MB, over the {limits.max_unpacked_mb} MB limit "
        "([import] max_unpacked_mb)",
    )


def _inflate_all(
    name: str,
    zf: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    sheets: set[str],
    scanner: _SheetScanner,
    limits: ImportLimits,
) -> None:
    budget = limits.unpacked_bytes
    for info in infos:
        if info.is_dir():
            continue
        sink = scanner if info.filename in sheets else None
        # a member may inflate to its declared size, within the ratio limit (inflating stops
        # as soon as it passes either: a bomb is refused after its first megabytes)
        ratio_cap = max(ZIP_RATIO_FLOOR, limits.max_zip_ratio * info.compress_size)
        size = _inflate(zf, info, min(budget, info.file_size, ratio_cap), sink)
        if size > ratio_cap:
            raise _too_compressed(name, info.filename, info.file_size, info.compress_size, limits)
        if size > budget:
            raise _too_big(name, limits.unpacked_bytes + 1, limits)
        if size != info.file_size:
            raise refuse(
                name,
                f"压缩包成员 {info.filename} 的实际大小与声明不符",
                f"zip member {info.filename} does not inflate to its declared size",
            )
        budget -= size


def _too_compressed(
    name: str, member: str, declared: int, compressed: int, limits: ImportLimits
) -> RefusedFile:
    ratio = declared / max(1, compressed)
    return refuse(
        name,
        f"{member} 压缩比超过上限 {limits.max_zip_ratio}:1（声明 {ratio:,.0f}:1）",
        f"{member} inflates past the {limits.max_zip_ratio}:1 limit (it declares "
        f"{ratio:,.0f}:1; [import] max_zip_ratio)",
    )


def _check_range(name: str, scan: SheetScan, limits: ImportLimits) -> None:
    if scan.max_row > MAX_ROW or scan.max_col > MAX_COL:
        raise refuse(
            name,
            f"单元格位置超出 Excel 的范围（行 {scan.max_row}，列 {scan.max_col}）",
            f"a cell lies outside Excel's grid (row {scan.max_row}, column {scan.max_col})",
        )
    if scan.cells > limits.max_cells:
        raise refuse(
            name,
            f"工作表的使用区域有 {scan.cells:,} 个单元格（第 {scan.min_row}–{scan.max_row} 行，"
            f"第 {scan.min_col}–{scan.max_col} 列），超过上限 {limits.max_cells:,}"
            "（[import] max_cells）",
            f"the sheet's used range holds {scan.cells:,} cells (rows {scan.min_row}–"
            f"{scan.max_row}, columns {scan.min_col}–{scan.max_col}), over the "
            f"{limits.max_cells:,} limit ([import] max_cells)",
        )


# ---------------------------------------------------------------- parquet


def check_parquet(path: Path, limits: ImportLimits) -> None:
    """The footer's declared uncompressed size; an unreadable footer is a damaged file."""
    import pyarrow.parquet as pq

    name = path.name
    try:
        meta = pq.read_metadata(path)
        declared = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a bad footer
        raise refuse(name, f"Parquet 已损坏（{exc}）", f"damaged Parquet ({exc})") from None
    if declared > limits.max_parquet_mb * MB:
        mb = declared / MB
        raise refuse(
            name,
            f"Parquet 声明解压后 {mb:,.0f} MB，超过上限 {limits.max_parquet_mb} MB",
            f"Parquet declares {mb:,.0f} MB uncompressed, over the {limits.max_parquet_mb} MB "
            "limit ([import] max_parquet_mb)",
        )


# ---------------------------------------------------------------- json


def _exact_depth(data: bytes) -> int:
    """The deepest nesting of one JSON text, strings ignored. No regular expression: escaped
    backslashes and quotes are dropped (left to right, as JSON reads them), then every quote
    toggles "inside a string" and brackets count outside strings; vectorised in segments."""
    import numpy as np

    best, depth_in, quotes_in = 0, 0, 0
    plain_all = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    for start in range(0, len(plain_all), CHUNK):
        plain = plain_all[start : start + CHUNK]
        arr = np.frombuffer(plain, dtype=np.uint8)
        quotes = np.cumsum(arr == 0x22, dtype=np.int64) + quotes_in
        outside = quotes % 2 == 0
        delta = ((arr == 0x5B) | (arr == 0x7B)).astype(np.int64)
        delta -= (arr == 0x5D) | (arr == 0x7D)
        depth = np.cumsum(delta * outside) + depth_in
        if depth.size:
            best = max(best, int(depth.max()))
            depth_in, quotes_in = int(depth[-1]), int(quotes[-1])
    return best


def deepest_line(data: bytes, limit: int) -> tuple[int, int] | None:
    """(depth, 1-based line) of the first JSON Lines record nested deeper than `limit`.
    Only lines with more than `limit` opening brackets can be, so only those are measured."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return None
    start, line, size = 0, 1, len(data)
    while start < size:
        end = data.find(b"\n", start)
        end = size if end < 0 else end
        if data.count(b"[", start, end) + data.count(b"{", start, end) > limit:
            depth = _exact_depth(data[start:end])
            if depth > limit:
                return depth, line
        start, line = end + 1, line + 1
    return None


def check_json(name: str, data: bytes, limits: ImportLimits, array: bool) -> None:
    """Refuse JSON nested deeper than the limit (a JSON array of records counts its own
    level)."""
    if array:
        allowed = limits.max_json_depth + 1
        depth = _exact_depth(data) if data.count(b"[") + data.count(b"{") > allowed else 0
        found = (depth, 1) if depth > allowed else None
    else:
        found = deepest_line(data, limits.max_json_depth)
    if found is not None:
        depth, line = found
        where_zh, where_en = ("", "") if array else (f"第 {line} 行", f"line {line} ")
        raise refuse(
            name,
            f"{where_zh}嵌套 {depth} 层，超过上限 {limits.max_json_depth} 层",
            f"{where_en}nests {depth} levels deep, over the {limits.max_json_depth} limit "
            "([import] max_json_depth)",
        )
