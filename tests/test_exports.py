"""No cell kaohe writes can become a formula: a hostile agent id, roster name, shop and
quarantined value (`=HYPERLINK(...)`, `@…`, `+…`, `-…`) go through every export path —
quarantine, kpi, score, pay and check as csv and xlsx, the report workbook, the assessment
workbook and the web downloads — and come out as text. And 客件数 is shown as items per
buyer (1.33), never as a percent, in the terminal, the TSV, Excel and the HTML report."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from kaohe.cli import cli
from kaohe.spreadsheet import FORMULA_START
from kaohe.store import Store
from tests.engine.conftest import fill, fill_table, msg

LINK = '=HYPERLINK("http://evil.example","点我")'
AGENT = LINK  # an agent id as a hostile chat export could carry it
NAME = "@SUM(1,1)"
SHOP = "+店"
BUYER = "-b1"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
KPI = ("--period", "2026-10", "--metrics", "reply_rate,agent_messages", "--no-facts")

SCHEME = """\
id: mine
name: 我的方案
items:
  - id: rate
    label: 回复率
    rule: tiers
    metric: reply_rate
    target: 1.0
    bands:
      - {min: 0.9, points: 10}
      - {points: 0}
"""
PLAN = """\
id: mine
name: 我的薪资
lines:
  - id: replies_pay
    name: 回复提成
    formula: 5 * agent_messages
"""


def _chat(buyer: str, asked: str, replied: str) -> list[dict]:
    place = {"shop": SHOP, "platform": "pdd"}
    return [
        msg(buyer, AGENT, "buyer", asked, "在吗", **place),
        msg(buyer, AGENT, "agent", replied, "在的", **place),
    ]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("exports") / "k.duckdb")
    rows = _chat(BUYER, "2026-10-05 10:00:00", "2026-10-05 10:00:10")
    rows += _chat("@b2", "2026-10-05 11:00:00", "2026-10-05 11:20:00")  # slow: pdd fails
    with Store(path) as store:
        fill(store, rows)
        fill_table(
            store,
            "agents",
            [{"agent": AGENT, "name": NAME, "shops": SHOP, "role": "presales"}],
        )
        fill_table(
            store,
            "quarantine",
            [
                {
                    "file": "orders.csv",
                    "sha256": "x",
                    "row": 3,
                    "column": "paid_at",
                    "value": LINK,
                    "reason": "not a time",
                    "table_name": "orders",
                }
            ],
        )
    return path


def kaohe(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    assert result.exit_code == 0, result.output
    return result.output


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_inert_csv(text: str, hostile: str = LINK) -> None:
    """No CSV cell starts a formula, except plain numbers; the hostile text is there,
    quoted."""
    cells = [c for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))) for c in row]
    risky = [c for c in cells if c.startswith(FORMULA_START) and not _is_number(c)]
    assert not risky, risky
    assert "'" + hostile in cells


def assert_inert_xlsx(path: Path | bytes, hostile: str = LINK) -> None:
    """No formula in any sheet, and every cell whose text starts like one carries Excel's
    quote prefix (kept as text when edited); the hostile text is one of them."""
    with zipfile.ZipFile(io.BytesIO(path) if isinstance(path, bytes) else path) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        shared = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
        styles = ElementTree.fromstring(z.read("xl/styles.xml"))
    strings = ["".join(si.itertext()) for si in shared.findall("m:si", NS)]
    xfs = styles.findall("m:cellXfs/m:xf", NS)
    risky = 0
    for xml in sheets:
        assert b"<f>" not in xml and b"<f " not in xml
        for cell in ElementTree.fromstring(xml).iter(f"{{{NS['m']}}}c"):
            if cell.get("t") != "s":
                continue
            text = strings[int(cell.find("m:v", NS).text)]
            if text.startswith(FORMULA_START):
                risky += 1
                assert xfs[int(cell.get("s", 0))].get("quotePrefix") == "1", text
    assert hostile in strings and risky


@pytest.mark.parametrize(
    ("args", "hostile"),
    [
        (("kpi", *KPI), LINK),
        (("kpi", *KPI, "--by", "shop,agent"), SHOP),
        (("check", "--period", "2026-10", "--preset", "pdd_daily_reply"), SHOP),
    ],
    ids=["kpi", "kpi-by-shop", "check"],
)
def test_csv_on_stdout_and_in_a_file(
    db: str, tmp_path: Path, args: tuple[str, ...], hostile: str
) -> None:
    assert_inert_csv(kaohe(db, *args, "--format", "csv"), hostile)
    out = tmp_path / "out.csv"
    kaohe(db, *args, "--format", "csv", "--out", str(out))
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel on Windows reads the BOM
    assert_inert_csv(out.read_text(encoding="utf-8"), hostile)


def test_score_and_pay_csv(db: str, tmp_path: Path) -> None:
    scheme, plan = tmp_path / "s.yaml", tmp_path / "p.yaml"
    scheme.write_text(SCHEME, "utf-8")
    plan.write_text(PLAN, "utf-8")
    for args in (
        ("score", "--scheme", str(scheme)),
        ("pay", "--plan", str(plan)),
    ):
        out = tmp_path / f"{args[0]}.csv"
        kaohe(db, *args, "--period", "2026-10", "--format", "csv", "--out", str(out))
        assert_inert_csv(out.read_text(encoding="utf-8"))


def test_quarantine_exports(db: str, tmp_path: Path) -> None:
    for name in ("q.csv", "q.xlsx"):
        kaohe(db, "quarantine", "--export", str(tmp_path / name))
    assert_inert_csv((tmp_path / "q.csv").read_text(encoding="utf-8"))
    assert_inert_xlsx(tmp_path / "q.xlsx")


def test_xlsx_of_kpi_check_score_and_pay(db: str, tmp_path: Path) -> None:
    scheme, plan = tmp_path / "s.yaml", tmp_path / "p.yaml"
    scheme.write_text(SCHEME, "utf-8")
    plan.write_text(PLAN, "utf-8")
    for name, args, hostile in (
        ("kpi", ("kpi", *KPI, "--by", "shop,agent"), LINK),
        ("check", ("check", "--period", "2026-10", "--preset", "pdd_daily_reply"), SHOP),
        ("score", ("score", "--period", "2026-10", "--scheme", str(scheme)), LINK),
        ("pay", ("pay", "--period", "2026-10", "--plan", str(plan)), LINK),
    ):
        out = tmp_path / f"{name}.xlsx"
        kaohe(db, *args, "--format", "xlsx", "--out", str(out))
        assert_inert_xlsx(out, hostile)


def test_report_workbook_and_html(db: str, tmp_path: Path) -> None:
    from kaohe.reports import collect
    from kaohe.reports.excel import write_excel
    from kaohe.reports.html import write_html

    with Store(db, read_only=True) as store:
        data = collect(store, kpi_rows=[{"agent": AGENT, "items_per_buyer": 4 / 3}])
    assert_inert_xlsx(write_excel(data, tmp_path / "r.xlsx"))
    page = write_html(data, tmp_path / "r.html").read_text("utf-8")
    assert "客件数 (件/人)" in page and ">1.33</td>" in page and "133" not in page


def test_web_download(db: str) -> None:
    from kaohe.spreadsheet import Column
    from kaohe.web.downloads import xlsx_response

    rows = [{"buyer": BUYER, "text": LINK, "amount": -12.5}]
    columns = [("buyer", "买家"), ("text", "内容"), Column("amount", "金额", "yuan")]
    response = xlsx_response(rows, columns, "会话.xlsx", "conversation")
    assert_inert_xlsx(response.body)
    with zipfile.ZipFile(io.BytesIO(response.body)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>-12.5</v>" in sheet  # a negative amount stays a number


# ------------------------------------------------------------------ 客件数: items per buyer


@pytest.fixture(scope="module")
def sales_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three buyers served by a1 each pay one order: 2, 1 and 1 items → 4 / 3 = 1.33."""
    path = str(tmp_path_factory.mktemp("sales") / "k.duckdb")
    rows, orders = [], []
    for i, items in enumerate((2, 1, 1)):
        buyer, hour = f"b{i}", 10 + i
        rows += [
            msg(buyer, "a1", "buyer", f"2026-10-05 {hour}:00:00"),
            msg(buyer, "a1", "agent", f"2026-10-05 {hour}:00:20"),
        ]
        orders.append(
            {
                "order_id": f"o{i}",
                "shop": "s1",
                "platform": "taobao",
                "buyer": buyer,
                "created_at": f"2026-10-05 {hour}:10:00",
                "paid_at": f"2026-10-05 {hour}:15:00",
                "amount": 100.0,
                "items": items,
                "status": "paid",
            }
        )
    with Store(path) as store:
        fill(store, rows)
        fill_table(store, "orders", orders)
    return path


