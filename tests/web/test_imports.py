"""The import page: upload files, see the report per file and the rejected rows under the
original file name, download the quarantine; admin and supervisor only, CSRF-protected,
audited."""

from __future__ import annotations

import io
import re

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
    assert cells[3:] == ["2", "1", "0", "1"]
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
    assert report_row(html, "web_orders_b.csv")[3:] == ["2", "1", "0", "1"]
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
