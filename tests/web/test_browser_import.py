"""The import wizard in headless Chromium: an unknown layout is uploaded, mapped, previewed
and imported; a second file of that layout then imports with no questions asked; a hostile
spreadsheet is refused and the server keeps answering. Screenshots go to $KAOHE_ARTIFACTS."""

from __future__ import annotations

from pathlib import Path

from tests.ingest.test_hostile import far_corner_xlsx

HEADER = "顾客号,发言时间,身份,内容文字,网店,值班客服\n"
MAPPING = {
    "shop": "网店",
    "buyer": "顾客号",
    "agent": "值班客服",
    "sender": "身份",
    "time": "发言时间",
    "text": "内容文字",
}


def chat_file(path: Path, prefix: str, rows: int) -> Path:
    lines = [
        f"{prefix}{i},2025-03-0{i + 1} 09:00:00,{'买家' if i % 2 == 0 else '客服'},第{i}句,"
        "浏览器小店,浏览器小店:阿东"
        for i in range(rows)
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n", "utf-8")
    return path


def log_in(page, live_server: str, account: dict) -> None:  # noqa: ANN001
    """Log in straight to the import page (the overview's first render is not needed)."""
    page.goto(f"{live_server}/login?next=/imports")
    page.fill("input[name=username]", account["username"])
    page.fill("input[name=password]", account["password"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/imports")


def upload(page, live_server: str, path: Path) -> None:  # noqa: ANN001
    page.goto(f"{live_server}/imports")
    page.set_input_files("input[name=files]", str(path))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#report")


def test_map_an_unknown_layout_then_import_the_next_file_without_questions(
    page, live_server, accounts, shot, tmp_path: Path
):
    log_in(page, live_server, accounts["admin"])
    upload(page, live_server, chat_file(tmp_path / "浏览器一.csv", "东", 4))
    row = page.locator("tr[data-file='浏览器一.csv']")
    assert "导入失败" in row.inner_text()
    row.locator("a.map-link").click()
    page.wait_for_selector("#map-form")
    shot(page, "w14_01_wizard_first_rows")
    page.select_option("#table-form select[name=table]", "messages")
    page.click("#table-form button[type=submit]")
    page.wait_for_selector("#map-form input[name=table][value=messages]", state="attached")
    for column, header in MAPPING.items():
        page.select_option(f"#map-form select[name=map_{column}]", header)
    page.click("#preview-button")
    page.wait_for_selector("#preview")
    counts = page.locator("#preview p.counts")
    assert (counts.get_attribute("data-ok"), counts.get_attribute("data-rejected")) == ("4", "0")
    assert page.locator("#preview table.parsed tbody tr").count() == 4
    shot(page, "w14_02_wizard_preview")
    page.fill("#save-form input[name=name]", "浏览器向导")
    page.click("#import-button")
    page.wait_for_selector("#saved-mapping")
    done = page.locator("tr[data-file='浏览器一.csv']")
    assert done.locator("td.preset").inner_text() == "浏览器向导"
    assert done.locator("td.num").nth(1).inner_text() == "4"  # inserted
    shot(page, "w14_03_wizard_imported")

    upload(page, live_server, chat_file(tmp_path / "浏览器二.csv", "西", 3))
    second = page.locator("tr[data-file='浏览器二.csv']")
    assert second.locator("td.preset").inner_text() == "浏览器向导"
    assert second.locator("td.num").nth(1).inner_text() == "3"
    assert page.locator("a.map-link").count() == 0
    shot(page, "w14_04_second_file")


def test_a_far_corner_sheet_is_refused_and_the_server_answers(
    page, live_server, accounts, tmp_path: Path
):
    log_in(page, live_server, accounts["supervisor"])
    upload(page, live_server, far_corner_xlsx(tmp_path / "corner.xlsx"))
    cell = page.locator("tr[data-file='corner.xlsx'] td.error")
    assert "文件被拒绝" in cell.inner_text()
    response = page.goto(f"{live_server}/login")
    assert response is not None and response.status == 200
