"""The overview for every role: headline KPIs (the engine's values), charts, compliance and
QA findings; an agent sees only their own numbers, a lead their team's."""

from __future__ import annotations

import json
import re

from kaohe.engine import compute_kpis
from kaohe.web.charts import line
from kaohe.web.render import fmt_metric, fmt_number

PERIOD = "2026-10"


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


def test_supervisor_sees_every_shop_and_the_total(app, client):
    html = client("supervisor").get(f"/?period={PERIOD}").text
    st = app.state.store
    # the period's shops (other tests import other months into the shared store)
    shops = [
        r[0]
        for r in st.con.execute(
            "SELECT DISTINCT shop FROM messages WHERE strftime(time, '%Y-%m') = ?", [PERIOD]
        ).fetchall()
    ]
    assert all(shop in html for shop in shops)
    total = compute_kpis(st, by=(), period=PERIOD, metrics=["consult_buyers", "sales_amount"])[0]
    assert fmt_metric(total["consult_buyers"], "count") in html
    assert fmt_metric(total["sales_amount"], "yuan") in html
    assert "平台合规" in html


def test_default_period_is_the_last_full_month(client):
    # the demo has October and 4 days of November (< 7 days): October is shown
    assert "团队总览 · 2026-10" in client("admin").get("/").text


def test_trend_charts_cover_every_day(client):
    options = chart_options(client("supervisor").get(f"/?period={PERIOD}").text)
    assert len(options) == 2
    assert len(options[0]["xAxis"]["data"]) == 31  # October has 31 days
    assert options[0]["xAxis"]["data"][0] == "2026-10-01"


def test_agent_sees_only_their_own_numbers(app, client, accounts):
    me, other = accounts["agent"]["agent"], accounts["agent2"]["agent"]
    html = client("agent").get(f"/?period={PERIOD}").text
    assert "我的指标" in html
    assert me in html and other not in html
    assert "平台合规" not in html  # shop-wide compliance is for admin and supervisor
    mine = compute_kpis(
        app.state.store, by="agent", period=PERIOD, metrics=["consult_buyers"], agents=[me]
    )[0]
    assert f'<td class="num">{fmt_metric(mine["consult_buyers"], "count")}</td>' in html


def test_lead_sees_their_team_only(app, client, accounts):
    html = client("lead").get(f"/?period={PERIOD}").text
    team = accounts["lead"]["team"]
    members = {
        r[0]
        for r in app.state.store.con.execute(
            "SELECT agent FROM agents WHERE team = ?", [team]
        ).fetchall()
    }
    outsiders = {
        r[0]
        for r in app.state.store.con.execute(
            "SELECT agent FROM agents WHERE team <> ?", [team]
        ).fetchall()
    }
    assert "本组指标" in html
    assert all(f">{a}</a>" in html for a in members if a in html)
    assert not any(f">{a}</a>" in html for a in outsiders)


def test_findings_counts_match_the_store(app, client):
    html = client("admin").get(f"/?period={PERIOD}").text
    top = app.state.store.con.execute(
        "SELECT count(*) FROM qa_findings WHERE time >= '2026-10-01' AND time < '2026-11-01' "
        "GROUP BY rule ORDER BY 1 DESC LIMIT 1"
    ).fetchone()[0]
    assert f'<td class="num">{fmt_number(top)}</td>' in html


def test_english_labels(client):
    html = client("admin").get(f"/?period={PERIOD}&lang=en").text
    assert "Team overview" in html and "Headline KPIs" in html


def test_formatting_by_unit():
    # 0.1234 as a percentage, at most two decimals; amounts with ¥ and two decimals
    assert fmt_metric(0.1234, "ratio") == "12.34%"
    assert fmt_metric(1234.5, "yuan") == "¥1,234.50"
    assert fmt_metric(1.37, "per_buyer") == "1.37件/人"  # 客件数 is no percent
    assert fmt_metric(1.37, "per_buyer", "en") == "1.37 items/buyer"
    assert fmt_metric(357.22, "seconds") == "357.2秒"
    assert fmt_metric(None, "count") == "—"
    assert fmt_number(1200.0) == "1,200"
    assert fmt_number(2.50) == "2.5"


