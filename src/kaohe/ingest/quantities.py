"""Values written with units, read into the canonical unit of the column or metric.

`8分48秒` → 528 s, `0:05:30` → 330 s, `0.37分钟` → 22.2 s, `7小时41分52秒` → 27,712 s,
`100.00%` → 1, `¥1,234.50` → 1234.5, `1.2万` → 12,000, `12人` → 12. A unit written in the
cell wins over the unit in the header (`平均响应时长(分钟)`), which wins over the unit a preset
declares for a column whose export writes none (拼多多 平均人工响应时长 is in minutes). The
canonical unit of a metric follows its id: `_s` seconds, `_h`/`_hours` hours, `_min`
minutes; every other figure is a plain number (a rate a fraction, 0.853 for 85.3 %).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from kaohe import saferegex

SECONDS = {"毫秒": Decimal("0.001"), "秒": Decimal(1), "分钟": Decimal(60), "小时": Decimal(3600)}
SECONDS["天"] = Decimal(86400)
TIME_WORDS = {
    "毫秒": "毫秒",
    "ms": "毫秒",
    "秒": "秒",
    "s": "秒",
    "分钟": "分钟",
    "分": "分钟",
    "min": "分钟",
    "小时": "小时",
    "时": "小时",
    "h": "小时",
    "天": "天",
}
SCALE = {"万元": Decimal(10000), "万": Decimal(10000), "%": Decimal("0.01")}
COUNT_WORDS = ("人", "次", "个", "单", "件", "笔", "条", "元")
CURRENCY = "¥￥"

_NUMBER = saferegex.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", "number")
_DURATION_PART = saferegex.compile(
    r"(\d+(?:\.\d+)?)(毫秒|ms|小时|分钟|min|天|时|分|秒|h|s)", "duration part"
)
_CLOCK = saferegex.compile(r"(\d{1,4}):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?", "clock duration")


def canonical_unit(name: str) -> str | None:
    """秒, 小时 or 分钟 for a metric id or column named so (`avg_response_s`,
    `refund_duration_h`, `online_hours`), else None (a plain number)."""
    if name.endswith("_s"):
        return "秒"
    if name.endswith(("_h", "_hours")):
        return "小时"
    if name.endswith(("_min", "_minutes")):
        return "分钟"
    return None


class NotAQuantity(ValueError):
    """The text is not a number with an understood unit."""


def _plain(text: str) -> str:
    out = text.replace(",", "").replace("，", "").replace(" ", "").replace("\u3000", "")
    return out.strip(CURRENCY)


def _decimal(text: str) -> Decimal:
    if not _NUMBER.fullmatch(text):
        raise NotAQuantity(text)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise NotAQuantity(text) from None


def _duration_seconds(text: str) -> Decimal | None:
    """Seconds of `8分48秒`, `7小时41分52秒`, `0.37分钟` or `0:05:30`; None if not a duration."""
    clock = _CLOCK.fullmatch(text)
    if clock:
        parts = [Decimal(g) for g in clock.groups() if g is not None]
        if len(parts) == 2:  # m:ss
            return parts[0] * 60 + parts[1]
        return parts[0] * 3600 + parts[1] * 60 + parts[2]
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum((Decimal(n) * SECONDS[TIME_WORDS[u]] for n, u in parts), Decimal(0))


def _from_seconds(seconds: Decimal, target: str | None) -> Decimal:
    return seconds / SECONDS[target] if target in SECONDS else seconds


def parse_quantity(text: str, target: str | None = None, header_unit: str | None = None) -> Decimal:
    """The value of `text` in the `target` unit (秒, 分钟, 小时 or None for a plain number);
    `header_unit` is the unit stated by the header or the preset when the cell states none.
    Raises NotAQuantity for text that is no number."""
    plain = _plain(text)
    if not plain:
        raise NotAQuantity(text)
    seconds = _duration_seconds(plain)
    if seconds is not None and not _NUMBER.fullmatch(plain):
        return _from_seconds(seconds, target)
    for suffix, factor in SCALE.items():
        if plain.endswith(suffix) and plain != suffix:
            number = plain[: -len(suffix)].rstrip("元")
            return _decimal(number.strip(CURRENCY)) * factor
    for word in COUNT_WORDS:
        if plain.endswith(word) and plain != word:
            plain = plain[: -len(word)]
            break
    value = _decimal(plain)
    if header_unit in SECONDS:
        return _from_seconds(value * SECONDS[header_unit], target)
    if header_unit in SCALE:
        return value * SCALE[header_unit]
    return value


def format_decimal(value: Decimal) -> str:
    """Shortest plain text of a value: 22.2, 528, 0.853 (never 5.28E+2 or -0)."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
