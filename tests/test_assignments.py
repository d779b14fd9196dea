"""Scheme and pay-plan assignment by population (kaohe.assignments): the most specific rule
wins, equally specific disagreeing rules are an error, the file reads back as it was saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaohe.assignments import (
    Assignments,
    Member,
    assignments_path,
    choose,
    dump_assignments,
    load_assignments,
    members,
    parse_assignments,
    populations,
    save_assignments,
    unused_note,
)
from kaohe.config import load_config
from kaohe.errors import ConfigError
from kaohe.store import Store
from tests.engine.conftest import fill_table

RULES = """\
assignments:
  - name: 京东店
    when: {platform: 京东}
    plan: jd_commission
  - when: {platform: [tmall, taobao], role: 售前}
    scheme: presales_service
  - when: {role: aftersales}
    scheme: aftersales_standard
  - when: {shop: 云朵天猫旗舰店}
    scheme: general
  - when: {agent: 云朵天猫旗舰店:小美}
    scheme: presales_traffic
  - when: {}
    scheme: general
    plan: pk_rewards
"""

TMALL = ("云朵天猫旗舰店",)
TMALL_PRE = Member("云朵天猫旗舰店:小雪", None, TMALL, ("tmall",), "售前组", None, "presales")
TMALL_AFTER = Member("云朵天猫旗舰店:阿杰", None, TMALL, ("tmall",), None, None, "aftersales")
JD_PRE = Member("云朵京东自营:小月", None, ("云朵京东自营",), ("jd",), None, None, "presales")


@pytest.fixture
def rules(tmp_path: Path) -> Assignments:
    return parse_assignments(RULES, str(tmp_path / "assignments.yaml"))


def test_the_most_specific_rule_wins(rules: Assignments) -> None:
    # {shop} (weight 16) beats {platform, role} (9); the agent beats everything
    assert choose(rules, TMALL_PRE, "scheme").ref == "general"
    assert choose(rules, TMALL_PRE, "scheme").index == 3
    star = Member("云朵天猫旗舰店:小美", None, TMALL, ("tmall",), None, None, "presales")
    assert choose(rules, star, "scheme").ref == "presales_traffic"
    # {platform, role} beats {role}; an agent of another shop falls to the rule for everyone
    taobao = Member("淘宝店:甲", None, ("淘宝店",), ("taobao",), None, None, "presales")
    assert choose(rules, taobao, "scheme").ref == "presales_service"
    other = Member("抖音店:乙", None, ("抖音店",), ("douyin",), None, None, "presales")
    assert choose(rules, other, "scheme").ref == "general"


def test_scheme_and_plan_are_chosen_separately(rules: Assignments) -> None:
    # the JD rule names only a plan: the scheme comes from the rule for everyone
    assert choose(rules, JD_PRE, "plan").ref == "jd_commission"
    assert choose(rules, JD_PRE, "scheme").ref == "general"
    assert choose(rules, TMALL_AFTER, "plan").ref == "pk_rewards"
    assert choose(rules, TMALL_AFTER, "scheme").ref == "general"  # shop 16 > role 1


def test_labels_in_chinese_become_codes(rules: Assignments) -> None:
    assert rules.assignments[0].when.platform == ["jd"]
    assert rules.assignments[1].when.role == ["presales"]
    assert rules.assignments[1].when.text() == "平台 天猫、淘宝，岗位 售前"
    assert rules.assignments[5].when.text() == "全部客服"


def test_equally_specific_rules_that_disagree_name_both(tmp_path: Path) -> None:
    text = """\
assignments:
  - {name: 甲店, when: {shop: 甲}, plan: jd_commission}
  - {name: 乙店, when: {shop: 乙}, plan: pk_rewards}
