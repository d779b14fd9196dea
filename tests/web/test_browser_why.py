"""Issue 19 end to end in headless Chromium at 1366×768 and 390×844: a ranking row expands
into the agent's items and what reaches the next grade, and the agent page leads with the
same. Screenshots go to $KAOHE_ARTIFACTS (or /tmp/kaohe-artifacts) as i19_<page>_<size>.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

PERIOD = "2026-10"
SIZES = {"desk": (1366, 768), "phone": (390, 844)}
HINT = r"/即可达到|已是最高等级|单项提升无法达到|数据不足/"


@pytest.fixture(params=list(SIZES))
def sized(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[str, Any]]:
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    yield request.param, context.new_page()
    context.close()


def test_ranking_row_to_breakdown_to_next_grade(sized, live_server, browser_login, shot):
    size, page = sized
    browser_login(page, "supervisor")
    page.goto(f"{live_server}/ranking?period={PERIOD}")
    last = page.locator("#ranking tbody tr[data-agent]").last
    agent = last.get_attribute("data-agent")
    last.locator("button.why-toggle").click()
    why = page.locator(f"tr.why-row .why[data-agent='{agent}']")
    why.wait_for()
    assert why.locator("tr[data-item]").count() >= 2
    hint = why.locator(".next-grade")
    assert hint.inner_text().startswith("如何升一级")
    page.locator(".next-grade", has_text=__import__("re").compile(HINT[1:-1])).first.wait_for()
    shot(page, f"i19_ranking_{size}")
    page.locator("#ranking tbody tr[data-agent] a").last.click()
    page.wait_for_url(f"{live_server}/agents/**")
    assert page.locator("#score .why tr[data-item]").count() >= 2
    assert page.locator("#score .next-grade").count() == 1
    shot(page, f"i19_agent_{size}")
