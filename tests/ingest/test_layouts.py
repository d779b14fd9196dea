"""Real export layouts (issue 14): a small invented file per layout, built in that layout's
exact header row, imported with no options. Every value below is worked out by hand."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from kaohe.errors import UsageError
from kaohe.ingest.detect import DetectionError, detect_preset
from kaohe.ingest.load import import_file
from kaohe.store import Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "k.duckdb") as s:
        yield s


def csv_file(tmp_path: Path, name: str, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes("\n".join(",".join(r) for r in rows).encode(encoding) + b"\n")
    return path


def xlsx_file(tmp_path: Path, name: str, rows: list[list[object]], sheet: str = "Sheet1") -> Path:
    """Rows from the sheet's first row; None leaves a cell empty (a blank row stays blank)."""
    import xlsxwriter

    path = tmp_path / name
    with xlsxwriter.Workbook(str(path)) as book:
        ws = book.add_worksheet(sheet)
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                if cell is not None:
                    ws.write(i, j, cell)
    return path


def metric(store: Store, subject: str, name: str) -> tuple[str, float | None]:
    row = store.con.execute(
        "SELECT period, value FROM metric_values WHERE subject = ? AND metric = ?",
        [subject, name],
    ).fetchall()
    assert len(row) == 1, (subject, name, row)
    return row[0]


def balanced(result) -> bool:  # noqa: ANN001 - ImportResult
    return result.read == result.inserted + result.updated + result.rejected + result.skipped


# ---------------------------------------------------------------- chat records


def test_qianniu_records_gb18030_keeps_a_buyer_writing_heji(store: Store, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "聊天记录.csv",
        [
            ["店铺名称", "客服昵称", "买家昵称", "发送时间", "发送者", "消息内容"],
            ["云朵小铺", "云朵小铺:阿青", "橘子汽水", "2026-10-03 09:00:01", "买家", "你好在吗"],
            ["云朵小铺", "云朵小铺:阿青", "橘子汽水", "2026-10-03 09:00:20", "客服", "在的亲"],
            ["云朵小铺", "云朵小铺:阿青", "橘子汽水", "2026-10-03 09:01:00", "买家", "合计"],
            ["云朵小铺", "云朵小铺:阿青", "橘子汽水", "2026-10-03 09:01:30", "客服", "合计58元"],
        ],
        encoding="gb18030",
    )
    result = import_file(store, path)
    assert (result.preset, result.read, result.inserted, result.skipped) == (
        "qianniu_records",
        4,
        4,
        0,
    )
    rows = store.con.execute("SELECT sender, agent, text FROM messages ORDER BY seq").fetchall()
    assert rows == [
        ("buyer", "云朵小铺:阿青", "你好在吗"),
        ("agent", "云朵小铺:阿青", "在的亲"),
        ("buyer", "云朵小铺:阿青", "合计"),
        ("agent", "云朵小铺:阿青", "合计58元"),
    ]


def test_qianniu_sender_receiver_pairs(store: Store, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "pairs.csv",
        [
            ["发送人", "接收人", "时间", "内容"],
            ["橘子汽水", "云朵小铺:阿青", "2026-10-03 09:00:01", "在吗"],
            ["云朵小铺:阿青", "橘子汽水", "2026-10-03 09:00:20", "在的"],
        ],
    )
    result = import_file(store, path)
    assert (result.preset, result.inserted) == ("qianniu_pair", 2)
    rows = store.con.execute(
        "SELECT shop, buyer, agent, sender FROM messages ORDER BY seq"
    ).fetchall()
    assert rows == [
        ("云朵小铺", "橘子汽水", "云朵小铺:阿青", "buyer"),
        ("云朵小铺", "橘子汽水", "云朵小铺:阿青", "agent"),
    ]


