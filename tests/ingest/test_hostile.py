"""Hostile and damaged files (issue 16): refused with one clear line before any parser expands
them, or imported with every row accounted for. Timings are not asserted here: a file that
must be handled quickly runs in a subprocess under a hard timeout, a hang guard only
(benchmarks/import_fuzz.py measures)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import kaohe
from kaohe.errors import UsageError
from kaohe.ingest.guard import RefusedFile, check_xlsx
from kaohe.ingest.limits import DEFAULT_LIMITS
from kaohe.ingest.load import import_file
from kaohe.ingest.readers import read_raw
from kaohe.store import Store

SRC = str(Path(kaohe.__file__).resolve().parents[1])
HANG_GUARD_S = 30
MESSAGES_HEADER = "shop,buyer,agent,sender,time,text"


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "k.duckdb") as s:
        yield s


def run_isolated(code: str) -> dict:
    """Run `code` in a fresh interpreter (it prints one JSON line); a hang fails the test."""
    env = {**os.environ, "PYTHONPATH": SRC}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def base_xlsx(path: Path) -> Path:
    import xlsxwriter

    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("Sheet1")
        sheet.write_row(0, 0, ["order_id", "shop", "buyer", "created_at"])
        sheet.write_row(1, 0, ["o1", "s", "b", "2026-10-01 10:00:00"])
    return path


def rewrite_member(path: Path, member: str, edit) -> None:  # noqa: ANN001 - bytes -> bytes
    src = zipfile.ZipFile(path)
    items = [(info, src.read(info.filename)) for info in src.infolist()]
    src.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            out.writestr(info, edit(data) if info.filename == member else data)


SHEET = "xl/worksheets/sheet1.xml"
FAR_CORNER = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'


def far_corner_xlsx(path: Path) -> Path:
    base_xlsx(path)
    rewrite_member(path, SHEET, lambda d: d.replace(b"</sheetData>", FAR_CORNER + b"</sheetData>"))
    return path


def bomb_xlsx(path: Path, mb: int = 64) -> Path:
    """A sheet padded with whitespace that inflates about a thousandfold."""
    base_xlsx(path)
    padding = b" " * (mb * 1024 * 1024)
    rewrite_member(path, SHEET, lambda d: d.replace(b"<sheetData>", b"<sheetData>" + padding))
    return path


def lying_xlsx(path: Path) -> Path:
    """A member that declares 1,000 bytes and inflates to 20 MB (sizes patched in both the
    local and the central header)."""
    base_xlsx(path)
    rewrite_member(
        path, SHEET, lambda d: d.replace(b"<sheetData>", b"<sheetData>" + b" " * 20_000_000)
    )
    data = bytearray(path.read_bytes())
    name = SHEET.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                data[at + size_at : at + size_at + 4] = struct.pack("<L", 1000)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))
    return path


# ---------------------------------------------------------------- spreadsheets


def test_a_far_corner_sheet_is_refused_before_reading(tmp_path: Path) -> None:
    path = far_corner_xlsx(tmp_path / "corner.xlsx")
    assert path.stat().st_size < 10_000
    with pytest.raises(RefusedFile, match="max_cells") as info:
        read_raw(path)
    assert "1048576" in str(info.value) and "文件被拒绝" in str(info.value)


def test_a_compression_bomb_is_refused(tmp_path: Path) -> None:
    path = bomb_xlsx(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 1_000_000
    with pytest.raises(RefusedFile, match="max_zip_ratio"):
        read_raw(path)


def test_a_member_lying_about_its_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RefusedFile, match="declared size"):
        read_raw(lying_xlsx(tmp_path / "lying.xlsx"))


def test_an_ordinary_sheet_passes_the_checks(tmp_path: Path) -> None:
    scan = check_xlsx(base_xlsx(tmp_path / "ok.xlsx"), DEFAULT_LIMITS)
    assert (scan.min_row, scan.max_row, scan.min_col, scan.max_col) == (1, 2, 1, 4)
    assert scan.first_value_row == 1


def test_damaged_files_are_one_clear_error(tmp_path: Path) -> None:
    good = base_xlsx(tmp_path / "good.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(good[: len(good) // 2])
    (tmp_path / "noise.parquet").write_bytes(b"PAR1" + os.urandom(300))
    (tmp_path / "x.ods").write_bytes(b"PK")
    for name in ("cut.xlsx", "noise.parquet", "x.ods"):
        with pytest.raises(UsageError) as info:
            read_raw(tmp_path / name)
        assert " / " in str(info.value)  # Chinese / English


# ---------------------------------------------------------------- json


def test_a_thousand_deep_json_line_is_refused_quickly_and_small(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}\n")
    result = run_isolated(
        "import json, resource\n"
        "from kaohe.ingest.readers import read_raw\n"
        "from kaohe.errors import UsageError\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"try:\n    read_raw({str(path)!r}); msg = ''\n"
        "except UsageError as exc:\n    msg = str(exc)\n"
        "grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print(json.dumps({'message': msg, 'grown_kb': grown}))\n"
    )
    assert "max_json_depth" in result["message"] and "1001" in result["message"]
    assert result["grown_kb"] < 200 * 1024


def test_json_lines_over_long_or_broken_records_are_rejected_not_the_file(
    store: Store, tmp_path: Path
) -> None:
    good = {"shop": "s", "buyer": "b", "agent": "s:a", "sender": "buyer", "text": "在吗"}
    lines = [
        json.dumps({**good, "time": "2026-10-01 10:00:00"}, ensure_ascii=False),
        json.dumps({**good, "time": "2026-10-01 10:00:01", "text": "x" * 1_100_000}),
        '{"shop": "s", "buyer": ',
        "[1, 2]",
        json.dumps({**good, "time": "2026-10-01 10:00:02", "text": "合计"}, ensure_ascii=False),
    ]
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    result = import_file(store, path)
    assert (result.read, result.inserted, result.rejected) == (5, 2, 3)
    reasons = store.con.execute('SELECT "row", reason FROM quarantine ORDER BY "row"').fetchall()
    assert [r[0] for r in reasons] == [2, 3, 4]
    assert "记录过大" in reasons[0][1] and "JSON" in reasons[1][1]
    assert store.con.execute("SELECT text FROM messages ORDER BY seq").fetchall()[-1] == ("合计",)


# ---------------------------------------------------------------- text


def test_the_435_byte_chat_window_line_is_handled_at_once(tmp_path: Path) -> None:
    head = "买家甲 2024-01-01 09:59:00\n在吗\n店:小美 2024-01-01 10:00:00\n"
    spaces = 435 - len(head.encode()) - len("a-->b\n")
    line = "a" + " " * (spaces // 2) + "-->" + " " * (spaces - spaces // 2) + "b"
    text = head + line + "\n"
    path = tmp_path / "chat.txt"
    path.write_text(text, "utf-8")
    assert len(text.encode()) == 435
    result = run_isolated(
        "import json\n"
        "from kaohe.ingest.load import import_file\n"
        "from kaohe.store import Store\n"
        "with Store(':memory:') as st:\n"
        f"    r = import_file(st, {str(path)!r}, shop='店', platform='taobao')\n"
        "print(json.dumps({'read': r.read, 'inserted': r.inserted}))\n"
    )
    assert result == {"read": 2, "inserted": 2}  # the odd line is the agent's message text


@pytest.mark.parametrize("ending", [b"\r", b"\r\n", b"\n"], ids=["cr-only", "crlf", "lf"])
def test_every_line_ending_reads_every_row(store: Store, tmp_path: Path, ending: bytes) -> None:
    rows = [
        MESSAGES_HEADER,
        "s,b,s:a,buyer,2026-10-01 10:00:00,在吗",
        "s,b,s:a,agent,2026-10-01 10:00:10,在的",
        "s,b,s:a,buyer,2026-10-01 10:00:20,合计",
    ]
    path = tmp_path / "m.csv"
    path.write_bytes(ending.join(r.encode() for r in rows) + ending)
    result = import_file(store, path)
    assert (result.read, result.inserted, result.skipped) == (3, 3, 0)
    texts = store.con.execute("SELECT text FROM messages ORDER BY seq").fetchall()
    assert texts == [("在吗",), ("在的",), ("合计",)]  # the buyer's 合计 is a message


def test_mixed_line_endings_glue_no_rows(store: Store, tmp_path: Path) -> None:
    data = (
        MESSAGES_HEADER.encode()
        + b"\r\ns,b,s:a,buyer,2026-10-01 10:00:00,one\rs,b,s:a,agent,2026-10-01 10:00:10,two"
        + b"\ns,b,s:a,buyer,2026-10-01 10:00:20,three\r\n"
    )
    (tmp_path / "m.csv").write_bytes(data)
    result = import_file(store, tmp_path / "m.csv")
    assert (result.read, result.inserted) == (3, 3)
    texts = store.con.execute("SELECT text FROM messages ORDER BY seq").fetchall()
    assert texts == [("one",), ("two",), ("three",)]


def test_a_2mb_key_value_is_quarantined_and_the_rest_imports(store: Store, tmp_path: Path) -> None:
    huge = "X" * 2_000_000
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,shop,buyer,created_at\n"
        f"{huge},s,b,2026-10-01 10:00:00\n"
        "o2,s,b,2026-10-01 10:00:00\n",
        "utf-8",
    )
    result = import_file(store, path)
    assert (result.read, result.inserted, result.rejected) == (2, 1, 1)
    row, column, value, reason = store.con.execute(
        'SELECT "row", "column", value, reason FROM quarantine'
    ).fetchone()
    assert (row, column) == (2, "order_id") and "值过长" in reason and "1,000" in reason
    assert len(value) <= 501  # kept up to 500 characters


def test_nul_bytes_and_duplicate_headers(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(
        b"shop,buyer,agent,sender,time,text,text\n"
        b"s,b,s:a,buyer,2026-10-01 10:00:00,hi\x00there,again\n"
    )
    result = import_file(store, path)
    assert result.inserted == 1 and result.ignored_columns == ["text (2)"]
    assert any("NUL" in note for note in result.notes)
    assert store.con.execute("SELECT text FROM messages").fetchone() == ("hithere",)


def test_reimport_balances_as_skipped(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(MESSAGES_HEADER + "\ns,b,s:a,buyer,2026-10-01 10:00:00,在吗\n,,,,,\n", "utf-8")
    first = import_file(store, path)
    again = import_file(store, path)
    assert (first.read, first.inserted, first.skipped) == (2, 1, 1)
    assert first.skips == [{"reason": "空行 / blank row", "count": 1, "rows": [3]}]
    assert (again.read, again.inserted, again.skipped) == (2, 0, 2)
    assert [s["reason"][:4] for s in again.skips] == ["空行 /", "已导入过"]
