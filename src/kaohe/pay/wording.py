"""A payslip line in plain Chinese, with the figures behind it: the formula read back with
each name's Chinese label and its value in its unit (kaohe.units), e.g.

    个人提成比例 2% × 客服销售额 ¥12,345.00 = ¥246.90
    团队最低月度总分 92分 ≥ 季度评分奖励线 90，达到 → ¥1,000.00
    客服销售额 PK 第 2 名，奖励 ¥200.00

Labels come from the plan (parameters' and inputs' names, line and pool names), the metric
catalogue (metric ids, also as ``team.`` / ``shop.``), the roster (底薪 …) and the scheme
(``score.`` items). Nothing here computes an amount: values are those the line read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from kaohe.pay.formula import Binary, Call, Name, Node, Num, Text, Unary, Value, evaluate
from kaohe.pay.plan import Plan
from kaohe.units import INFO, Unit, format_value

ROSTER_LABELS = {
    "base_salary": "底薪",
    "level": "级别",
    "role": "岗位",
    "team": "组",
    "shops": "店铺",
    "region": "地区",
    "name": "姓名",
    "hired_on": "入职日期",
}
SCORE_LABELS = {
    "total": "考核总分",
    "grade": "考核等级",
    "penalty": "等级扣款额",
    "reward": "等级奖励额",
    "lowest_total": "最低月度总分",
    "highest_total": "最高月度总分",
    "team_lowest": "团队最低月度评分",
    "team_mean": "团队平均评分",
}
OPERATORS = {
    "+": " + ",
    "-": " − ",
    "*": " × ",
    "/": " ÷ ",
    "^": " ^ ",
    "==": " = ",
    "!=": " ≠ ",
    ">=": " ≥ ",
    "<=": " ≤ ",
    ">": " > ",
    "<": " < ",
    "and": "，且",
    "or": "，或",
}
PRECEDENCE = {
    "or": 1,
    "and": 2,
    "not": 3,
    "==": 4,
    "!=": 4,
    ">=": 4,
    "<=": 4,
    ">": 4,
    "<": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "unary": 7,
    "^": 8,
}
FUNCTIONS = {"min": "取较小值", "max": "取较大值", "round": "四舍五入", "abs": "绝对值"}
_SUFFIX = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")


def short_label(text: str) -> str:
    """A label without its trailing parenthesis: 平均响应时长(秒) → 平均响应时长 (the unit is
    shown with the value)."""
    return _SUFFIX.sub("", text).strip() or text


@dataclass
class Glossary:
    """How the names a plan's formulas read are said in Chinese, and in which unit."""

    plan: Plan
    items: Mapping[str, str] = field(default_factory=dict)  # scheme item id -> label
    team: str | None = None  # the agent's roster team (team.<metric> reads it)

    def label(self, dotted: str) -> str:
        root, _, rest = dotted.partition(".")
        if rest:
            if root == "team":
                return f"{self.team or '团队'}{metric_label(rest)}"
            if root == "shop":
                return f"店铺{metric_label(rest)}"
            if root == "rank":
                return f"{metric_label(rest)}PK名次"
            if root == "score":
                return SCORE_LABELS.get(rest) or f"考核项「{self.items.get(rest, rest)}」得分"
        plan = self.plan
        if dotted in plan.params:
            return plan.params[dotted].name or dotted
        if dotted in plan.inputs:
            return short_label(plan.inputs[dotted])
        for line in [*plan.pools, *plan.shared_costs, *plan.all_lines()]:
            if getattr(line, "id", None) == dotted:
                return str(getattr(line, "name", dotted))
        if dotted in ROSTER_LABELS:
            return ROSTER_LABELS[dotted]
        return metric_label(dotted)

    def unit(self, dotted: str, amounts: set[str]) -> Unit | str | None:
        """A kaohe unit, a parameter's own unit text, or None (a plain number)."""
        if dotted in amounts:
            return "yuan"
        param = self.plan.params.get(dotted)
        if param is not None:
            if not param.unit and param.name.endswith(("比例", "率")):
                return "ratio"  # 个人提成比例 0.02 reads 2%
            return param.unit or None
        if dotted in self.plan.inputs:
            return "yuan" if "元" in self.plan.inputs[dotted] else None
        return input_unit(dotted)

    def figure(self, dotted: str, value: Value, amounts: set[str]) -> str:
        """A value as the payslip shows it: in its unit; 无数据 when missing."""
        if value is None:
            return "无数据"
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, str):
            return value
        unit = self.unit(dotted, amounts)
        if dotted.startswith("rank."):
            return f"第 {value:g} 名"
        if unit in INFO:
            return format_value(value, unit)
        number = f"{value:,.4f}".rstrip("0").rstrip(".")
        return f"{number} {unit}" if unit else number


