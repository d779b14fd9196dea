"""The safe formula language of pay lines: a tiny parser of its own, never Python ``eval``.

Grammar (loosest binding first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | power
    power   := atom (("^" | "**") unary)?          right-associative
    atom    := NUMBER ["%"] | STRING | name ["(" args ")"] | "(" expr ")"
    name    := WORD ("." WORD)*                     e.g. sales_amount, team.avg_order_value

``2%`` is the number 0.02. Functions: ``min``, ``max``, ``abs``, ``round(x, digits)`` and
``if(condition, then, else)``. Words start with a letter (so ``__import__`` is not a word),
dots only join words (no attribute access on values), and the text, the nesting depth, the
number of nodes and every exponent are bounded. A missing value (None) propagates: the line
then explains which input had no value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kaohe.errors import ConfigError

MAX_LENGTH = 500
MAX_DEPTH = 25
MAX_NODES = 200
MAX_EXPONENT = 10
MAX_MAGNITUDE = 1e15
MAX_STRING = 40

FUNCTIONS: dict[str, tuple[int, int]] = {  # name -> (min args, max args)
    "min": (1, 20),
    "max": (1, 20),
    "abs": (1, 1),
    "round": (1, 2),
    "if": (3, 3),
}
KEYWORDS = {"and", "or", "not", "true", "false"}
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>'[^'\n]*'|"[^"\n]*")
  | (?P<word>[A-Za-z][A-Za-z0-9_]*)
  | (?P<op>\*\*|==|!=|<=|>=|[-+*/^()<>,.%])
""",
    re.VERBOSE,
)


