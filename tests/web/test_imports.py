"""The import page: upload files, see the report per file and the rejected rows under the
original file name, download the quarantine; admin and supervisor only, CSRF-protected,
audited."""

from __future__ import annotations

import io
import re
from pathlib import Path

import polars as pl

from kaohe.web.pages.imports import safe_name

HEADER = "订单编号,店铺名称,平台,买家会员名,订单创建时间,付款时间,实付金额,宝贝总数量,订单状态\n"


def orders_csv(prefix: str, bad_time: str = "not-a-time") -> bytes:
    """Two orders in January 2025 (far from the demo's October): one good, one whose creation
    time cannot be read (row 3 of the file, counting the header as row 1)."""
    return (
        HEADER + f"{prefix}-1,云朵抖音小店,douyin,dy_1,2025-01-05 10:00:00,2025-01-05 10:05:00,"
        "99.50,1,买家已付款\n"
        + f"{prefix}-2,云朵抖音小店,douyin,dy_2,{bad_time},,12,1,买家已付款\n"
    ).encode()


def report_row(html: str, file: str) -> list[str]:
    row = re.search(rf'<tr data-file="{re.escape(file)}"[^>]*>(.*?)</tr>', html, re.S).group(1)
    return re.findall(r"<td[^>]*>([^<]*)</td>", row)