"""
    found = parse_assignments(text, str(tmp_path / "a.yaml"))
    both = Member("甲:x", None, ("甲", "乙"), (), None, None, None)
    with pytest.raises(ConfigError, match="甲店 → jd_commission.*乙店 → pk_rewards"):
        choose(found, both, "plan")
    assert choose(found, Member("甲:y", shops=("甲",)), "plan").ref == "jd_commission"


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("  - {when: {platfrom: jd}, plan: jd_commission}\n", "did you mean 'platform'", 2),
        ("  - {when: {platform: jdd}, plan: jd_commission}\n", "did you mean 'jd'", 2),
        ("  - {when: {role: 售钱}, plan: jd_commission}\n", "unknown role '售钱'", 2),
        ("  - when: {platform: jd}\n    plan: jd_comission\n", "did you mean 'jd_commission'", 3),
        ("  - when: {platform: jd}\n    scheme: genral\n", "did you mean 'general'", 3),
        ("  - when: {platform: jd}\n", "scheme 或 plan", 2),
        (
            "  - {when: {platform: jd}, plan: jd_commission}\n"
            "  - {when: {platform: [jd]}, scheme: general}\n",
            "same population as rule 1",
            3,
        ),
    ],
)
def test_mistakes_name_file_line_and_field(
    tmp_path: Path, text: str, message: str, line: int
) -> None:
    path = str(tmp_path / "assignments.yaml")
    with pytest.raises(ConfigError, match=message) as caught:
        parse_assignments("assignments:\n" + text, path)
    assert caught.value.file == path and caught.value.line == line
    assert caught.value.field and caught.value.field.startswith("assignments.")


def test_a_plan_file_is_relative_to_the_assignments_file(tmp_path: Path) -> None:
    plan = (Path(__file__).parent.parent / "src/kaohe/pay/presets/pk_rewards.yaml").read_text()
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "mine.yaml").write_text(plan.replace("id: pk_rewards", "id: mine"))
    found = parse_assignments(
        "assignments:\n  - {when: {}, plan: plans/mine.yaml}\n", str(tmp_path / "a.yaml")
    )
    assert found.resolve("plans/mine.yaml") == str(tmp_path / "plans" / "mine.yaml")
    assert found.resolve("jd_commission") == "jd_commission"


def test_save_writes_what_loads_back(tmp_path: Path, rules: Assignments) -> None:
    path = tmp_path / "data" / "assignments.yaml"
    save_assignments(path, rules)
    again = load_assignments(path)
    assert again.assignments == rules.assignments
    assert dump_assignments(again) == path.read_text("utf-8")
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".assignments-")]


def test_save_takes_a_form_mapping_and_refuses_a_bad_one(tmp_path: Path) -> None:
    path = tmp_path / "assignments.yaml"
    form = {"assignments": [{"when": {"shop": "甲", "role": "售后"}, "scheme": "general"}]}
    save_assignments(path, form)
    assert load_assignments(path).assignments[0].when.role == ["aftersales"]
    before = path.read_text("utf-8")
    with pytest.raises(ConfigError, match="did you mean 'general'"):
        save_assignments(path, {"assignments": [{"when": {}, "scheme": "genral"}]})
    assert path.read_text("utf-8") == before  # the old file is untouched


def test_no_file_means_no_assignments(tmp_path: Path) -> None:
    assert load_assignments(tmp_path / "missing.yaml").assignments == []


def test_the_file_lives_beside_the_store_unless_kaohe_toml_names_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "data" / "kaohe.duckdb"
    assert assignments_path(load_config(db=str(db))) == tmp_path / "data" / "assignments.yaml"
    conf = tmp_path / "etc" / "kaohe.toml"
    conf.parent.mkdir()
    conf.write_text('[assignments]\nfile = "rules/plans.yaml"\n', "utf-8")
    named = assignments_path(load_config(str(conf), db=str(db)))
    assert named == tmp_path / "etc" / "rules" / "plans.yaml"


def test_members_from_the_roster_and_the_chats(tmp_path: Path) -> None:
    with Store(str(tmp_path / "k.duckdb")) as store:
        fill_table(
            store,
            "agents",
            [
                {"agent": "t:甲", "name": "张三", "shops": "天猫店、京东店", "role": "presales"},
                {"agent": "t:乙", "name": "李四", "shops": "天猫店", "active": False},
            ],
        )
        for i, (shop, platform, agent) in enumerate(
            [("天猫店", "tmall", "t:甲"), ("京东店", "jd", "j:丙"), ("京东店", "jd", "t:甲")]
        ):
            fill_table(
                store,
                "messages",
                [
                    {
                        "shop": shop,
                        "platform": platform,
                        "buyer": "b",
                        "agent": agent,
                        "sender": "agent",
                        "time": "2026-10-01 10:00:00",
                        "seq": i,
                        "msg_key": f"k{i}",
                    }
                ],
            )
        found = {m.agent: m for m in members(store)}
    # the inactive agent is left out; the chat-only agent gets the shop of their chats
    assert set(found) == {"t:甲", "j:丙"}
    assert found["t:甲"].shops == ("天猫店", "京东店")
    assert found["t:甲"].platforms == ("tmall", "jd")
    assert found["j:丙"].platforms == ("jd",) and found["j:丙"].role is None


def test_populations_group_agents_and_list_unused_rules(rules: Assignments) -> None:
    found = populations(rules, [TMALL_PRE, TMALL_AFTER, JD_PRE], "scheme")
    assert found.groups == {"general": [TMALL_PRE.agent, TMALL_AFTER.agent, JD_PRE.agent]}
    assert found.why[JD_PRE.agent].why == "第 6 条（全部客服）"
    # the presales_service, aftersales_standard and agent rules cover none of these three
    assert len(found.unused) == 3
    assert "没有覆盖任何客服" in (unused_note(found) or "")
    plans = populations(rules, [TMALL_PRE, JD_PRE], "plan")
    assert plans.groups == {"pk_rewards": [TMALL_PRE.agent], "jd_commission": [JD_PRE.agent]}
    assert plans.of(JD_PRE.agent) == "jd_commission" and plans.unassigned == []
