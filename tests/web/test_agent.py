"""The agent page: every KPI of the catalogue with the engine's value, daily trends, sessions,
findings and the payslip; only the agent themselves, their lead, admin and supervisor may
open it (404 otherwise, like an unknown agent)."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import quote

import polars as pl

from kaohe.engine import compute_kpis
from kaohe.engine.registry import all_metrics
from kaohe.pay import load_plan
from kaohe.pay.fetch import pay_period
from kaohe.units import format_value
from kaohe.web.render import fmt_metric

PERIOD = "2026-10"


def url(agent: str, tail: str = "") -> str:
    return f"/agents/{quote(agent, safe='')}{tail}"


def main_of(html: str) -> str:
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


def chart_options(html: str) -> list[dict]:
    return [
        json.loads(
            m.replace("&#39;", "'")
            .replace("&amp;", "&")
            .replace("&#34;", '"')
            .replace("&lt;", "<")
            .replace("&gt;", ">")
        )
        for m in re.findall(r"data-option='([^']*)'", html)
    ]


def metric_cell(html: str, metric_id: str) -> str:
    row = re.search(rf'<tr data-metric="{metric_id}">(.*?)</tr>', html, re.S).group(1)
    return re.search(r'<td class="num">([^<]*)</td>', row).group(1)


def test_every_kpi_with_the_engines_value(app, client, accounts):
    agent = accounts["agent"]["agent"]
    html = client("supervisor").get(url(agent, f"?period={PERIOD}")).text
    metrics = all_metrics()
    assert len(re.findall(r'<tr data-metric="', html)) == len(metrics)
    row = compute_kpis(app.state.store, by="agent", period=PERIOD, agents=[agent])[0]
    for metric in metrics:
        assert metric_cell(html, metric.id) == fmt_metric(row[metric.id], metric.unit), metric.id
    assert "%" in metric_cell(html, "reply_rate")  # rates as percents
    assert url(agent, f"/explain/reply_rate?period={PERIOD}") in html


def test_the_schemes_items_grade_and_next_grade_come_first(app, client, accounts):
    from kaohe.schemes import load_scheme, score
    from kaohe.schemes.fetch import metric_rows, roster_rows

    agent = accounts["agent"]["agent"]  # a presales agent: 售前客服标准考核 by default
    html = main_of(client("supervisor").get(url(agent, f"?period={PERIOD}")).text)
    assert html.index('id="score"') < html.index('id="kpis"')
    scheme = load_scheme("presales_standard")
    st = app.state.store
    result = score(scheme, metric_rows(st, scheme, PERIOD), roster_rows(st), PERIOD)
    mine = result.agent(agent)
    section = html.split('id="score"', 1)[1].split("</section>", 1)[0]
    assert "售前客服标准考核" in section
    assert format_value(mine.total, "points") in section
    for item in mine.items:
        assert f'data-item="{item.id}"' in section and item.label in section
    assert re.search(r"即可达到|已是最高等级|单项提升无法达到|数据不足", section)
    assert '<small class="muted">reply_rate</small>' not in html  # no metric ids on show
    # the history: October and the 4 days of November, each month's own ranking
    nov = main_of(client("supervisor").get(url(agent, "?period=2026-11")).text)
    months = re.findall(r'<tr data-month="([^"]+)">', nov)
    assert months == ["2026-10", "2026-11"]
    october = nov.split('data-month="2026-10"', 1)[1].split("</tr>", 1)[0]
    assert format_value(mine.total, "points") in october
    assert (mine.grade.label if mine.grade else "数据不足") in october


def test_daily_trends(app, client, accounts):
    html = client("admin").get(url(accounts["agent"]["agent"], f"?period={PERIOD}")).text
    options = chart_options(html)
    assert len(options) == 4
    days = options[0]["xAxis"]["data"]
    assert len(days) == 31 and days[0] == "2026-10-01"  # every day of October
    received = dict(zip(days, options[0]["series"][0]["data"], strict=True))
    rows = compute_kpis(
        app.state.store,
        by=("agent", "day"),
        period=PERIOD,
        agents=[accounts["agent"]["agent"]],
        metrics=["received_buyers"],
    )
    assert received == {d: 0 for d in days} | {r["day"]: r["received_buyers"] for r in rows}


def test_sessions_link_to_the_viewer_and_findings_are_listed(app, client, accounts):
    agent = accounts["agent"]["agent"]
    html = client("agent").get(url(agent, f"?period={PERIOD}")).text
    st = app.state.store
    first_keys = re.findall(r'href="/conversation\?msg=([0-9a-f]+)"', html)
    assert first_keys
    n_findings = st.con.execute(
        "SELECT count(*) FROM qa_findings WHERE agent = ? AND time >= '2026-10-01' "
        "AND time < '2026-11-01'",
        [agent],
    ).fetchone()[0]
    assert f"质检发现 ({n_findings})" in html


def test_payslip_lines_and_total_match_pay(app, client, accounts):
    agent = accounts["agent"]["agent"]
    html = client("admin").get(url(agent, f"?period={PERIOD}")).text
    slips, _ = pay_period(app.state.store, load_plan("jd_commission"), PERIOD, None, True)
    slip = slips.payslip(agent)
    payslip = html.split('id="payslip"', 1)[1]
    assert f'<td class="num">{format_value(slip.total, "yuan")}</td>' in payslip
    for line in slip.lines:
        assert line.name in payslip and format_value(line.amount, "yuan") in payslip
    assert "已结算" in payslip  # October is settled by now


def test_an_unsettled_period_is_marked_provisional(client, accounts):
    # a period in the future is never settled: the payslip is an estimate, marked 暂估
    html = client("admin").get(url(accounts["agent"]["agent"], "?period=2099-01")).text
    assert "暂估" in html.split('id="payslip"', 1)[1]


def test_an_unknown_plan_is_no_file_path(client, accounts):
    html = client("admin").get(url(accounts["agent"]["agent"], "?plan=/etc/passwd")).text
    assert "unknown plan" in html


def test_agent_opens_only_their_own_page(client, accounts):
    me, other = accounts["agent"]["agent"], accounts["agent2"]["agent"]
    agent = client("agent")
    assert agent.get(url(me)).status_code == 200
    foreign, unknown = agent.get(url(other)), agent.get(url("no-such-agent"))
    assert foreign.status_code == unknown.status_code == 404
    assert main_of(foreign.text) == main_of(unknown.text)
    assert other not in main_of(foreign.text)
    for tail in ("?format=xlsx", "/explain/reply_rate"):
        assert agent.get(url(other, tail)).status_code == 404
    mine = agent.get("/agents/me", follow_redirects=False)
    assert mine.status_code == 303 and mine.headers["location"] == url(me)


def test_lead_sees_the_team_only(app, client, accounts):
    lead = client("lead")
    team = accounts["lead"]["team"]
    st = app.state.store
    member = st.con.execute(
        "SELECT agent FROM agents WHERE team = ? ORDER BY agent DESC", [team]
    ).fetchone()[0]
    outsider = st.con.execute(
        "SELECT agent FROM agents WHERE team <> ? ORDER BY agent", [team]
    ).fetchone()[0]
    assert lead.get(url(member)).status_code == 200
    assert lead.get(url(outsider)).status_code == 404
    assert lead.get("/agents/me").status_code == 404  # a lead has no agent page of their own


def test_anonymous_is_sent_to_login(anon, accounts):
    response = anon.get(url(accounts["agent"]["agent"]), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_explain_shows_numerator_and_denominator(app, client, accounts):
    from kaohe.engine.explain import explain
    from kaohe.engine.periods import parse_period

    agent = accounts["agent"]["agent"]
    html = client("supervisor").get(url(agent, f"/explain/reply_rate?period={PERIOD}")).text
    result = explain(app.state.store, "reply_rate", agent, parse_period(PERIOD))
    assert fmt_metric(result["value"], "ratio") in html
    assert "分子" in html and "分母" in html
    assert client("admin").get(url(agent, "/explain/no_such_metric")).status_code == 404


def test_explain_rows_mask_buyers_for_a_lead(app, client, accounts):
    from kaohe.privacy import mask_buyer

    agent = accounts["agent"]["agent"]
    html = client("lead").get(url(agent, f"/explain/avg_response_s?period={PERIOD}")).text
    buyers = [
        r[0]
        for r in app.state.store.con.execute(
            "SELECT DISTINCT buyer FROM messages WHERE agent = ? AND time < '2026-10-03'", [agent]
        ).fetchall()
    ]
    shown = re.findall(r"<td>([^<]*)</td>", html.split("影响最大的数据行", 1)[1])
    assert not set(buyers) & set(shown)
    assert any(mask_buyer(b) in shown for b in buyers) or not buyers
    assert "conv-link" not in html  # a link would carry the buyer's account


def test_explain_rows_slowest_first_each_linked_to_its_conversation(app, client, accounts):
    from kaohe.engine.explain import explain
    from kaohe.engine.periods import parse_period

    agent = accounts["agent"]["agent"]
    result = explain(app.state.store, "avg_response_s", agent, parse_period(PERIOD))
    slowest = [r["response_s"] for r in result["rows"]]
    assert slowest == sorted(slowest, key=lambda v: -(v or 0))  # the slowest rounds first
    html = client("supervisor").get(url(agent, f"/explain/avg_response_s?period={PERIOD}")).text
    links = re.findall(r'class="conv-link" href="([^"]+)"', html)
    assert len(links) == len(result["rows"])
    opened = client("supervisor").get(links[0].replace("&amp;", "&"))
    assert opened.status_code == 200 and "data-response-s" in opened.text


def test_sessions_download_masks_buyers_for_the_agent(app, client, accounts):
    agent = accounts["agent"]["agent"]
    response = client("agent").get(url(agent, f"?period={PERIOD}&format=xlsx&table=sessions"))
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    frame = pl.read_excel(io.BytesIO(response.content))
    buyers = {
        r[0]
        for r in app.state.store.con.execute(
            "SELECT DISTINCT buyer FROM messages WHERE agent = ?", [agent]
        ).fetchall()
    }
    assert len(frame) > 0
    assert not set(frame["买家"].to_list()) & buyers
    assert all("***" in b or b.endswith("*") for b in frame["买家"].to_list())
    audited = app.state.store.con.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'export' AND username = ?",
        [accounts["agent"]["username"]],
    ).fetchone()[0]
    assert audited >= 1


def test_english_labels(client, accounts):
    html = client("admin").get(url(accounts["agent"]["agent"], "?lang=en")).text
    assert "Every KPI" in html and "Payslip" in html


def test_explain_rows_download(client, accounts):
    agent = accounts["agent"]["agent"]
    response = client("admin").get(
        url(agent, f"/explain/avg_response_s?period={PERIOD}&format=xlsx")
    )
    frame = pl.read_excel(io.BytesIO(response.content))
    assert 0 < len(frame) <= 10 and "响应秒数" in frame.columns
