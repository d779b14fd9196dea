from pathlib import Path

import pytest

from kaohe.errors import UsageError
from kaohe.ingest.load import import_file, import_files
from kaohe.store import Store

MESSAGES = """shop,buyer,agent,sender,time,text
s1,b1,s1:小美,buyer,2026-10-01 10:00:00,在吗
s1,b1,s1:小美,agent,2026-10-01 10:00:30,在的
s1,b1,s1:小美,buyer,2026-10-01 10:00:00,在吗
s1,b1,,agent,2026-10-01 10:01:00,没有客服
s1,b2,s1:小丽,agent,昨天,坏时间
"""
ORDERS_V1 = """order_id,shop,buyer,created_at,paid_at,amount,status
o1,s1,b1,2026-10-01 10:00:00,,,created
o2,s1,b1,2026-10-01 10:00:00,2026-10-01 10:05:00,99,paid
"""
ORDERS_V2 = """order_id,shop,buyer,created_at,paid_at,amount,status
o1,s1,b1,2026-10-01 10:00:00,2026-10-02 08:00:00,"1,288.00",paid
o2,s1,b1,2026-10-01 10:00:00,2026-10-01 10:05:00,99,shipped
o3,s1,b3,2026-10-03 10:00:00,,,
"""


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "k.duckdb") as s:
        yield s


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot(store: Store) -> dict[str, list[tuple]]:
    tables = ["messages", "orders", "agents", "quarantine"]
    return {
        t: store.con.execute(f"SELECT * EXCLUDE (import_id) FROM {t} ORDER BY ALL").fetchall()
        for t in tables
    }


