import csv
import json
from pathlib import Path

from click.testing import CliRunner

from kaohe.cli import cli

GOOD = (
    "order_id,shop,buyer,created_at,paid_at,amount,status\n"
    "o1,s,b,2026-10-01 10:00:00,2026-10-01 10:05:00,10,paid\n"
)
BAD = GOOD + "o2,s,b,2026-10-01 10:00:00,2026-10-01 09:00:00,10,paid\no3,s,b,not a time,,,created\n"


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "k.duckdb"), *args])
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_prints_counts_in_chinese_and_exits_0(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "import", write(tmp_path, "o.csv", GOOD))
    assert code == 0
    assert "新增" in out and "拒绝" in out and "orders" in out


def test_import_english_labels(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "--lang", "en", "import", write(tmp_path, "o.csv", GOOD))
    assert code == 0 and "inserted" in out and "新增" not in out


def test_rejected_rows_exit_3_and_json_counts(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "import", write(tmp_path, "o.csv", BAD), "--format", "json")
    assert code == 3
    entry = json.loads(out)["files"][0]
    assert {k: entry[k] for k in ("read", "inserted", "updated", "rejected")} == {
        "read": 3,
        "inserted": 1,
        "updated": 0,
        "rejected": 2,
    }


def test_reimport_reports_nothing_new(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", GOOD)
    run(tmp_path, "import", path)
    code, out, _ = run(tmp_path, "import", path, "--format", "json")
    assert code == 0
    assert json.loads(out)["files"][0]["inserted"] == 0


def test_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "import", str(tmp_path / "nope.csv"))
    assert code == 2 and "nope.csv" in err


def test_unknown_table_preset_or_unreadable_file_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", GOOD)
    assert run(tmp_path, "import", path, "--table", "nope")[0] == 1
    assert run(tmp_path, "import", path, "--preset", "no_such_preset")[0] == 1
    code, _, err = run(tmp_path, "import", write(tmp_path, "x.csv", "foo,bar\n1,2\n"))
    assert code == 1 and "error" in err
    broken = tmp_path / "b.xlsx"
    broken.write_bytes(b"not a zip")
    assert run(tmp_path, "import", str(broken))[0] == 1


def test_quarantine_lists_and_exports(tmp_path: Path) -> None:
    run(tmp_path, "import", write(tmp_path, "o.csv", BAD))
    code, out, _ = run(tmp_path, "quarantine", "--format", "json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert [(r["row"], r["column"]) for r in rows] == [(3, "paid_at"), (4, "created_at")]
    target = tmp_path / "q.csv"
    assert run(tmp_path, "quarantine", "--export", str(target))[0] == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads UTF-8
    with target.open(encoding="utf-8-sig") as handle:
        exported = list(csv.DictReader(handle))
    assert list(exported[0]) == ["file", "row", "column", "value", "reason"]
    assert exported[1]["value"] == "not a time"
    code, out, _ = run(tmp_path, "quarantine")
    assert code == 0 and "原因" in out