class FormulaError(ValueError):
    """A formula that cannot be parsed or evaluated; ``column`` is 1-based when known."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(f"{message} (column {column})" if column else message)
        self.column = column


# ---------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Name:
    path: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]


Node = Num | Text | Name | Unary | Binary | Call


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    column: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            hint = " (names start with a letter)" if char == "_" else ""
            raise FormulaError(f"unexpected character {char!r}{hint}", pos + 1)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), pos + 1))
        pos = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0
        self.nodes = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def accept(self, *texts: str) -> Token | None:
        if self.peek.kind in ("op", "word") and self.peek.text in texts:
            return self.take()
        return None

    def expect(self, text: str) -> Token:
        token = self.accept(text)
        if token is None:
            raise FormulaError(
                f"expected {text!r}, found {self.peek.text or 'the end'!r}", self.peek.column
            )
        return token

    def node(self, node: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FormulaError(f"formula too large (more than {MAX_NODES} parts)")
        return node

    def parse(self) -> Node:
        tree = self.expr()
        if self.peek.kind != "end":
            raise FormulaError(f"unexpected {self.peek.text!r}", self.peek.column)
        return tree

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(
                f"formula nested too deeply (more than {MAX_DEPTH} levels)", self.peek.column
            )
        try:
            return self.boolean("or", lambda: self.boolean("and", self.negation))
        finally:
            self.depth -= 1

    def boolean(self, op: str, operand: Callable[[], Node]) -> Node:
        left = operand()
        while self.accept(op):
            left = self.node(Binary(op, left, operand()))
        return left

    def negation(self) -> Node:
        if self.accept("not"):
            return self.node(Unary("not", self.nested(self.negation)))
        return self.compare()

    def nested(self, rule: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(
                f"formula nested too deeply (more than {MAX_DEPTH} levels)", self.peek.column
            )
        try:
            return rule()
        finally:
            self.depth -= 1

    def compare(self) -> Node:
        left = self.sum()
        token = self.accept(*COMPARISONS)
        if token:
            left = self.node(Binary(token.text, left, self.sum()))
            if self.peek.text in COMPARISONS:
                raise FormulaError(
                    "chained comparisons are not allowed; use 'and'", self.peek.column
                )
        return left

    def sum(self) -> Node:
        left = self.product()
        while token := self.accept("+", "-"):
            left = self.node(Binary(token.text, left, self.product()))
        return left

    def product(self) -> Node:
        left = self.unary()
        while token := self.accept("*", "/"):
            left = self.node(Binary(token.text, left, self.unary()))
        return left

    def unary(self) -> Node:
        token = self.accept("-", "+")
        if token:
            return self.node(Unary(token.text, self.nested(self.unary)))
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        token = self.accept("^", "**")
        if token is None:
            return base
        exponent = self.nested(self.unary)
        _check_constant_exponent(exponent, token.column)
        return self.node(Binary("^", base, exponent))

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "number":
            value = float(token.text)
            if not value <= MAX_MAGNITUDE:
                raise FormulaError(f"number {token.text} too large", token.column)
            if self.accept("%"):
                value /= 100
            return self.node(Num(value))
        if token.kind == "string":
            if len(token.text) - 2 > MAX_STRING:
                raise FormulaError(f"text longer than {MAX_STRING} characters", token.column)
            return self.node(Text(token.text[1:-1]))
        if token.kind == "word":
            return self.word(token)
        if token.text == "(":
            if self.peek.text == ")":
                raise FormulaError("empty parentheses", token.column)
            inner = self.expr()
            self.expect(")")
            return inner
        found = repr(token.text) if token.text else "end of the formula"
        raise FormulaError(f"unexpected {found}", token.column)

    def word(self, token: Token) -> Node:
        if token.text in ("true", "false"):
            return self.node(Num(1.0 if token.text == "true" else 0.0))
        if token.text in KEYWORDS:
            raise FormulaError(f"unexpected {token.text!r}", token.column)
        path = [token.text]
        while self.accept("."):
            part = self.take()
            if part.kind != "word":
                raise FormulaError(
                    "a dot must be followed by a name (no attribute access)", part.column
                )
            path.append(part.text)
        if self.peek.text == "(":
            return self.call(path, token)
        if len(path) == 1 and path[0] in FUNCTIONS:
            raise FormulaError(f"{path[0]} is a function; call it as {path[0]}(...)", token.column)
        return self.node(Name(tuple(path)))

    def call(self, path: list[str], token: Token) -> Node:
        name = ".".join(path)
        if name not in FUNCTIONS:
            raise FormulaError(
                f"unknown function {name!r} (known: {', '.join(FUNCTIONS)})", token.column
            )
        self.expect("(")
        args: list[Node] = []
        if not self.accept(")"):
            args.append(self.expr())
            while self.accept(","):
                args.append(self.expr())
            self.expect(")")
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            wanted = str(low) if low == high else f"{low} to {high}"
            raise FormulaError(f"{name}() takes {wanted} arguments, got {len(args)}", token.column)
        return self.node(Call(name, tuple(args)))


def _check_constant_exponent(exponent: Node, column: int) -> None:
    """Reject a too-large exponent when it is known without data (``9**9**9``)."""
    if any(isinstance(n, Name) for n in walk(exponent)):
        return
    value = evaluate(exponent, lambda name: None)
    if isinstance(value, int | float) and abs(value) > MAX_EXPONENT:
        raise FormulaError(f"exponent {value:g} too large (at most {MAX_EXPONENT})", column)


def walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Unary):
        yield from walk(node.operand)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)


def parse(text: str) -> Node:
    """The syntax tree of a formula; FormulaError names the problem and its column."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("empty formula")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula too long ({len(text)} characters, at most {MAX_LENGTH})")
    return _Parser(text).parse()


def names(tree: Node) -> list[Name]:
    """Every name the formula reads, in order of appearance, without repeats."""
    seen: dict[str, Name] = {}
    for node in walk(tree):
        if isinstance(node, Name):
            seen.setdefault(node.dotted, node)
    return list(seen.values())


# ---------------------------------------------------------------- evaluation

Value = float | bool | str | None
Lookup = Callable[[Name], Value]


def evaluate(tree: Node, lookup: Lookup) -> Value:
    """The value of a formula; ``lookup`` resolves names. None (missing) propagates."""
    if isinstance(tree, Num):
        return tree.value
    if isinstance(tree, Text):
        return tree.value
    if isinstance(tree, Name):
        return lookup(tree)
    if isinstance(tree, Unary):
        return _unary(tree.op, evaluate(tree.operand, lookup))
    if isinstance(tree, Binary):
        return _binary(tree, lookup)
    return _call(tree, lookup)


