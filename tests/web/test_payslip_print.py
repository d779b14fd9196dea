"""The printable payslip page (web/pages/payslip.py): one A5 page per agent in Chinese, its
amounts those of `kaohe pay`, linked from the agent page; agents print only their own."""

from __future__ import annotations

from urllib.parse import quote

from kaohe.pay import load_plan
from kaohe.pay.fetch import pay_period
from kaohe.units import format_value

PERIOD = "2026-10"


def _paid(app):  # noqa: ANN001, ANN202 - as the pages pay: under the app's kaohe.toml parameters
    from kaohe.params import resolve_params

    config = app.state.config
    params = resolve_params(config.params, file=config.path).engine
    slips, _ = pay_period(app.state.store, load_plan("jd_commission"), PERIOD, None, True, params)
    return slips


def _print_url(agent: str, tail: str = "") -> str:
    return f"/agents/{quote(agent, safe='')}/payslip?period={PERIOD}{tail}"


def test_the_print_page_shows_the_payslip_in_chinese(app, client, accounts):
    agent = accounts["agent"]["agent"]
    response = client("agent").get(_print_url(agent))
    assert response.status_code == 200
    html = response.text
    # no assignments file in the web store: the agent page's default plan
    slip = _paid(app).payslip(agent)
    assert html.count('class="slip"') == 1 and "@page { size: A5 portrait" in html
    assert f"期间 {PERIOD}" in html and "客服签字" in html and "主管签字" in html
    assert format_value(slip.total, "yuan") in html
    for line in slip.lines:
        assert line.name in html and line.wording in html.replace("&gt;", ">")
    assert "sales_amount" not in html and "commission_rate" not in html


def test_the_agent_page_links_to_it(client, accounts):
    agent = accounts["agent"]["agent"]
    html = client("agent").get(f"/agents/{quote(agent, safe='')}?period={PERIOD}").text
    assert f'href="/agents/{quote(agent, safe="")}/payslip?period={PERIOD}' in html


def test_an_unsettled_period_prints_as_an_estimate(client, accounts):
    html = (
        client("admin")
        .get(_print_url(accounts["agent"]["agent"], "").replace(PERIOD, "2099-01"))
        .text
    )
    assert "暂估" in html


def test_every_payslip_one_per_page_and_only_for_managers(app, client, accounts):
    html = client("admin").get(f"/payslips?period={PERIOD}").text
    slips = _paid(app)
    assert html.count('class="slip"') == len(slips.payslips) > 1
    assert "page-break-after: always" in html
    assert client("agent").get(f"/payslips?period={PERIOD}").status_code == 404
    other = next(s.agent for s in slips.payslips if s.agent != accounts["agent"]["agent"])
    assert client("agent").get(_print_url(other)).status_code == 404


def test_with_assignments_the_agents_no_plan_covers_are_named_not_dropped(app, client):
    from kaohe.assignments import assignments_path

    path = assignments_path(app.state.config)
    path.write_text(
        "assignments:\n- name: 京东店\n  when:\n    platform: jd\n  plan: jd_commission\n",
        encoding="utf-8",
    )
    try:
        html = client("admin").get(f"/payslips?period={PERIOD}").text
    finally:
        path.unlink()
    everyone = [s.agent for s in _paid(app).payslips]
    jd = [a for a in everyone if a.startswith("云朵京东自营:")]
    assert html.count('class="slip"') == len(jd) == 4
    note = html.split('<p class="problem screen">', 1)[1].split("</p>", 1)[0]
    assert "没有分配薪资方案，未核算" in note
    assert all(a in note for a in everyone if a not in jd) and not any(a in note for a in jd)
