"""The compliance page: every check of the period, filterable, failing ones first, cases
with Chinese headers and links to the conversation or the order."""

from __future__ import annotations

import re

PERIOD = "2026-10"


def statuses(html: str) -> list[str]:
    return re.findall(r'<details class="check-line" data-status="([^"]+)"', html)


def test_lines_filters_and_no_codes(client):
    c = client("supervisor")
    html = c.get(f"/compliance?period={PERIOD}").text
    found = statuses(html)
    assert found, "the demo has checks"
    order = {"fail": 0, "at_risk": 1, "pass": 2, "not_applicable": 3}
    assert [order[s] for s in found] == sorted(order[s] for s in found)  # failing first
    failing = statuses(c.get(f"/compliance?period={PERIOD}&status=fail").text)
    assert failing == ["fail"] * found.count("fail")
    for code in (">pdd<", ">tmall<", ">msg_key<", ">order_id<", " · pdd · ", " · tmall · "):
        assert code not in html
    assert c.get(f"/compliance?period={PERIOD}&platform=jd").status_code == 200


def test_only_admin_and_supervisor(client):
    assert client("lead").get(f"/compliance?period={PERIOD}").status_code in (403, 404)


def test_the_shaped_page_is_kept_and_warmed(app, client):
    """A view keeps the lines shaped for its filters, language and masking; the warm-up after
    an import shapes the unfiltered page, so the first view only renders it."""
    from kaohe.web.cache import results_cache
    from kaohe.web.pages import compliance

    opened = ("compliance.page", PERIOD, ("platform", ""), ("shop", ""), ("status", ""))
    client("supervisor").get(f"/compliance?period={PERIOD}&status=fail")
    keys = list(results_cache(app))
    assert (*opened[:4], ("status", "fail"), "zh", True) in keys
    with app.state.readers.extra() as st:
        compliance.warm(app, st, PERIOD)
    assert (*opened, "zh", True) in list(results_cache(app))