def test_line_chart_puts_later_series_on_a_second_axis():
    option = line(["d1", "d2"], {"a": [1, 2], "b": [0.5, None]}, "T")
    assert [s["yAxisIndex"] for s in option["series"]] == [0, 1]
    assert option["xAxis"]["data"] == ["d1", "d2"] and option["title"]["text"] == "T"


def test_compliance_is_one_line_per_rule_and_subject_and_cached(app, client, monkeypatch):
    from kaohe.compliance import check
    from kaohe.compliance.check import run_checks, summary

    results = run_checks(app.state.store, PERIOD)
    calls = []

    def counting(*args, **kwargs):
        calls.append(args)
        return results

    monkeypatch.setattr(check, "run_checks", counting)
    monkeypatch.setattr(app.state, "results_cache", None)  # a new cache is made on first use
    html = client("supervisor").get(f"/?period={PERIOD}").text
    client("supervisor").get(f"/?period={PERIOD}")
    assert len(calls) == 1  # the second page view reads the cached results
    section = html.split('id="compliance"')[1].split("</section>")[0]
    lines = section.split("<tbody>")[1].split("</tbody>")[0].count("<tr")
    assert lines == len(summary(results)) < len(results)  # daily rules fold into one line
    bad = [r for r in results if r.status in ("fail", "at_risk")]
    assert section.count("<details") == len(bad)
    assert "合规检查不可用" not in section


def test_tiles_against_last_month_and_the_month_picker(app, client):
    from kaohe.units import format_change

    html = client("supervisor").get("/?period=2026-11").text
    st = app.state.store
    metrics = ["consult_buyers", "avg_response_s"]
    now = compute_kpis(st, by=(), period="2026-11", metrics=metrics)[0]
    before = compute_kpis(st, by=(), period="2026-10", metrics=metrics)[0]
    tile = html.split('data-metric="consult_buyers"', 1)[1].split("</div>\n", 3)
    change = now["consult_buyers"] - before["consult_buyers"]  # 4 days against 31: fewer
    assert change < 0
    assert f"比上月 ▼ {format_change(change, 'count')}" in "".join(tile)
    assert 'class="delta bad"' in "".join(tile)
    # the picker: the month before and after, 上月 / 本月, and 4 of 30 days covered
    assert 'href="/?period=2026-10"' in html and 'href="/?period=2026-12"' in html
    assert "上月" in html and "本月" in html
    assert "数据覆盖 2026-11-01 至 2026-11-04（4/30 天）" in html


def test_no_comparison_with_a_month_without_data(client):
    html = client("supervisor").get("/?period=2026-10").text  # September has no chats
    assert "比上月" not in html


def test_a_running_month_is_marked_unsettled(client):
    from datetime import date

    from kaohe.web.months import month_of

    html = client("supervisor").get(f"/?period={month_of(date.today())}").text
    assert 'id="unsettled"' in html and "未结算" in html
    assert 'id="unsettled"' not in client("supervisor").get("/?period=2026-10").text


def test_a_shop_row_leads_to_its_agents(app, client):
    c = client("supervisor")
    html = c.get(f"/?period={PERIOD}").text
    shop = re.findall(r'class="shop-link" href="/\?period=2026-10&amp;shop=([^"]+)">([^<]+)<', html)
    assert shop
    name = shop[0][1]
    page = c.get("/", params={"period": PERIOD, "shop": name}).text
    st = app.state.store
    serving = compute_kpis(st, by=("agent", "shop"), period=PERIOD, metrics=["consult_buyers"])
    agents = sorted(r["agent"] for r in serving if r["shop"] == name)
    linked = re.findall(r'<a href="/agents/[^"]+">([^<]+)</a>', page.split('id="kpis"')[1])
    assert sorted(linked) == agents