def test_xiaoduo_epoch_and_zero_are_not_withdrawn(store: Store, tmp_path: Path) -> None:
    header = ["dialog_id", "seller_nick", "snick", "cnick", "source", "content", "time"]
    header += ["withdraw_ms_time"]
    base = ["d1", "小熊", "小熊:阿花", "buyerA"]
    path = csv_file(
        tmp_path,
        "message.csv",
        [
            header,
            [*base, "0", "在吗", "2026-10-01 10:00:00", "1970-01-01 08:00:00.000"],
            [*base, "1", "在的", "2026-10-01 10:00:05", "0"],
            [*base, "1", "发错了", "2026-10-01 10:00:09", "2026-10-01 10:00:30.000"],
            [*base, "0", "好", "2026-10-01 10:00:40", ""],
        ],
    )
    result = import_file(store, path)
    assert (result.preset, result.inserted) == ("xiaoduo", 4)
    types = store.con.execute("SELECT text, msg_type FROM messages ORDER BY seq").fetchall()
    assert types == [("在吗", None), ("在的", None), ("发错了", "withdrawn"), ("好", None)]


# ---------------------------------------------------------------- platform reports


SYCM_NAME = "自定义报表_客服绩效_下单优先判定_2026-04-20至2026-04-20.xlsx"
SYCM_HEADER = [
    "旺旺昵称",
    "聊天人数(原咨询人数)",
    "询单人数",
    "客服销售额(元)",
    "客单价(元)",
    "平均响应时长(秒)",
    "平均接待时长",
]


def test_sycm_report_units_title_rows_footer_and_period_from_file_name(
    store: Store, tmp_path: Path
) -> None:
    path = xlsx_file(
        tmp_path,
        SYCM_NAME,
        [
            ["客服绩效（旺旺）"],
            [],
            SYCM_HEADER,
            ["云朵小铺:阿青", 30, 12, "¥1,234.50", "102.88", 21.5, "8分48秒"],
            ["云朵小铺:小白", 20, 8, "800", "100", "0:00:18", "0:05:30"],
            ["合计", 50, 20, "2034.50", "", "", ""],
        ],
        sheet="数据信息",
    )
    result = import_file(store, path)
    assert result.preset == "platform:taobao"
    assert (result.period, result.period_source, result.header_row) == (
        "2026-04-20",
        "file name",
        3,
    )
    # 阿青 6 values + 小白 6 values; the 合计 row skipped and counted once
    assert (result.read, result.inserted, result.rejected, result.skipped) == (13, 12, 0, 1)
    assert result.skips == [{"reason": "汇总行 / summary row", "count": 1, "rows": [6]}]
    assert result.units == {"客服销售额(元)": "元", "客单价(元)": "元", "平均响应时长(秒)": "秒"}
    assert metric(store, "云朵小铺:阿青", "avg_session_s") == ("2026-04-20", 528.0)  # 8分48秒
    assert metric(store, "云朵小铺:小白", "avg_session_s")[1] == 330.0  # 0:05:30
    assert metric(store, "云朵小铺:小白", "avg_response_s")[1] == 18.0
    assert metric(store, "云朵小铺:阿青", "sales_amount")[1] == 1234.5
    assert metric(store, "云朵小铺:阿青", "consult_buyers")[1] == 30.0  # 聊天人数(原咨询人数)
    subjects = store.con.execute("SELECT DISTINCT subject FROM metric_values ORDER BY 1").fetchall()
    assert subjects == [("云朵小铺:小白",), ("云朵小铺:阿青",)]


