"""The safe formula language: values computed by hand, and hostile input refused."""

from __future__ import annotations

import re

import pytest

from kaohe.errors import ConfigError
from kaohe.pay.formula import (
    MAX_LENGTH,
    FormulaError,
    Name,
    compile_formula,
    evaluate,
    names,
    parse,
    round_half_up,
)

VALUES = {
    "sales_amount": 10000.0,
    "team.avg_order_value": 225.0,
    "level": "senior",
    "missing": None,
    "zero": 0.0,
    "big": 50.0,
}


def calc(text: str) -> object:
    return evaluate(parse(text), lambda name: VALUES[name.dotted])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 + 2 * 3", 7.0),  # * before +
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),  # left to right: (10 - 4) - 3
        ("2% * sales_amount", 200.0),  # 0.02 × 10000
        ("-2 ^ 2", -4.0),  # power binds tighter than minus
        ("2 ** 3 ** 2", 512.0),  # right-associative: 2 ^ 9
        ("team.avg_order_value / 9", 25.0),  # 225 / 9
        ("min(3, 1, 2) + max(4, 5)", 6.0),  # 1 + 5
        ("abs(-2.5)", 2.5),
        ("round(2.675, 2)", 2.68),  # half up on the decimal text
        ("if(sales_amount >= 10000, 1, 2)", 1.0),
        ("if(sales_amount > 10000, 1, 2)", 2.0),
        ("not 1 == 2 and 3 > 2", True),  # (not (1 == 2)) and (3 > 2)
        ("1 > 2 or 2 >= 2", True),
        ("level == 'senior'", True),
        ('level != "senior"', False),
        ("level == 3", False),  # text never equals a number
        ("true + true", 2.0),
        ("(sales_amount > 0) * 100", 100.0),  # a condition counts as 1
    ],
)
def test_values(text: str, expected: object) -> None:
    assert calc(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "missing + 1",
        "min(missing, 3)",
        "if(missing > 1, 1, 2)",
        "sales_amount / zero",
        "-missing",
        "missing > 1 and true",
    ],
)
def test_missing_and_division_by_zero_give_none(text: str) -> None:
    assert calc(text) is None


def test_short_circuit_ignores_missing_when_decided() -> None:
    assert calc("1 > 2 and missing > 1") is False
    assert calc("if(true, 5, missing)") == 5.0


@pytest.mark.parametrize(
    "text, message",
    [
        ("__import__('os').system('ls')", "unexpected character '_'"),
        ("().__class__", "unexpected character '_'"),
        ("() + 1", "empty parentheses"),
        ("sales_amount.__class__", "unexpected character '_'"),
        ("9**9**9", "exponent 3.8742e+08 too large"),  # 9^9 = 387420489 > 10
        ("2 ^ 11", "exponent 11 too large"),
        ("lambda x: x", "unexpected character ':'"),
        ("[x for x in y]", "unexpected character '['"),
        ("{'a': 1}", "unexpected character '{'"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("eval('1')", "unknown function 'eval'"),
        ("sales_amount.real()", "unknown function 'sales_amount.real'"),
        ("1 < 2 < 3", "chained comparisons"),
        ("1; 2", "unexpected character ';'"),
        ("1 +", "unexpected end of the formula"),
        ("min", "min is a function"),
        ("if(1, 2)", "if() takes 3 arguments, got 2"),
        ("1e400", "number 1e400 too large"),
        ("'" + "x" * 41 + "'", "text longer than 40"),
        ("", "empty formula"),
        ("1 + " * 200 + "1", "formula too long"),
        ("(" * 30 + "1" + ")" * 30, "nested too deeply"),
        ("-" * 30 + "1", "nested too deeply"),
        ("+".join(["1"] * 210), "formula too large"),
    ],
)
def test_rejected(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=re.escape(message)):
        parse(text)


def test_long_formula_limit_is_the_text_length() -> None:
    assert len("1 + " * 200 + "1") > MAX_LENGTH


def test_exponent_bounded_at_run_time() -> None:
    formula = compile_formula(
        "sales_amount ^ big", file="plan.yaml", line=7, field="lines.0.formula"
    )
    with pytest.raises(ConfigError, match=r"plan.yaml:7, field 'lines.0.formula'.*exponent 50"):
        formula.evaluate(lambda name: VALUES[name.dotted])


def test_result_size_bounded() -> None:
    with pytest.raises(FormulaError, match="too large"):
        calc("sales_amount ^ 10 * sales_amount ^ 10")  # 1e40 × 1e40


def test_text_in_arithmetic_is_an_error() -> None:
    with pytest.raises(FormulaError, match="text 'senior' cannot be used with '\\+'"):
        calc("level + 1")


def test_compile_error_names_file_line_and_field() -> None:
    with pytest.raises(ConfigError) as exc:
        compile_formula("2 * __class__", file="my.yaml", line=12, field="lines.3.formula")
    assert str(exc.value).startswith("my.yaml:12, field 'lines.3.formula': formula")
    assert "column 5" in str(exc.value)


def test_names_in_order_without_repeats() -> None:
    tree = parse("a * b + team.a - a")
    assert names(tree) == [Name(("a",)), Name(("b",)), Name(("team", "a"))]


@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (0.125, 2, 0.13),
        (2.675, 2, 2.68),
        (-2.675, 2, -2.68),
        (22.2222, 2, 22.22),
        (1.5, 0, 2.0),
        (-0.001, 2, 0.0),
    ],
)
def test_round_half_up(value: float, digits: int, expected: float) -> None:
    assert str(round_half_up(value, digits)) == str(expected)  # str: -0.0 is not 0.0
