"""End to end in headless Chromium: open an agent (charts rendered), open a conversation and
see a highlighted QA hit, import a file with a bad row and find it in the quarantine download,
submit a review. Screenshots go to $KAOHE_ARTIFACTS (or /tmp/kaohe-artifacts)."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

import polars as pl

PERIOD = "2026-10"


def test_agent_page_and_a_highlighted_conversation(
    page, live_server, browser_login, accounts, shot
):
    browser_login(page, "supervisor")
    agent = accounts["agent"]["agent"]
    page.goto(f"{live_server}/agents/{quote(agent, safe='')}?period={PERIOD}")
    page.wait_for_selector("div.chart[data-rendered='1']", timeout=15000)
    assert page.locator("div.chart[data-rendered='1']").count() == 4
    assert page.locator("tr[data-metric]").count() > 50
    assert page.locator("#payslip tr.total").count() == 1
    shot(page, "w2_01_agent")
    page.locator("#kpis > details > summary").click()
    page.locator("#kpis tr[data-metric='reply_rate'] details summary").click()
    assert (
        page.locator("#kpis tr[data-metric='reply_rate'] details").get_attribute("open") is not None
    )
    # a finding of the agent opens the conversation with the hit marked
    page.locator("#findings table a").first.click()
    page.wait_for_url(f"{live_server}/conversation**")
    mark = page.locator("mark[data-rule]").first
    mark.wait_for()
    assert mark.inner_text().strip()
    assert page.locator("[data-response-s]").count() >= 1
    shot(page, "w2_02_conversation")


def test_import_a_bad_row_and_find_it_in_quarantine(
    page, live_server, browser_login, shot, tmp_path: Path
):
    csv = tmp_path / "browser_orders.csv"
    csv.write_text(
        "订单编号,店铺名称,平台,买家会员名,订单创建时间,付款时间,实付金额,宝贝总数量,订单状态\n"
        "BR-1,云朵抖音小店,douyin,dy_9,2025-02-01 10:00:00,,20,1,等待买家付款\n"
        "BR-2,云朵抖音小店,douyin,dy_9,当天下午,,20,1,等待买家付款\n",
        "utf-8",
    )
    browser_login(page, "admin")
    page.goto(f"{live_server}/imports")
    page.set_input_files("input[name=files]", str(csv))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#report")
    row = page.locator("tr[data-file='browser_orders.csv']")
    assert row.locator("td.rejected").inner_text() == "1"
    assert "当天下午" in page.locator("table.rejects").inner_text()
    shot(page, "w2_03_import")
    with page.expect_download() as download_info:
        page.click("a[href='/quarantine.xlsx']")
    saved = download_info.value.path()
    frame = pl.read_excel(io.BytesIO(Path(saved).read_bytes()))
    mine = frame.filter(pl.col("文件") == "browser_orders.csv")
    assert mine.select("行号", "列", "值").rows() == [(3, "created_at", "当天下午")]


def test_submit_a_review(page, live_server, browser_login, shot):
    browser_login(page, "lead")
    page.goto(f"{live_server}/reviews?period={PERIOD}&seed=21")
    page.locator("a.review-link").first.click()
    page.wait_for_selector("#review-form")
    for select in page.locator("#review-form select").all():
        select.select_option("5")
    page.locator("#review-form select").first.select_option("na")
    page.fill("textarea[name=comment]", "浏览器测试")
    shot(page, "w2_04_review_form")
    page.click("#review-form button[type=submit]")
    page.wait_for_selector("#saved")
    # every rated category at 5 on 1–5: (5 − 1) / 4 = 100 %
    assert page.locator("#saved [data-score]").get_attribute("data-score") == "1.0"
    assert "100%" in page.locator("#saved").inner_text()
    shot(page, "w2_05_review_saved")
