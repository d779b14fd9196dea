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


def test_a_header_typo_exits_1_naming_the_column_and_imports_nothing(tmp_path: Path) -> None:
    typo = (
        "店铺名称,客服昵称,买家昵称,发送实间,发送者,消息内容\n"
        "云朵小铺,云朵小铺:阿青,橘子,2026-10-03 09:00:01,买家,在吗\n"
    )
    code, _, err = run(tmp_path, "import", write(tmp_path, "聊天.csv", typo))
    assert code == 1
    assert "缺少 发送时间 列" in err and "千牛聊天记录" in err and "--preset" in err
    assert "Traceback" not in err
    from kaohe.store import Store

    with Store(tmp_path / "k.duckdb") as store:
        assert store.count("messages") == 0 and store.count("import_log") == 0


def test_the_summary_lists_columns_not_read_skipped_rows_and_the_period(tmp_path: Path) -> None:
    report = (
        "序号,客服账号,咨询人数,平均人工响应时长,3分钟人工回复率(8-23点),备注\n"
        "1,pdd云朵:阿明,100,0.37,98%,无\n汇总,,100,,,\n"
    )
    path = write(tmp_path, "客服数据_2026-10-05.csv", report)
    code, out, err = run(tmp_path, "import", path)
    assert code == 0 and "跳过" in out
    assert "未读取的列: 序号, 备注" in err
    assert "跳过 1: 汇总行 / summary row (行 3)" in err
    assert "周期 2026-10-05，取自文件名" in err
    code, out, _ = run(tmp_path, "import", path, "--format", "json")
    entry = json.loads(out)["files"][0]
    # a re-import: both values unchanged, the 汇总 row skipped again
    assert (entry["read"], entry["inserted"], entry["updated"], entry["skipped"]) == (4, 0, 0, 4)