def test_upload_reports_counts_and_rejected_rows(app, client, accounts):
    admin = client("admin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get("/imports").text)[1]
    response = admin.post(
        "/imports",
        data={"csrf_token": token},
        files=[("files", ("web_orders_a.csv", orders_csv("WA"), "text/csv"))],
    )
    assert response.status_code == 200
    # file, table, preset, read 2, inserted 1, updated 0, rejected 1
    cells = report_row(response.text, "web_orders_a.csv")
    assert cells[0] == "web_orders_a.csv" and cells[1] == "orders"
    assert cells[3:] == ["2", "1", "0", "1", "0"]
    rejects = response.text.split('class="rejects"', 1)[1]
    assert (
        '<td>web_orders_a.csv</td><td class="num">3</td><td>created_at</td>'
        "<td>not-a-time</td>" in rejects
    )
    st = app.state.store
    assert (
        st.con.execute(
            "SELECT file FROM quarantine WHERE value = 'not-a-time' AND file LIKE 'web_orders_a%'"
        ).fetchone()[0]
        == "web_orders_a.csv"
    )
    assert st.con.execute("SELECT count(*) FROM orders WHERE order_id = 'WA-1'").fetchone()[0] == 1
    audited = st.con.execute(
        "SELECT detail FROM audit_log WHERE action = 'import' AND "
        'username = ? ORDER BY "at" DESC LIMIT 1',
        [accounts["admin"]["username"]],
    ).fetchone()[0]
    assert audited.startswith("web_orders_a.csv → orders: read 2, inserted 1")


def test_several_files_and_an_unreadable_one(client, csrf):
    admin = client("admin")
    files = [
        ("files", ("web_orders_b.csv", orders_csv("WB", "2025-13-45"), "text/csv")),
        ("files", ("garbage.csv", b"\x00\x01\x02 nothing here", "text/csv")),
    ]
    html = admin.post("/imports", data={"csrf_token": csrf(admin)}, files=files).text
    assert report_row(html, "web_orders_b.csv")[3:] == ["2", "1", "0", "1", "0"]
    failed = report_row(html, "garbage.csv")
    assert failed[1].startswith("导入失败")
    assert "/tmp" not in failed[1]  # the temporary copy's path is not shown


def test_quarantine_download_has_the_rejected_rows(client, csrf):
    admin = client("admin")
    admin.post(
        "/imports",
        data={"csrf_token": csrf(admin)},
        files=[("files", ("web_orders_c.csv", orders_csv("WC", "31/02/2025"), "x"))],
    )
    response = admin.get("/quarantine.xlsx")
    assert response.status_code == 200
    frame = pl.read_excel(io.BytesIO(response.content))
    assert frame.columns == ["文件", "行号", "列", "值", "原因"]
    mine = frame.filter(pl.col("文件") == "web_orders_c.csv")
    assert mine.select("行号", "列", "值").rows() == [(3, "created_at", "31/02/2025")]


def test_only_admin_and_supervisor_import(client, csrf):
    for role in ("lead", "agent"):
        user = client(role)
        assert user.get("/imports").status_code == 403
        assert user.get("/quarantine.xlsx").status_code == 403
        response = user.post(
            "/imports",
            data={"csrf_token": csrf(user)},
            files=[("files", ("x.csv", orders_csv("WX"), "text/csv"))],
        )
        assert response.status_code == 403
    assert client("supervisor").get("/imports").status_code == 200


def test_csrf_and_empty_upload(app, client, csrf):
    admin = client("admin")
    response = admin.post(
        "/imports", files=[("files", ("web_orders_d.csv", orders_csv("WD"), "text/csv"))]
    )
    assert response.status_code == 403
    assert (
        app.state.store.con.execute(
            "SELECT count(*) FROM orders WHERE order_id LIKE 'WD-%'"
        ).fetchone()[0]
        == 0
    )
    assert admin.post("/imports", data={"csrf_token": csrf(admin)}).status_code == 400


def test_a_file_name_is_never_a_path():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\me\\orders.xlsx") == "orders.xlsx"
    assert safe_name("..") == safe_name("") == safe_name("\x00") == "upload"
    assert safe_name("a\x00b.csv") == "ab.csv"


def test_recent_imports_download(app, client):
    response = client("supervisor").get("/imports?format=xlsx")
    frame = pl.read_excel(io.BytesIO(response.content))
    assert len(frame) == min(20, app.state.store.count("import_log"))
    assert client("lead").get("/imports?format=xlsx").status_code == 403


def upload(client, csrf, name: str, data: bytes, **fields):  # noqa: ANN001, ANN201
    return client.post(
        "/imports",
        data={"csrf_token": csrf(client), **fields},
        files=[("files", (name, data, "application/octet-stream"))],
    )


def test_the_result_lists_columns_not_read_skipped_rows_and_the_period(client, csrf):
    admin = client("admin")
    report = (
        "序号,客服账号,咨询人数,平均人工响应时长,3分钟人工回复率(8-23点)\n"
        "1,pdd网页:阿明,100,0.37,98%\n汇总,,100,,\n"
    ).encode()
    html = upload(admin, csrf, "客服数据_2025-01-07.csv", report).text
    assert report_row(html, "客服数据_2025-01-07.csv")[1:] == [
        "metric_values",
        "platform:pdd",
        "4",  # three values of 阿明, and the 汇总 row
        "3",
        "0",
        "0",
        "1",
    ]
    notes = html.split('<ul class="notes muted" data-file="客服数据_2025-01-07.csv">', 1)[1]
    notes = notes.split("</ul>", 1)[0]
    assert "未读取的列: 序号" in notes
    assert "跳过的行 1: 汇总行 / summary row (行 3)" in notes
    assert "周期 2025-01-07 取自文件名" in notes


def test_hostile_spreadsheets_are_refused_and_the_app_keeps_answering(client, csrf, anon, tmp_path):
    from tests.ingest.test_hostile import bomb_xlsx, far_corner_xlsx

    admin = client("admin")
    for name, build in (("corner.xlsx", far_corner_xlsx), ("bomb.xlsx", bomb_xlsx)):
        data = build(tmp_path / name).read_bytes()
        cells = report_row(upload(admin, csrf, name, data).text, name)
        assert cells[1].startswith("导入失败") and "文件被拒绝" in cells[1], cells
        assert "/ file refused" in cells[1] and "--" not in cells[1]  # no CLI flags on a page
    assert anon.get("/login").status_code == 200


def test_an_upload_over_the_cap_is_refused(app, client, csrf):
    admin = client("admin")
    web = app.state.config.raw.setdefault("web", {})
    web["max_upload_mb"] = 1
    try:
        response = upload(admin, csrf, "big.csv", b"order_id\n" + b"x" * (3 * 1024 * 1024))
    finally:
        web.pop("max_upload_mb")
    assert response.status_code == 413
    assert "上限 1 MB" in response.text
    assert client("admin").get("/imports").status_code == 200


UNKNOWN = "会员,时刻,说话人,话术,门店,坐席\n"


def unknown_layout(prefix: str, rows: int) -> bytes:
    lines = [
        f"{prefix}买家{i},2025-02-0{i % 9 + 1} 10:00:0{i % 10},{'顾客' if i % 2 else '客服'},"
        f"第{i}句,网页向导店,网页向导店:小助"
        for i in range(rows)
    ]
    return (UNKNOWN + "\n".join(lines) + "\n").encode()


def test_the_wizard_maps_an_unknown_layout_and_detection_remembers_it(app, client, csrf):
    admin = client("admin")
    html = upload(admin, csrf, "向导一.csv", unknown_layout("甲", 4)).text
    cells = report_row(html, "向导一.csv")
    assert "无法识别的文件格式" in cells[1]
    token = re.search(r'href="/imports/map/([0-9a-f]{32})"', html)[1]
    page = admin.get(f"/imports/map/{token}?table=messages").text
    assert "网页向导店:小助" in page  # the first rows
    form = {
        "csrf_token": csrf(admin),
        "table": "messages",
        "map_shop": "门店",
        "map_buyer": "会员",
        "map_agent": "坐席",
        "map_sender": "说话人",
        "map_time": "时刻",
        "map_text": "话术",
        "name": "网页向导聊天",
    }
    preview = admin.post(f"/imports/map/{token}/preview", data=form).text
    assert 'data-rows="4" data-ok="4" data-rejected="0"' in preview
    done = admin.post(f"/imports/map/{token}/import", data=form)
    assert done.status_code == 200
    assert report_row(done.text, "向导一.csv")[1:4] == ["messages", "网页向导聊天", "4"]
    saved = Path(app.state.config.db).parent / "mappings" / "网页向导聊天.yaml"
    assert saved.is_file()
    # the next file of that layout: no questions asked
    again = report_row(
        upload(admin, csrf, "向导二.csv", unknown_layout("乙", 3)).text, "向导二.csv"
    )
    assert again[1:5] == ["messages", "网页向导聊天", "3", "3"]
    # and the CLI reads the saved mapping
    from kaohe.ingest.presets import load_preset

    assert load_preset(str(saved)).columns["time"] == ["时刻"]


def test_the_wizard_is_private_to_its_uploader(client, csrf):
    admin = client("admin")
    html = upload(admin, csrf, "向导三.csv", "甲列,乙列\n1,2\n".encode()).text
    token = re.search(r'href="/imports/map/([0-9a-f]{32})"', html)[1]
    assert client("supervisor").get(f"/imports/map/{token}").status_code == 404
    assert admin.get("/imports/map/not-a-token").status_code == 404
    assert client("lead").get(f"/imports/map/{token}").status_code == 403