def test_messages_import_counts_identity_and_quarantine(store: Store, tmp_path: Path) -> None:
    result = import_file(store, write(tmp_path, "m.csv", MESSAGES))
    assert (result.table, result.read, result.inserted, result.rejected) == ("messages", 5, 3, 2)
    # identical rows twice in the file are two messages (occurrence index), in file order
    rows = store.con.execute("SELECT source_row, msg_key FROM messages ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == [2, 3, 4]
    assert len({r[1] for r in rows}) == 3
    quarantine = store.con.execute(
        'SELECT "row", "column", reason FROM quarantine ORDER BY "row"'
    ).fetchall()
    assert [(r[0], r[1]) for r in quarantine] == [(5, "agent"), (6, "time")]
    assert "unparsable time" in quarantine[1][2]


def test_reimport_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", MESSAGES)
    import_file(store, path)
    before = snapshot(store)
    again = import_file(store, path)
    assert (again.inserted, again.updated) == (0, 0)
    assert snapshot(store) == before
    assert store.count("import_log") == 2


def test_msg_id_identity_first_write_wins(store: Store, tmp_path: Path) -> None:
    head = "shop,buyer,agent,sender,time,text,msg_id\n"
    first = write(tmp_path, "a.csv", head + "s,b,s:a,agent,2026-10-01 10:00:00,v1,m1\n")
    second = write(
        tmp_path,
        "b.csv",
        head + "s,b,s:a,agent,2026-10-01 10:00:00,v2,m1\n"
        "s,b,s:a,agent,2026-10-01 10:00:01,v3,m2\n"
        "s,b,s:a,agent,2026-10-01 10:00:02,v4,m2\n",
    )
    import_file(store, first)
    result = import_file(store, second)
    assert result.inserted == 1
    texts = store.con.execute("SELECT text FROM messages ORDER BY seq").fetchall()
    assert texts == [("v1",), ("v3",)]


def test_orders_upsert_counts_updates_only_when_changed(store: Store, tmp_path: Path) -> None:
    first = import_file(store, write(tmp_path, "o1.csv", ORDERS_V1))
    assert (first.inserted, first.updated) == (2, 0)
    later = import_file(store, write(tmp_path, "o2.csv", ORDERS_V2))
    assert (later.inserted, later.updated) == (1, 2)
    row = store.con.execute(
        "SELECT status, CAST(amount AS VARCHAR), CAST(paid_at AS VARCHAR) FROM orders "
        "WHERE order_id = 'o1'"
    ).fetchone()
    assert row == ("paid", "1288.00", "2026-10-02 08:00:00")
    same = import_file(store, tmp_path / "o2.csv")
    assert (same.inserted, same.updated) == (0, 0)


def test_unknown_agents_join_the_roster(store: Store, tmp_path: Path) -> None:
    store.con.execute("INSERT INTO agents (agent, role) VALUES ('s1:小美', 'presales')")
    result = import_file(store, write(tmp_path, "m.csv", MESSAGES))
    assert result.new_agents == []  # 小丽's only row was rejected
    path = write(
        tmp_path,
        "m2.csv",
        "shop,buyer,agent,sender,time,text\ns1,b9,s1:小丽,agent,2026-10-02 10:00:00,hi\n",
    )
    assert import_file(store, path).new_agents == ["s1:小丽"]
    assert store.con.execute(
        "SELECT role, shops FROM agents WHERE agent = 's1:小丽'"
    ).fetchone() == ("unknown", "s1")


def test_gbk_file_with_chinese_headers(store: Store, tmp_path: Path) -> None:
    text = (
        "订单号,店铺,买家,下单时间,付款时间,实付金额,订单状态\n"
        "o9,店铺甲,张三,2026/10/1 9:00,2026/10/1 9:05,￥58.00,买家已付款\n"
    )
    result = import_file(store, write(tmp_path, "订单.csv", text, "gbk"), table="orders")
    assert (result.table, result.inserted, result.rejected) == ("orders", 1, 0)
    assert store.con.execute("SELECT shop, status FROM orders").fetchone() == ("店铺甲", "paid")


def test_bom_file_with_shop_option(store: Store, tmp_path: Path) -> None:
    text = "buyer,agent,sender,time,text\nb,s:a,agent,2026-10-01 10:00:00,hi\n"
    result = import_file(
        store, write(tmp_path, "m.csv", text, "utf-8-sig"), shop="s", platform="淘宝"
    )
    assert result.inserted == 1
    assert store.con.execute("SELECT shop, platform FROM messages").fetchone() == ("s", "taobao")


def test_missing_required_column_and_unknown_table(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "buyer,agent,sender,time,text\nb,a,agent,2026-10-01,x\n")
    with pytest.raises(UsageError):
        import_file(store, path, table="messages", preset="canonical")
    with pytest.raises(UsageError):
        import_file(store, path, table="nope")


def test_ratings_key_and_label(store: Store, tmp_path: Path) -> None:
    text = "shop,buyer,agent,time,level\ns,b,s:a,2026-10-01 10:00:00,很满意\n"
    path = write(tmp_path, "r.csv", text)
    assert import_file(store, path, table="ratings").inserted == 1
    assert import_file(store, path, table="ratings").inserted == 0
    assert store.con.execute("SELECT level, level_label FROM ratings").fetchone() == ("5", "很满意")


def test_chat_window_text(store: Store, tmp_path: Path) -> None:
    text = "店铺甲:小美 2026-10-01 10:00:00\n您好\n买家甲 2026-10-01 10:00:30\n在吗\n"
    result = import_file(store, write(tmp_path, "chat.txt", text))
    assert (result.table, result.preset, result.inserted) == ("messages", "qianniu_window", 2)


def test_import_files_and_xlsx(store: Store, tmp_path: Path) -> None:
    import xlsxwriter

    xlsx = tmp_path / "o.xlsx"
    with xlsxwriter.Workbook(str(xlsx)) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["order_id", "shop", "buyer", "created_at", "paid_at", "amount"])
        sheet.write_row(1, 0, ["o7", "s", "b", 46296.5, 46296.75, 10])
    results = import_files(store, [xlsx, write(tmp_path, "o1.csv", ORDERS_V1)])
    assert [r.inserted for r in results] == [1, 2]
    assert (
        str(store.con.execute("SELECT paid_at FROM orders WHERE order_id = 'o7'").fetchone()[0])
        == "2026-10-01 18:00:00"
    )