def test_chitu_csv_with_period_in_a_title_row(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "客服绩效.csv"
    path.write_text(
        "客服绩效（旺旺）\n统计时间：2026-10-01 ~ 2026-10-31\n\n"
        "日期,旺旺,接待人数,平均响应(秒)\n"
        ",云朵小铺:阿青,88,12.40\n2026-10-02,云朵小铺:小白,70,9\n",
        "utf-8",
    )
    result = import_file(store, path)
    assert (result.preset, result.period, result.period_source) == (
        "platform:taobao",
        None,
        "date column",
    )
    # a row with a 日期 cell keeps its day; one without takes the title row's month
    assert metric(store, "云朵小铺:阿青", "received_buyers") == ("2026-10", 88.0)
    assert metric(store, "云朵小铺:小白", "received_buyers") == ("2026-10-02", 70.0)


def test_pdd_minutes_and_values_with_units(store: Store, tmp_path: Path) -> None:
    path = xlsx_file(
        tmp_path,
        "客服数据_2026-10-01_2026-10-31.xlsx",
        [
            ["序号", "客服账号", "咨询人数", "平均人工响应时长", "3分钟人工回复率(8-23点)"],
            [1, "pdd云朵:阿明", 100, 0.37, "98.50%"],
            [2, "pdd云朵:阿红", 80, "22秒", "100.00%"],
            ["汇总", "", 180, "", ""],
        ],
        sheet="Sheet0",
    )
    result = import_file(store, path)
    assert (result.preset, result.period, result.skipped) == ("platform:pdd", "2026-10", 1)
    assert metric(store, "pdd云朵:阿明", "avg_response_s") == ("2026-10", pytest.approx(22.2))
    assert metric(store, "pdd云朵:阿红", "avg_response_s")[1] == 22.0  # 22秒 as written
    assert metric(store, "pdd云朵:阿红", "pdd_3min_rate")[1] == 1.0
    assert metric(store, "pdd云朵:阿明", "pdd_3min_rate")[1] == pytest.approx(0.985)
    assert result.ignored_columns == ["序号"]
    assert balanced(result)


def test_douyin_performance_footers_and_all_day_columns(store: Store, tmp_path: Path) -> None:
    header = ["客服", "客服在线天数", "接待会话量", "全天平响时长", "全天3分钟回复率", "退款人数"]
    header += ["退款金额", "退款后销售额", "询单人数"]
    path = xlsx_file(
        tmp_path,
        "飞鸽_客服表现_2026-10-05.xlsx",
        [
            header,
            ["阿青", 26, 300, "2分30秒", "95.20%", 3, "120.00", "9,880.00", 80],
            ["小白", 20, 200, "45秒", "90%", 1, "30", "5000", 60],
            ["店铺汇总值", 46, 500, "1分50秒", "93.1%", 4, "150", "14880", 140],
            ["店铺平均值", 23, 250, "1分50秒", "93.1%", 2, "75", "7440", 70],
        ],
    )
    assert detect_preset(header).id == "platform:douyin"
    result = import_file(store, path)
    assert (result.period, result.skipped, result.inserted) == ("2026-10-05", 2, 16)
    assert [s["rows"] for s in result.skips] == [[4, 5]]
    subjects = store.con.execute("SELECT DISTINCT subject FROM metric_values ORDER BY 1").fetchall()
    assert subjects == [("小白",), ("阿青",)]
    assert store.con.execute("SELECT count(*) FROM agents").fetchone()[0] == 0
    assert metric(store, "阿青", "douyin_allday_avg_response_s")[1] == 150.0  # 2分30秒
    assert metric(store, "阿青", "douyin_allday_3min_rate")[1] == pytest.approx(0.952)
    assert metric(store, "阿青", "workdays")[1] == 26.0
    assert metric(store, "阿青", "refund_buyers")[1] == 3.0
    assert metric(store, "阿青", "net_sales")[1] == 9880.0


KUAISHOU = [
    "三分钟回复率（人维度）",
    "三分钟回复率（会话）",
    "咨询人数",
    "人工平均回复时长",
    "好评率（人维度）",
    "好评率（会话）",
    "客服销售额",
]
KUAISHOU_ROW = ["92.50%", "90.10%", 120, "11秒", "98%", "97.5%", "3,456.00"]


def test_kuaishou_shop_level_assessment(store: Store, tmp_path: Path) -> None:
    assert detect_preset(KUAISHOU).id == "platform:kuaishou_shop"
    path = xlsx_file(tmp_path, "客服_考核数据_2026-10-05.xlsx", [KUAISHOU, KUAISHOU_ROW])
    with pytest.raises(UsageError, match="店铺"):
        import_file(store, path)  # shop level: the file does not say which shop
    result = import_file(store, path, shop="快手云朵店")
    assert (result.preset, result.inserted, result.period) == (
        "platform:kuaishou_shop",
        7,
        "2026-10-05",
    )
    assert metric(store, "快手云朵店", "kuaishou_3min_rate")[1] == pytest.approx(0.925)
    assert metric(store, "快手云朵店", "kuaishou_3min_rate_sessions")[1] == pytest.approx(0.901)
    assert metric(store, "快手云朵店", "avg_response_s")[1] == 11.0
    assert metric(store, "快手云朵店", "good_rate_sessions")[1] == pytest.approx(0.975)


def test_kuaishou_with_a_shop_column_needs_no_option(store: Store, tmp_path: Path) -> None:
    path = xlsx_file(
        tmp_path,
        "客服_考核数据_2026-10-06.xlsx",
        [["店铺名称", *KUAISHOU], ["快手云朵店", *KUAISHOU_ROW]],
    )
    result = import_file(store, path)
    assert (result.inserted, result.period) == (7, "2026-10-06")
    assert metric(store, "快手云朵店", "sales_amount")[1] == 3456.0


# ---------------------------------------------------------------- detection


def test_a_typo_names_the_missing_column_and_imports_nothing(store: Store, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "聊天.csv",
        [
            ["店铺名称", "客服昵称", "买家昵称", "发送实间", "发送者", "消息内容"],
            ["云朵小铺", "云朵小铺:阿青", "橘子汽水", "2026-10-03 09:00:01", "买家", "在吗"],
        ],
    )
    with pytest.raises(DetectionError) as info:
        import_file(store, path)
    message = str(info.value)
    assert "缺少 发送时间 列" in message and "千牛聊天记录" in message
    assert "发送实间" in message  # the look-alike, and a column not read
    assert info.value.closest is not None and info.value.closest.preset.id == "qianniu_records"
    assert store.count("messages") == 0 and store.count("agents") == 0
    assert store.count("import_log") == 0


def test_a_report_with_an_agent_column_is_no_roster(store: Store, tmp_path: Path) -> None:
    header = ["客服", "询单人数", "客服询单支付额", "全天3分钟回复率"]
    assert detect_preset(header).id == "platform:douyin"


def test_every_sample_header_row_is_detected_as_its_preset() -> None:
    from kaohe.ingest.presets import list_presets

    for preset in list_presets():
        if preset.sample_headers:
            assert detect_preset(preset.sample_headers).id == preset.id, preset.id


def test_metric_units_follow_the_catalogue() -> None:
    """A report value is converted to the unit its metric id implies (kaohe.ingest.quantities);
    for the ids the engine's catalogue knows, that is the catalogue's unit."""
    from kaohe.engine.registry import all_metrics
    from kaohe.ingest.presets import list_presets
    from kaohe.ingest.quantities import canonical_unit

    catalogue = {m.id: m.unit for m in all_metrics()}
    implied = {"秒": "seconds", "小时": "hours", "分钟": "minutes", None: None}
    for preset in list_presets():
        for metric_id in preset.metrics:
            unit = catalogue.get(metric_id)
            if unit is not None:
                expected = unit if unit in ("seconds", "hours", "minutes") else None
                assert implied[canonical_unit(metric_id)] == expected, metric_id


def test_raw_frame_keeps_header_row_numbers(tmp_path: Path) -> None:
    from kaohe.ingest.readers import read_raw

    path = xlsx_file(tmp_path, "t.xlsx", [[], ["标题"], [], SYCM_HEADER, ["a:b", 1]])
    raw = read_raw(path)
    assert raw.header_row == 4 and raw.frame["_row"].to_list() == [5]
    assert raw.title_lines == ["标题"]
    assert isinstance(raw.frame, pl.DataFrame)
