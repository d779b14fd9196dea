"""The assignment page in headless Chromium: an admin adds a rule giving a team a scheme
(the team picked from the suggestions), sees how many agents it decides, and deletes it."""

from __future__ import annotations

from tests.web.api.test_assignments import rules_file  # noqa: F401 - the fixture


def test_an_admin_assigns_a_scheme_to_a_team(page, live_server, accounts, rules_file, shot):  # noqa: F811
    rules_file.unlink(missing_ok=True)  # start from no rules
    admin = accounts["admin"]
    page.goto(f"{live_server}/login?next=/admin/assignments")
    page.fill("input[name=username]", admin["username"])
    page.fill("input[name=password]", admin["password"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/assignments")
    assert page.locator("tr[data-rule]").count() == 0
    team = accounts["lead"]["team"]
    assert page.locator(f"#dl-team option[value='{team}']").count() == 1  # suggested
    new = page.locator("tr.new-rule")
    new.locator("input[name=name]").fill("售前组方案")
    new.locator("input[name=team]").fill(team)
    new.locator("select[name=scheme]").select_option(label="售前客服标准考核")  # by its name
    new.locator("button").click()
    page.wait_for_selector("tr[data-rule='0']")
    row = page.locator("tr[data-rule='0']")
    assert row.locator("input[name=team]").input_value() == team
    assert row.locator("select[name=scheme]").input_value() == "presales_standard"
    assert "考核方案" in row.inner_text()  # how many agents the rule decides
    populations = page.locator("ul.populations").first.inner_text()
    assert "售前客服标准考核" in populations and "presales_standard" not in populations
    shot(page, "admin_assignments")
    row.locator("button[value=delete]").click()
    page.wait_for_selector("text=还没有分配规则")
    assert not rules_file.read_text("utf-8").count("presales_standard")
