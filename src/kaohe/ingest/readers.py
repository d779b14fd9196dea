"""Read any supported export into an all-text frame with a `_row` column.

Every column is Utf8 with the file's own headers; `_row` is the 1-based row number a
spreadsheet would show (header row 1, first data row 2; the line number for text files).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from kaohe.errors import NotFoundError, UsageError

ROW = "_row"
CSV_EXTS = {".csv", ".tsv", ".tab"}
EXCEL_EXTS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
JSONL_EXTS = {".jsonl", ".ndjson", ".json"}
PARQUET_EXTS = {".parquet", ".pq"}
TEXT_EXTS = {".txt", ".log"}
DELIMITERS = ("\t", ",", ";", "|")


@dataclass
class RawFile:
    """A file as read: all-text frame plus where it came from."""

    path: str
    frame: pl.DataFrame
    format: str  # csv, xlsx, jsonl, parquet, chat
    sha256: str
    text: str | None = None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def detect_encoding(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with BOM, plain UTF-8, else GB18030 (covers GBK, GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot decode file as UTF-8 or GB18030: {exc}") from None


def decode(data: bytes) -> str:
    return detect_encoding(data)[0]


def utf8_bytes(data: bytes, text: str, encoding: str) -> bytes:
    """The UTF-8 bytes of the file: its own bytes unless it was GB18030."""
    if encoding == "utf-8-sig":
        return data[3:]
    return data if encoding == "utf-8" else text.encode("utf-8")


def sniff_delimiter(text: str) -> str:
    """The candidate delimiter found most often in the header line."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _with_row(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.rename({c: str(c).strip() for c in frame.columns})
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))


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
        elif dtype.is_nested():
            exprs.append(col.map_elements(str, return_dtype=pl.String))
        else:
            exprs.append(col.cast(pl.String))
    return frame.select(exprs)


def parse_text_table(text: str, data: bytes | None = None) -> pl.DataFrame:
    """CSV/TSV text (already decoded; `data` its UTF-8 bytes) into an all-Utf8 frame."""
    if not text.strip():
        raise UsageError("the file is empty")
    frame = pl.read_csv(
        io.BytesIO(data if data is not None else text.encode("utf-8")),
        separator=sniff_delimiter(text),
        infer_schema=False,
        truncate_ragged_lines=True,
        raise_if_empty=False,
    )
    return _with_row(frame)


def read_excel(path: Path) -> pl.DataFrame:
    """First sheet, every column as text (datetimes as `YYYY-MM-DD HH:MM:SS`)."""
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    sheet = reader.load_sheet(0, dtypes="string")
    return _with_row(_all_text(sheet.to_polars()))


def _read_text_file(path: Path, data: bytes) -> RawFile:
    text, encoding = detect_encoding(data)
    sha = sha256_bytes(data)
    if path.suffix.lower() in TEXT_EXTS and _is_chat_window(text):
        return RawFile(
            str(path), pl.DataFrame({ROW: []}, schema={ROW: pl.Int64}), "chat", sha, text
        )
    frame = parse_text_table(text, utf8_bytes(data, text, encoding))
    return RawFile(str(path), frame, "csv", sha)


def _is_chat_window(text: str) -> bool:
    try:
        from kaohe.ingest.chat_window import looks_like_chat_window
    except ImportError:
        return False
    return looks_like_chat_window(text)


def _read_binary(path: Path, suffix: str, data: bytes) -> RawFile:
    sha = sha256_bytes(data)
    if suffix in EXCEL_EXTS:
        return RawFile(str(path), read_excel(path), "xlsx", sha)
    if suffix in PARQUET_EXTS:
        return RawFile(str(path), _with_row(_all_text(pl.read_parquet(path))), "parquet", sha)
    if data.lstrip()[:1] == b"[":  # a JSON array of records rather than JSON Lines
        frame = pl.read_json(io.BytesIO(data), infer_schema_length=None)
        return RawFile(str(path), _with_row(_all_text(frame)), "json", sha)
    frame = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    return RawFile(str(path), _with_row(_all_text(frame)), "jsonl", sha)


def read_raw(path: str | Path) -> RawFile:
    """Read CSV/TSV, XLSX/XLS, JSON Lines, Parquet or 千牛 chat-window text."""
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"file not found: {path}")
    suffix = path.suffix.lower()
    data = path.read_bytes()
    try:
        if suffix in EXCEL_EXTS | PARQUET_EXTS | JSONL_EXTS:
            return _read_binary(path, suffix, data)
        return _read_text_file(path, data)
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is an unreadable file
        raise UsageError(f"cannot read {path}: {type(exc).__name__}: {exc}") from None
