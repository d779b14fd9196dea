"""The ranking: scheme scores and ranks, filters, sort, PK, visibility and the download."""

from __future__ import annotations

import io
import re

import polars as pl
import pytest
from fastapi import HTTPException

from kaohe.web import audit
from kaohe.web.pages.ranking import apply_filters, sort_rows

PERIOD = "2026-10"
ROWS = [  # hand-built: two tied on 90 share rank 1, the next is third
    {
        "agent": "a",
        "name": "A",
        "team": "t1",
        "shops": "s1",
        "role": "presales",
        "total": 90.0,
        "rank": 1,
    },
    {
        "agent": "b",
        "name": "B",
        "team": "t1",
        "shops": "s1, s2",
        "role": "presales",
        "total": 90.0,
        "rank": 1,
    },
    {
        "agent": "c",
        "name": "C",
        "team": "t2",
        "shops": "s2",
        "role": "aftersales",
        "total": 70.0,
        "rank": 3,
    },
    {
        "agent": "d",
        "name": "D",
        "team": "t2",
        "shops": "s2",
        "role": "presales",
        "total": None,
        "rank": None,
    },
]


def agents_of(rows: list[dict]) -> list[str]:
    return [r["agent"] for r in rows]


def table_agents(html: str) -> list[str]:
    return re.findall(r'<tr data-agent="([^"]+)">', html)


def test_sort_and_missing_last():
    assert agents_of(sort_rows(ROWS, "rank")) == ["a", "b", "c", "d"]
    assert agents_of(sort_rows(ROWS, "-total")) == ["b", "a", "c", "d"]  # ties by agent, desc
    assert agents_of(sort_rows(ROWS, "team")) == ["a", "b", "c", "d"]
    with pytest.raises(HTTPException):
        sort_rows(ROWS, "password_hash")


def test_filters_by_shop_team_role_and_scope():
    assert agents_of(apply_filters(ROWS, "s2", "", "", None)) == ["b", "c", "d"]
    assert agents_of(apply_filters(ROWS, "", "t2", "presales", None)) == ["d"]
    assert agents_of(apply_filters(ROWS, "", "", "", {"a", "c"})) == ["a", "c"]


def test_supervisor_sees_the_whole_population_ranked(client):
    html = client("supervisor").get(f"/ranking?period={PERIOD}").text
    agents = table_agents(html)
    assert len(agents) == 10  # presales_standard covers the 10 presales agents
    ranks = [int(r) for r in re.findall(r'<tr data-agent="[^"]+">\s*<td class="num">(\d+)', html)]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert "PK 排名" in html


def test_filter_by_team_and_sort_by_name(client, accounts):
    team = accounts["lead"]["team"]
    html = client("admin").get(f"/ranking?period={PERIOD}&team={team}&sort=-name").text
    assert len(table_agents(html)) == 10


def test_agent_sees_only_their_row(client, accounts):
    html = client("agent").get(f"/ranking?period={PERIOD}").text
    assert table_agents(html) == [accounts["agent"]["agent"]]
    assert accounts["agent2"]["agent"] not in html


def test_agent_of_another_team_sees_nothing_of_the_presales_ranking(client, accounts):
    html = client("agent2").get(f"/ranking?period={PERIOD}").text
    assert table_agents(html) == []
    assert accounts["agent"]["agent"] not in html


def test_other_scheme_and_unknown_scheme(client):
    c = client("supervisor")
    assert (
        len(table_agents(c.get(f"/ranking?period={PERIOD}&scheme=aftersales_standard").text)) == 5
    )  # the 5 aftersales agents
    assert c.get("/ranking?scheme=nope").status_code == 400
    assert c.get("/ranking?sort=secret").status_code == 400


def test_xlsx_download_is_filtered_and_audited(app, client, accounts):
    response = client("agent").get(f"/ranking?period={PERIOD}&format=xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    frame = pl.read_excel(io.BytesIO(response.content))
    assert frame.columns[:3] == ["名次", "客服", "姓名"]
    assert frame["客服"].to_list() == [accounts["agent"]["agent"]]
    last = audit.entries(app.state.store, "export")[0]
    assert last["username"] == "agent" and "ranking scheme=presales_standard" in last["detail"]


def test_a_row_expands_into_items_grade_and_next_grade(client):
    c = client("supervisor")
    html = c.get(f"/ranking?period={PERIOD}").text
    last = table_agents(html)[-1]
    assert f"/ranking/why?scheme=presales_standard&amp;period={PERIOD}&amp;agent=" in html
    part = c.get("/ranking/why", params={"period": PERIOD, "agent": last}).text
    assert f'data-agent="{last}"' in part and "<html" not in part
    assert "考核项" in part and "得分 / 满分" in part and "怎么算的" in part
    assert re.search(r"即可达到|已是最高等级|单项提升无法达到|数据不足", part)
    assert c.get("/ranking/why", params={"period": PERIOD, "agent": "nobody"}).status_code == 404


def test_an_agent_cannot_expand_another_agents_row(client, accounts):
    other = accounts["agent2"]["agent"]
    params = {"period": PERIOD, "agent": other, "scheme": "aftersales_standard"}
    assert client("agent").get("/ranking/why", params=params).status_code == 404
    assert client("agent2").get("/ranking/why", params=params).status_code == 200
