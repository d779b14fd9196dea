"""Pay plan files: the presets load, and a mistake names the file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kaohe.errors import ConfigError, UsageError
from kaohe.pay.plan import PkReward, list_plans, load_plan, parse_plan_text, pk_line

GOOD = """\
id: mine
name: 我的方案
params:
  rate: 0.02
lines:
  - id: commission
    name: 提成
    formula: rate * sales_amount
  - id: double
    name: 双倍
    formula: commission * 2
"""


def plan_with_line(formula: str) -> str:
    return GOOD.replace("formula: commission * 2", f"formula: {formula}")


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as exc:
        parse_plan_text(text, "mine.yaml")
    return str(exc.value)


def test_presets_are_listed() -> None:
    assert [p.id for p in list_plans()] == [
        "douyin_commission",
        "jd_commission",
        "kuaishou_commission",
        "pdd_commission",
        "pk_rewards",
        "supervisor_rules",
        "tmall_commission",
    ]


def test_jd_commission_preset_has_the_seed_lines() -> None:
    plan = load_plan("jd_commission")
    assert [ln.name for ln in plan.lines] == [
        "底薪",
        "个人提成",
        "退货扣减",
        "基础奖金",
        "转化率加权奖金",
        "客单价加权奖金",
        "基础绩效",
        "灵活绩效",
        "绩效工资",
    ]
    assert plan.params["commission_rate"].default == 0.02
    assert plan.params["returns_rate"].default == 0.04
    assert plan.params["silent_rate"].default == 0.01
    assert plan.pools[0].name == "静默分摊"


def test_param_shorthand_and_good_file() -> None:
    plan = parse_plan_text(GOOD, "mine.yaml")
    assert plan.params["rate"].default == 0.02
    assert plan.formula(("lines", 1, "formula")).line == 11  # line of 'formula: commission * 2'


def test_unknown_name_is_located_with_a_suggestion() -> None:
    message = error_of(plan_with_line("sales_amout * 2"))
    assert message.startswith("mine.yaml:11, field 'lines.1.formula': unknown name 'sales_amout'")
    assert "did you mean 'sales_amount'?" in message


@pytest.mark.parametrize(
    "formula, message",
    [
        ("__import__('os')", "unexpected character '_'"),
        ("().__class__", "unexpected character '_'"),
        ("9**9**9", "exponent 3.8742e+08 too large"),
        ("sales_amount.real", "dotted names start with team., score., rank. or shop."),
        ("team.sales_amount.real", "at most one dot"),
        ("shop.silent_sales", "only for a pool's amount"),
        ("team.nonsense", "unknown metric 'nonsense'"),
        ("later", "unknown name 'later'"),
    ],
)
def test_bad_formulas_name_file_line_and_field(formula: str, message: str) -> None:
    text = plan_with_line(f'"{formula}"')
    error = error_of(text)
    assert error.startswith("mine.yaml:11, field 'lines.1.formula':")
    assert message in error


def test_a_line_reads_only_earlier_lines() -> None:
    text = GOOD.replace("formula: rate * sales_amount", "formula: double + 1")
    assert "unknown name 'double'" in error_of(text)


def test_duplicate_and_shadowing_ids() -> None:
    assert "duplicate id 'commission'" in error_of(GOOD.replace("id: double", "id: commission"))
    error = error_of(GOOD.replace("id: double", "id: sales_amount"))
    assert error.startswith("mine.yaml:9, field 'lines.1.id'")
    assert "already a parameter, input, roster field or metric" in error


def test_pool_amount_reads_shop_values_only() -> None:
    text = GOOD + textwrap.dedent("""\
        pools:
          - id: silent
            name: 静默
            amount: rate * sales_amount
        """)
    error = error_of(text)
    assert error.startswith("mine.yaml:15, field 'pools.0.amount'")
    assert "not a parameter or shop.<metric>" in error


def test_schema_errors_are_located() -> None:
    error = error_of(GOOD.replace("    name: 双倍\n", "    name: 双倍\n    round: 9\n"))
    assert error.startswith("mine.yaml:11, field 'lines.1.round'")
    assert error_of(GOOD + "bogus: 1\n").startswith(
        "mine.yaml:12, field 'bogus': 未知的字段 'bogus'"
    )
    assert error_of(GOOD + "inputz: {}\n").endswith(
        "unknown field 'inputz'; did you mean 'inputs'?"
    )
    assert error_of("- a\n- b\n").startswith("mine.yaml:1:")
    assert "invalid YAML" in error_of("id: [unclosed\n")


def test_pk_reward_becomes_a_formula_line() -> None:
    line = pk_line(PkReward(metric="sales_amount", rewards=[300, 200]))
    assert line.id == "pk_sales_amount"
    assert line.name == "PK奖励·客服销售额"
    assert line.formula == "if(rank.sales_amount == 1, 300, if(rank.sales_amount == 2, 200, 0))"


def test_load_plan_by_path_and_params(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, encoding="utf-8")
    plan = load_plan(str(path), {"rate": 0.03})
    assert plan.params["rate"].default == 0.03
    assert load_plan(str(path)).params["rate"].default == 0.02
    with pytest.raises(UsageError, match="unknown parameter of mine 'nope'"):
        load_plan(str(path), {"nope": 1})


def test_load_plan_unknown() -> None:
    with pytest.raises(UsageError, match="unknown pay plan 'nope' .*jd_commission"):
        load_plan("nope")
    with pytest.raises(UsageError, match="not found"):
        load_plan("missing.yaml")


def test_docs_list_every_plan_and_line() -> None:
    from kaohe.pay.docs import render

    text = render()
    for plan in list_plans():
        assert f"## `{plan.id}` — {plan.name}" in text
        for line in plan.all_lines():
            assert f"| {line.name} (`{line.id}`) | `{line.formula}` |" in text