def test_items_per_buyer_is_no_percent(sales_db: str, tmp_path: Path) -> None:
    args = ["--db", sales_db, "kpi", "--period", "2026-10", "-m", "items_per_buyer", "--no-facts"]
    terminal = CliRunner().invoke(cli, args, env={"TTY_COMPATIBLE": "1", "COLUMNS": "80"})
    piped = CliRunner().invoke(cli, args)
    for output in (terminal.output, piped.output):
        assert "1.33" in output and "133" not in output and "%" not in output
        assert "客件数 (件/人)" in output
    assert piped.output.splitlines()[-1] == "a1\t1.33"
    out = tmp_path / "k.xlsx"
    CliRunner().invoke(cli, [*args, "--format", "xlsx", "--out", str(out)])
    with zipfile.ZipFile(out) as z:
        styles = z.read("xl/styles.xml").decode()
    assert re.findall(r'formatCode="([^"]*)"', styles) == ["#,##0.00"]  # no 0.00%


def test_durations_and_money_carry_their_unit() -> None:
    from kaohe.engine.registry import get
    from kaohe.units import format_value, header

    online, session, refund = get("online_hours"), get("avg_session_minutes"), get("sales_amount")
    assert header(online.zh, online.unit) == "在线时长 (小时)"
    assert header(session.zh, session.unit) == "平均接待时长 (分钟)"
    assert get("refund_duration_h").unit == "hours"
    assert format_value(2.5, online.unit) == "2.5小时"
    assert format_value(2.5, session.unit, "en") == "2.5 min"
    assert format_value(1234.5, refund.unit) == "¥1,234.50"


def test_csv_on_stdout_has_a_bom_only_when_redirected_to_a_file(db: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "kaohe", "--db", db, "quarantine", "--format", "csv"]
    target = tmp_path / "q.csv"
    with target.open("wb") as handle:  # `kaohe … > q.csv`: a file Excel will open
        subprocess.run(command, stdout=handle, check=True)
    piped = subprocess.run(command, capture_output=True, check=True).stdout  # `| other tool`
    assert target.read_bytes().startswith(b"\xef\xbb\xbffile,row,")
    assert piped.startswith(b"file,row,")
