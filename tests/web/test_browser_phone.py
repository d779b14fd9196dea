"""Every page at 1366×768 and 390×844 in headless Chromium: no page scrolls sideways (the
document is no wider than the viewport), no internal code shows in the rendered text, and a
screenshot of each is kept under $KAOHE_ARTIFACTS (or /tmp/kaohe-artifacts) as
i19_page_<name>_<size>.png. One browser context per size and role, one live server."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

PERIOD = "2026-10"
SIZES = {"desk": (1366, 768), "phone": (390, 844)}
# what the Chinese UI must never show (issue 19.5): codes, a column named id
CODES = re.compile(
    r"(?<![A-Za-z_])(pdd|tmall|slow_reply|efficiency|minor|presales|scored|flagged|completed|"
    r"seed 002)(?![A-Za-z_])"
)


def pages(st, accounts) -> dict[str, str]:
    agent = quote(accounts["agent"]["agent"], safe="")
    msg = st.con.execute(
        "SELECT msg_key FROM qa_findings WHERE agent = ? ORDER BY time LIMIT 1",
        [accounts["agent"]["agent"]],
    ).fetchone()[0]
    order = st.con.execute("SELECT order_id FROM orders ORDER BY order_id LIMIT 1").fetchone()[0]
    shop = st.con.execute("SELECT min(shop) FROM messages").fetchone()[0]
    return {
        "overview": f"/?period={PERIOD}",
        "overview_shop": f"/?period={PERIOD}&shop={quote(shop)}",
        "ranking": f"/ranking?period={PERIOD}",
        "agent": f"/agents/{agent}?period={PERIOD}",
        "explain": f"/agents/{agent}/explain/avg_response_s?period={PERIOD}",
        "conversation": f"/conversation?msg={quote(msg, safe='')}",
        "credit": f"/credit?order_id={quote(str(order))}",
        "findings": f"/findings?period={PERIOD}",
        "compliance": f"/compliance?period={PERIOD}",
        "appeals": "/appeals",
        "reviews": f"/reviews?period={PERIOD}",
        "schemes": f"/schemes?period={PERIOD}",
        "imports": "/imports",
        "account": "/account",
    }


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_fits_and_shows_no_codes(size, app, browser, live_server, accounts, shot):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    acc = accounts["admin"]
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", acc["username"])
    page.fill("input[name=password]", acc["password"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    problems = []
    try:
        for name, path in pages(app.state.store, accounts).items():
            response = page.goto(f"{live_server}{path}")
            assert response is not None and response.status == 200, (name, path)
            page.wait_for_load_state("networkidle")
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                problems.append(f"{name}: {wide} px wide")
            text = page.inner_text("main")
            found = sorted(set(CODES.findall(text)))
            heads = [h.strip() for h in page.locator("th").all_inner_texts()]
            if found or "id" in heads:
                problems.append(f"{name}: {found} {'column id' if 'id' in heads else ''}")
            shot(page, f"i19_page_{name}_{size}")
        if size == "phone":  # the navigation is folded into the menu
            assert not page.locator("header nav").is_visible()
            page.click("label.nav-button")
            assert page.locator("header nav").is_visible()
    finally:
        context.close()
    assert not problems, problems