def _unary(op: str, value: Value) -> Value:
    if value is None:
        return None
    if op == "not":
        return not value
    number = _number(value, op)
    return -number if op == "-" else number


def _binary(tree: Binary, lookup: Lookup) -> Value:
    left = evaluate(tree.left, lookup)
    if tree.op in ("and", "or"):
        if left is not None and bool(left) == (tree.op == "or"):
            return bool(left)
        right = evaluate(tree.right, lookup)
        return None if left is None or right is None else bool(right)
    right = evaluate(tree.right, lookup)
    if left is None or right is None:
        return None
    if tree.op in ("==", "!="):
        same = left == right if isinstance(left, str) == isinstance(right, str) else False
        return same if tree.op == "==" else not same
    if tree.op in COMPARISONS:
        return _compare(tree.op, _number(left, tree.op), _number(right, tree.op))
    return _arithmetic(tree.op, _number(left, tree.op), _number(right, tree.op))


def _compare(op: str, a: float, b: float) -> bool:
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _arithmetic(op: str, a: float, b: float) -> float | None:
    if op == "/":
        if b == 0:
            return None  # the payslip says an input made a division by zero
        result = a / b
    elif op == "^":
        if abs(b) > MAX_EXPONENT:
            raise FormulaError(f"exponent {b:g} too large (at most {MAX_EXPONENT})")
        if a == 0 and b < 0:
            return None
        result = a**b
        if isinstance(result, complex):
            raise FormulaError(f"{a:g} ^ {b:g} is not a real number")
    else:
        result = {"+": a + b, "-": a - b, "*": a * b}[op]
    if not math.isfinite(result) or abs(result) > MAX_MAGNITUDE:
        raise FormulaError(f"result {a:g} {op} {b:g} too large (at most {MAX_MAGNITUDE:g})")
    return float(result)


def _call(tree: Call, lookup: Lookup) -> Value:
    if tree.function == "if":
        condition = evaluate(tree.args[0], lookup)
        if condition is None:
            return None
        return evaluate(tree.args[1] if condition else tree.args[2], lookup)
    values = [evaluate(a, lookup) for a in tree.args]
    if any(v is None for v in values):
        return None
    numbers = [_number(v, tree.function) for v in values]
    if tree.function == "min":
        return min(numbers)
    if tree.function == "max":
        return max(numbers)
    if tree.function == "abs":
        return abs(numbers[0])
    digits = int(numbers[1]) if len(numbers) > 1 else 0
    if not 0 <= digits <= 6:
        raise FormulaError("round() keeps 0 to 6 digits")
    return round_half_up(numbers[0], digits)


def _number(value: Value, op: str) -> float:
    if isinstance(value, str):
        raise FormulaError(
            f"text {value!r} cannot be used with {op!r}; only == and != compare text"
        )
    return float(value)  # type: ignore[arg-type]


def round_half_up(value: float, digits: int) -> float:
    """Money rounding as written in decimal (2.675 → 2.68, 0.125 → 0.13), not Python's
    round-half-even on the binary float."""
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return float(exact) + 0.0  # + 0.0 turns -0.0 into 0.0 on the payslip


# ---------------------------------------------------------------- compiled formulas


@dataclass(frozen=True)
class Formula:
    """A parsed formula and where it was written (for error messages)."""

    text: str
    tree: Node = field(repr=False)
    file: str | None = None
    line: int | None = None
    field: str | None = None

    @property
    def names(self) -> list[Name]:
        return names(self.tree)

    def evaluate(self, lookup: Lookup) -> Value:
        try:
            return evaluate(self.tree, lookup)
        except FormulaError as exc:
            raise ConfigError(
                f"formula {self.text!r}: {exc}", file=self.file, line=self.line, field=self.field
            ) from None


def compile_formula(
    text: str, file: str | None = None, line: int | None = None, field: str | None = None
) -> Formula:
    """Parse ``text``; a mistake raises ConfigError naming the file, line and field."""
    try:
        return Formula(text, parse(text), file, line, field)
    except FormulaError as exc:
        raise ConfigError(
            f"formula {_clip(text)!r}: {exc}", file=file, line=line, field=field
        ) from None


def _clip(text: Any) -> str:
    text = str(text)
    return text if len(text) <= 60 else text[:57] + "..."