def input_unit(name: str) -> Unit | None:
    """The unit of a name a formula reads: a metric's (also as ``team.`` or a pool's
    ``shop.``), points for ``score.``, yuan for the base salary; None for plan parameters
    and places (earlier lines are yuan: PayLine.amounts)."""
    from kaohe.engine.registry import find

    dotted = name.rpartition(": ")[2]  # a pool's inputs are "<shop>: <name>"
    root, _, rest = dotted.partition(".")
    if root == "score":
        return None if rest == "grade" else "points"
    if root == "rank":
        return None
    known = find(rest if root in ("team", "shop") else dotted)
    if known is not None:
        return known.unit
    return "yuan" if dotted == "base_salary" else None


def metric_label(metric: str) -> str:
    from kaohe.engine.registry import find

    known = find(metric)
    return short_label(known.zh) if known else metric


# ---------------------------------------------------------------- formulas in words


@dataclass
class Reading:
    """What one formula read: values by dotted name, and which of them are amounts (¥)."""

    glossary: Glossary
    values: Mapping[str, Value] | None  # None: say the names without figures
    amounts: set[str] = field(default_factory=set)

    def lookup(self, name: Name) -> Value:
        return (self.values or {}).get(name.dotted)

    def name(self, dotted: str, like: str | None = None) -> str:
        """The label and the figure; a plan parameter without a unit of its own compared with
        `like` (a metric) is shown in that metric's unit (转化率达标线 25%, not 0.25)."""
        label = self.glossary.label(dotted)
        if self.values is None:
            return label
        glossary = self.glossary
        param = glossary.plan.params.get(dotted)
        # a parameter the evaluation did not reach (the other branch of an if) keeps its value
        value = self.values.get(dotted, param.default if param is not None else None)
        if like and param is not None and not param.unit and isinstance(value, int | float):
            unit = glossary.unit(like, self.amounts)
            if unit in INFO:
                return f"{label} {format_value(value, unit)}"
        return f"{label} {glossary.figure(dotted, value, self.amounts)}"

    def say(self, node: Node, outer: int = 0) -> str:
        """The expression in words; parenthesised when it binds looser than its context."""
        text, own = self._say(node)
        return f"（{text}）" if own < outer else text

    def _say(self, node: Node) -> tuple[str, int]:
        if isinstance(node, Num):
            return f"{node.value:g}", 9
        if isinstance(node, Text):
            return node.value, 9
        if isinstance(node, Name):
            return self.name(node.dotted), 9
        if isinstance(node, Unary):
            if node.op == "not":
                return f"并非{self.say(node.operand, 3)}", 3
            sign = "−" if node.op == "-" else ""
            return f"{sign}{self.say(node.operand, 7)}", 7
        if isinstance(node, Binary):
            own = PRECEDENCE[node.op]
            if own == 4 and isinstance(node.left, Name) and isinstance(node.right, Name):
                left, right = node.left.dotted, node.right.dotted
                return f"{self.name(left, right)}{OPERATORS[node.op]}{self.name(right, left)}", own
            # a - (b - c), a / (b * c): the right side needs brackets at equal precedence
            inner = own + 1 if node.op in ("-", "/") else own
            return (
                f"{self.say(node.left, own)}{OPERATORS[node.op]}{self.say(node.right, inner)}",
                own,
            )
        return self._call(node), 9

    def _call(self, node: Call) -> str:
        if node.function == "if":
            return self._chosen(node)
        args = "，".join(self.say(a) for a in node.args)
        if node.function == "round":
            return f"{self.say(node.args[0])}（四舍五入）"
        return f"{FUNCTIONS[node.function]}（{args}）"

    def _chosen(self, node: Call) -> str:
        """Inside an expression an ``if`` reads as the branch it took (both when unknown)."""
        condition = self.holds(node.args[0])
        if condition is None:
            when, then, other = (self.say(a) for a in node.args)
            return f"若{when}则{then}，否则{other}"
        return self.say(node.args[1] if condition else node.args[2])

    def holds(self, node: Node) -> bool | None:
        if self.values is None:
            return None
        try:
            value = evaluate(node, self.lookup)
        except (ValueError, TypeError):
            return None
        return None if value is None else bool(value)


