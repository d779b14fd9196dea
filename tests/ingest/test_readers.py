from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from kaohe.errors import NotFoundError
from kaohe.ingest.readers import decode, read_raw, sniff_delimiter

ROWS = "shop,buyer,sender,time,text\n店铺甲,买家1,buyer,2026-10-01 10:00:00,你好\n"


def test_utf8_csv_has_text_columns_and_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(ROWS + "店铺甲,买家2,agent,2026-10-01 10:01:00,在的\n", encoding="utf-8")
    raw = read_raw(path)
    assert raw.format == "csv"
    assert raw.frame["_row"].to_list() == [2, 3]
    assert raw.frame["shop"].to_list() == ["店铺甲", "店铺甲"]
    assert all(dt == pl.String for name, dt in raw.frame.schema.items() if name != "_row")
    assert len(raw.sha256) == 64


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_bom_and_gbk_files_are_detected(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(ROWS.encode(encoding))
    raw = read_raw(path)
    assert raw.frame.columns[1] == "shop"  # no BOM left in the first header
    assert raw.frame["buyer"].to_list() == ["买家1"]


def test_tsv_delimiter_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "m.tsv"
    path.write_text(ROWS.replace(",", "\t"), encoding="utf-8")
    assert read_raw(path).frame["text"].to_list() == ["你好"]
    assert sniff_delimiter("a;b;c\n1;2;3") == ";"


def test_decode_falls_back_to_gb18030() -> None:
    assert decode("客服".encode("gbk")) == "客服"
    assert decode(b"\xef\xbb\xbfabc") == "abc"


def test_xlsx_cells_are_text_and_datetimes_readable(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "o.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet()
        fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        sheet.write_row(0, 0, ["order_id", "created_at", "amount"])
        sheet.write(1, 0, 12345)
        sheet.write_datetime(1, 1, datetime(2026, 10, 1, 9, 30, 5), fmt)
        sheet.write(1, 2, 12.5)
    raw = read_raw(path)
    assert raw.format == "xlsx"
    assert raw.frame.row(0, named=True) == {
        "_row": 2,
        "order_id": "12345",
        "created_at": "2026-10-01 09:30:05",
        "amount": "12.5",
    }


def test_jsonl_and_parquet_are_cast_to_text(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"order_id": ["o1"], "items": [3], "created_at": [datetime(2026, 10, 1, 9, 0)]}
    )
    frame.write_ndjson(tmp_path / "o.jsonl")
    frame.write_json(tmp_path / "o.json")
    frame.write_parquet(tmp_path / "o.parquet")
    for name in ("o.jsonl", "o.json", "o.parquet"):
        raw = read_raw(tmp_path / name)
        assert raw.frame["items"].to_list() == ["3"]
        assert raw.frame["created_at"].dtype == pl.String


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        read_raw(tmp_path / "nope.csv")


def test_utf16_without_bom_and_unbalanced_quotes(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(ROWS.encode("utf-16-le"))
    assert read_raw(path).frame["buyer"].to_list() == ["买家1"]
    path.write_text(ROWS.replace("你好", '他说"好的') + "店铺甲,买家2,agent,t,x,多余\n", "utf-8")
    raw = read_raw(path)
    assert raw.frame["text"].to_list() == ['他说"好的', "x"]
    assert raw.frame["列6"].to_list() == [None, "多余"]  # wider than the header: a column
    assert raw.frame["_row"].to_list() == [2, 3]
    assert any("宽松" in note for note in raw.notes)
