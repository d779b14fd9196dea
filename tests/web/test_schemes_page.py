"""The scheme page: presets, a preset or an uploaded YAML previewed beside the current scheme
on a past period (kaohe.schemes.compare); a bad file shows its file, line and field; admin and
supervisor only."""

from __future__ import annotations

import io
import re
from importlib import resources

import polars as pl

from kaohe.schemes import compare, list_schemes, load_scheme
from kaohe.schemes.fetch import score_period
from kaohe.web.render import fmt_metric

PERIOD = "2026-10"

# line 7 (bands: 3) is the mistake: bands must be a list
BAD_SCHEME = """\
id: mine
name: 我的方案
items:
  - id: reply
    rule: tiers
    metric: reply_rate
    bands: 3
"""


def preview_rows(html: str) -> dict[str, list[str]]:
    table = html.split('class="compare"', 1)[1].split("</table>", 1)[0]
    return {
        agent: re.findall(r"<td[^>]*>([^<]*)</td>", row)
        for agent, row in re.findall(r'<tr data-agent="([^"]+)">(.*?)</tr>', table, re.S)
    }


def test_presets_are_listed(client):
    html = client("supervisor").get("/schemes").text
    for scheme in list_schemes():
        assert f'<tr data-scheme="{scheme.id}">' in html and f">{scheme.name}</a>" in html
    assert ">id<" not in html and "seed 0" not in html


def test_preset_preview_matches_compare(app, client):
    html = (
        client("admin")
        .get(f"/schemes?scheme=presales_standard&compare=general&period={PERIOD}")
        .text
    )
    st = app.state.store
    expected = compare(
        score_period(st, load_scheme("general"), PERIOD),
        score_period(st, load_scheme("presales_standard"), PERIOD),
    )
    rows = preview_rows(html)
    assert set(rows) == {r["agent"] for r in expected}
    for r in expected:
        cells = rows[r["agent"]]
        assert cells[2] == fmt_metric(r["total_a"], "points")
        assert cells[4] == fmt_metric(r["total_b"], "points")
        assert cells[6] == fmt_metric(r["difference"], "points")


def test_upload_a_valid_file(client, csrf):
    admin = client("admin")
    yaml_text = resources.files("kaohe.schemes").joinpath("presets/general.yaml").read_text()
    response = admin.post(
        "/schemes",
        data={"csrf_token": csrf(admin), "compare": "general", "period": PERIOD},
        files={"file": ("mine.yaml", yaml_text.encode(), "text/yaml")},
    )
    assert response.status_code == 200
    assert "方案文件有效: mine.yaml" in response.text
    rows = preview_rows(response.text)
    assert rows and all(cells[6] == "0分" for cells in rows.values())  # the same scheme twice


def test_upload_a_bad_file_names_file_line_and_field(client, csrf):
    admin = client("admin")
    response = admin.post(
        "/schemes",
        data={"csrf_token": csrf(admin), "period": PERIOD},
        files={"file": ("bad.yaml", BAD_SCHEME.encode(), "text/yaml")},
    )
    assert response.status_code == 400
    box = response.text.split('id="scheme-error"', 1)[1].split("</div>", 1)[0]
    assert "<td>bad.yaml</td>" in box
    assert '<td data-line="7">7</td>' in box
    assert "<td>items.0.bands</td>" in box
    assert "<code>    bands: 3</code>" in box


def test_not_utf8_and_unknown_scheme(client, csrf):
    admin = client("admin")
    response = admin.post(
        "/schemes",
        data={"csrf_token": csrf(admin)},
        files={"file": ("gbk.yaml", "名称".encode("gbk"), "text/yaml")},
    )
    assert response.status_code == 400 and "UTF-8" in response.text
    assert client("admin").get("/schemes?scheme=no_such").status_code == 400
    # a scheme is a preset id, never a path on the server
    assert client("admin").get("/schemes?scheme=/etc/hosts").status_code == 400


def test_roles_and_csrf(client, csrf):
    for role in ("lead", "agent"):
        user = client(role)
        assert user.get("/schemes").status_code == 403
        response = user.post(
            "/schemes",
            data={"csrf_token": csrf(user)},
            files={"file": ("x.yaml", BAD_SCHEME.encode(), "text/yaml")},
        )
        assert response.status_code == 403
    admin = client("admin")
    assert (
        admin.post("/schemes", files={"file": ("x.yaml", BAD_SCHEME.encode())}).status_code == 403
    )


def test_download(client):
    response = client("supervisor").get(
        f"/schemes?scheme=aftersales_standard&compare=general&period={PERIOD}&format=xlsx"
    )
    frame = pl.read_excel(io.BytesIO(response.content))
    assert frame.columns[0] == "客服" and frame.columns[-1] == "差异"


def test_presets_download(client):
    frame = pl.read_excel(io.BytesIO(client("admin").get("/schemes?format=xlsx").content))
    assert sorted(frame["方案"].to_list()) == sorted(s.name for s in list_schemes())
    assert "id" not in frame.columns and "source" not in frame.columns