def say_formula(
    tree: Node,
    amount: float,
    reading: Reading,
    missing: list[str] | None = None,
    value: Value = 0.0,
) -> str:
    """A whole line: ``<formula in words> = <amount>``; a condition at the top says whether it
    held; a missing input or a division by zero says so."""
    shown = format_value(amount, "yuan")
    if value is None:
        gaps = missing or []
        if gaps and isinstance(tree, Call) and tree.function == "if":
            when, then = (reading.say(a) for a in tree.args[:2])
            return f"缺少{'、'.join(gaps)}的数据，不计（{when} 时为 {then}），记 {shown}"
        if gaps:
            return f"{reading.say(tree)}：缺少{'、'.join(gaps)}的数据，记 {shown}"
        return f"{reading.say(tree)}：除数为 0，记 {shown}"
    if isinstance(tree, Num):
        return f"固定金额 {shown}"
    if isinstance(tree, Name):
        return reading.name(tree.dotted)
    if isinstance(tree, Unary) and isinstance(tree.operand, Name) and tree.op == "-":
        return f"扣 {reading.name(tree.operand.dotted)}"
    if isinstance(tree, Call) and tree.function == "if":
        return _top_if(tree, amount, reading)
    return f"{reading.say(tree)} = {shown}"


def _top_if(tree: Call, amount: float, reading: Reading) -> str:
    condition = reading.holds(tree.args[0])
    cond = reading.say(tree.args[0])
    taken = tree.args[1] if condition else tree.args[2]
    verdict = "达到" if condition else "未达到"
    rest = (
        format_value(amount, "yuan")
        if isinstance(taken, Num)
        else say_formula(taken, amount, reading)
    )
    if isinstance(taken, Call) and taken.function == "if" and not condition:
        return f"{cond}，{verdict}；{rest}"
    return f"{cond}，{verdict} → {rest}"


def say_pk(metric: str, place: Value, rewards: list[float], amount: float) -> str:
    """A PK reward: the place and what it earns, or why there is none."""
    label = metric_label(metric)
    if place is None:
        return f"{label} PK 没有名次（数据不足或未参与排名），¥0.00"
    if amount:
        return f"{label} PK 第 {place:g} 名，奖励 {format_value(amount, 'yuan')}"
    return f"{label} PK 第 {place:g} 名，未进前 {len(rewards)} 名，¥0.00"


def cost_text(label: str, cost: float, share: float, amount: float) -> str:
    """A shared cost on the agent's side."""
    if not cost:
        return f"本期没有{label}，¥0.00"
    return (
        f"{label} {format_value(cost, 'yuan')} × 客服承担 {format_value(share, 'ratio')} = "
        f"{format_value(amount, 'yuan')}"
    )


def describe(plan: Plan, text: str, glossary: Glossary | None = None) -> str:
    """A condition or formula in words without figures (an eligibility rule, a notice)."""
    from kaohe.pay.formula import parse

    return Reading(glossary or Glossary(plan), None).say(parse(text))
