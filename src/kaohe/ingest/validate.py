"""Type and check a canonical all-text frame, vectorised with polars expressions.

`validate` returns the typed rows that pass and one reject per failing (row, column) with a
bilingual reason; a rejected row does not import, the rest of the file does.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from kaohe import schema
from kaohe.ingest.limits import DEFAULT_LIMITS, ImportLimits
from kaohe.schema import Column, Table

ROW = "_row"
REJECT_SCHEMA = {"row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}

R_MISSING = "缺少必填值 / missing required value"
R_TIME = "无法解析的时间 / unparsable time"
R_DATE = "无法解析的日期 / unparsable date"
R_AMOUNT = "无法解析的金额 / unparsable amount"
R_NUMBER = "无法解析的数字 / unparsable number"
R_BOOL = "无法识别的是/否值 / unknown boolean"
R_ENUM = "未知的枚举值 / unknown label"
R_ORDER = "结束早于开始 / end before start"
R_PAID = "付款早于下单 / paid before created"
R_NEGATIVE = "金额为负 / negative amount"
R_AMOUNT_PAID = "已付款订单缺少金额 / amount required when paid"
R_AGENT = "客服消息缺少客服 / agent required on agent rows"
R_TOO_LONG = "值过长 / value too long"

# free-text columns, allowed ImportLimits.max_text_chars; every other text column (ids, names,
# labels) max_value_chars: a 2 MB key would not even fit DuckDB's index (122,880 bytes)
LONG_TEXT_COLUMNS = {"text", "comment", "reason", "category", "result"}

# required columns whose value may be empty (the message text of an image, say)
MAY_BE_EMPTY = {("messages", "text")}

DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
)
OFFSET_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z")
EXCEL_EPOCH_MS = -2209161600000  # 1899-12-30 00:00:00, the Excel serial-date epoch
SERIAL_RE = r"^\d{5}(\.\d+)?$"
SERIAL_MIN, SERIAL_MAX = 20000, 80000  # 1954-10-03 .. 2119-01-10: a plausible date
NUMBER_RE = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
INT_RE = r"^[+-]?\d+(\.0*)?$"
AMOUNT_STRIP = r"[¥￥,，元\s]"


def clean(name: str) -> pl.Expr:
    """Trimmed text; empty becomes null."""
    text = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text).alias(name)


def parse_excel_serial(text: pl.Expr) -> pl.Expr:
    """Excel serial date numbers (days since 1899-12-30) as datetime, rounded to seconds."""
    is_serial = text.str.contains(SERIAL_RE).fill_null(False)
    days = pl.when(is_serial).then(text).otherwise(None).cast(pl.Float64, strict=False)
    secs = (days * 86400.0).round(0).cast(pl.Int64)
    millis = secs * 1000 + EXCEL_EPOCH_MS
    return (
        pl.when((days >= SERIAL_MIN) & (days < SERIAL_MAX))
        .then(millis)
        .otherwise(None)
        .cast(pl.Datetime("ms"))
        .cast(pl.Datetime("us"))
    )


def parse_time(text: pl.Expr, zone: str) -> pl.Expr:
    """Every accepted time form as naive local time in `zone`."""
    naive = [text.str.strptime(pl.Datetime("us"), f, strict=False) for f in DATETIME_FORMATS]
    aware = [
        text.str.strptime(pl.Datetime("us", "UTC"), f, strict=False)
        .dt.convert_time_zone(zone)
        .dt.replace_time_zone(None)
        for f in OFFSET_FORMATS
    ]
    return pl.coalesce([*naive, *aware, parse_excel_serial(text)])


def parse_date(text: pl.Expr, zone: str) -> pl.Expr:
    return parse_time(text, zone).dt.date()


def parse_time_series(text: pl.Series, zone: str) -> pl.Series:
    """`parse_time` on a series, fast: the common form first, the others only where it
    failed (each strptime over a million rows costs; most files use one form)."""
    out = text.str.strptime(pl.Datetime("us"), DATETIME_FORMATS[0], strict=False)
    todo = (out.is_null() & text.is_not_null()).arg_true()
    if todo.len() == 0:
        return out
    rest = pl.DataFrame({"t": text.gather(todo)}).select(parse_time(pl.col("t"), zone))
    return out.scatter(todo, rest.to_series())


def parse_amount(text: pl.Expr) -> pl.Expr:
    """Yuan with two decimals; ¥, commas, 元 and spaces are stripped."""
    plain = text.str.replace_all(AMOUNT_STRIP, "")
    ok = plain.str.contains(NUMBER_RE).fill_null(False)
    exact = pl.when(ok).then(plain).otherwise(None).cast(pl.Decimal(38, 6), strict=False)
    half = pl.lit(Decimal("0.005"), pl.Decimal(38, 6))
    rounded = pl.when(exact < 0).then(exact - half).otherwise(exact + half)  # half up
    return rounded.cast(pl.Decimal(14, 2), strict=False)


def parse_int(text: pl.Expr) -> pl.Expr:
    plain = text.str.replace_all(r"[,\s]", "")
    ok = plain.str.contains(INT_RE).fill_null(False)
    whole = plain.str.replace(r"\.0*$", "")
    return pl.when(ok).then(whole).otherwise(None).cast(pl.Int64, strict=False)


def parse_float(text: pl.Expr) -> pl.Expr:
    plain = text.str.replace_all(r"[,\s]", "")
    ok = plain.str.contains(NUMBER_RE).fill_null(False)
    return pl.when(ok).then(plain).otherwise(None).cast(pl.Float64, strict=False)


def _lookup(labels: dict[str, str]) -> dict[str, str]:
    out = {k.lower(): v for k, v in labels.items()}
    out.update({v.lower(): v for v in labels.values()})
    return out


def parse_enum(text: pl.Expr, labels: dict[str, str]) -> pl.Expr:
    """Canonical value of a label (English case-insensitive); null when unknown."""
    return text.str.to_lowercase().replace_strict(
        _lookup(labels), default=None, return_dtype=pl.String
    )


def parse_bool(text: pl.Expr) -> pl.Expr:
    return text.str.to_lowercase().replace_strict(
        schema.BOOL_LABELS, default=None, return_dtype=pl.Boolean
    )


def parse_column(col: Column, text: pl.Expr, zone: str) -> tuple[pl.Expr, str | None]:
    """The typed expression and the reason used when a set value does not parse."""
    if col.kind == "time":
        return parse_time(text, zone), R_TIME
    if col.kind == "date":
        return parse_date(text, zone), R_DATE
    if col.kind == "amount":
        return parse_amount(text), R_AMOUNT
    if col.kind == "int":
        return parse_int(text), R_NUMBER
    if col.kind == "float":
        return parse_float(text), R_NUMBER
    if col.kind == "bool":
        return parse_bool(text), R_BOOL
    if col.kind == "enum":
        return parse_enum(text, col.labels or {}), R_ENUM
    return text, None


def _reason_name(name: str) -> str:
    return f"__reason_{name}"


def _typed_name(name: str) -> str:
    return f"__typed_{name}"


def max_chars(col: Column, limits: ImportLimits) -> int:
    """The longest value column `col` takes (see LONG_TEXT_COLUMNS)."""
    return limits.max_text_chars if col.name in LONG_TEXT_COLUMNS else limits.max_value_chars


def over_long_columns(
    frame: pl.DataFrame, cols: list[Column], limits: ImportLimits
) -> frozenset[str]:
    """Columns holding a value longer than their limit; found by byte length first, which
    is cheap and never shorter than the length in characters."""
    names = [c.name for c in cols if frame.schema[c.name] == pl.String]
    if not names or frame.is_empty():
        return frozenset()
    longest = frame.select(pl.col(n).str.len_bytes().max() for n in names).row(0)
    by_name = {c.name: c for c in cols}
    return frozenset(
        n
        for n, top in zip(names, longest, strict=True)
        if (top or 0) > max_chars(by_name[n], limits)
    )


def _column_reason(
    table: Table,
    col: Column,
    zone: str,
    limits: ImportLimits = DEFAULT_LIMITS,
    long_columns: frozenset[str] = frozenset(),
) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, reason or null) for one column present in the frame."""
    text = clean(col.name)
    typed, bad = parse_column(col, text, zone)
    if col.kind in ("time", "date"):  # parsed beforehand by _pre_parse
        typed = pl.col(_typed_name(col.name))
        typed = typed.dt.date() if col.kind == "date" else typed
    reason = pl.lit(None, pl.String)
    if col.name in long_columns:
        limit = max_chars(col, limits)
        reason = (
            pl.when((text.str.len_chars() > limit).fill_null(False))
            .then(pl.lit(f"{R_TOO_LONG}（上限 {limit:,} 字符 / limit {limit:,} characters）"))
            .otherwise(reason)
        )
    if col.required and (table.name, col.name) not in MAY_BE_EMPTY:
        reason = (
            pl.when(reason.is_null() & text.is_null()).then(pl.lit(R_MISSING)).otherwise(reason)
        )
    if bad is not None:
        reason = (
            pl.when(reason.is_null() & text.is_not_null() & typed.is_null())
            .then(pl.lit(bad))
            .otherwise(reason)
        )
    if col.kind == "amount":
        reason = (
            pl.when(reason.is_null() & (typed < 0).fill_null(False))
            .then(pl.lit(R_NEGATIVE))
            .otherwise(reason)
        )
    return typed, reason


def _add_reason(frame: pl.DataFrame, name: str, failed: pl.Expr, reason: str) -> pl.DataFrame:
    """Set `reason` on column `name` where `failed` and the column has no reason yet."""
    rcol = _reason_name(name)
    current = pl.col(rcol) if rcol in frame.columns else pl.lit(None, pl.String)
    expr = pl.when(current.is_null() & failed.fill_null(False)).then(pl.lit(reason))
    return frame.with_columns(expr.otherwise(current).alias(rcol))


def _ordered_rules(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """A later time before its earlier one (paid before created, end before start)."""
    present = set(frame.columns)
    for earlier, later in table.ordered:
        if _typed_name(earlier) in present and _typed_name(later) in present:
            failed = pl.col(_typed_name(later)) < pl.col(_typed_name(earlier))
            reason = R_PAID if (earlier, later) == ("created_at", "paid_at") else R_ORDER
            frame = _add_reason(frame, later, failed, reason)
    return frame


def _conditional_rules(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """Orders: amount when paid. Messages: agent on agent rows."""
    rules = {
        "orders": ("paid_at", "amount", R_AMOUNT_PAID),
        "messages": ("sender", "agent", R_AGENT),
    }
    if table.name not in rules or _typed_name(rules[table.name][0]) not in frame.columns:
        return frame
    when, needed, reason = rules[table.name]
    frame = _ensure(frame, needed)
    condition = pl.col(_typed_name(when))
    condition = condition == "agent" if when == "sender" else condition.is_not_null()
    return _add_reason(frame, needed, condition & pl.col(_typed_name(needed)).is_null(), reason)


def _ensure(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Add an all-null column (raw, typed and reason) that the file did not have."""
    if _typed_name(name) in frame.columns:
        return frame
    return frame.with_columns(
        pl.lit(None, pl.String).alias(name),
        pl.lit(None, pl.String).alias(_typed_name(name)),
        pl.lit(None, pl.String).alias(_reason_name(name)),
    )


def _collect_rejects(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    parts = [
        frame.filter(pl.col(_reason_name(n)).is_not_null()).select(
            pl.col(ROW).cast(pl.Int64).alias("row"),
            pl.lit(n).alias("column"),
            pl.col(n).cast(pl.String).alias("value"),
            pl.col(_reason_name(n)).alias("reason"),
        )
        for n in names
        if _reason_name(n) in frame.columns
    ]
    if not parts:
        return pl.DataFrame(schema=REJECT_SCHEMA)
    return pl.concat(parts).sort("row", "column")


def _pre_parse(frame: pl.DataFrame, cols: list[Column], zone: str) -> pl.DataFrame:
    """Time and date columns, parsed series-wise (see `parse_time_series`)."""
    times = [c.name for c in cols if c.kind in ("time", "date")]
    if not times:
        return frame
    texts = frame.select(clean(n) for n in times)
    return frame.with_columns(
        parse_time_series(texts[n], zone).alias(_typed_name(n)) for n in times
    )


def validate(
    table: Table,
    frame: pl.DataFrame,
    zone: str = "Asia/Shanghai",
    limits: ImportLimits = DEFAULT_LIMITS,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(typed rows that pass, rejects[row, column, value, reason])."""
    cols = [c for c in table.columns if c.name in frame.columns]
    long_columns = over_long_columns(frame, cols, limits)
    frame = _pre_parse(frame, cols, zone)
    exprs: list[pl.Expr] = []
    for col in cols:
        typed, reason = _column_reason(table, col, zone, limits, long_columns)
        exprs += [typed.alias(_typed_name(col.name)), reason.alias(_reason_name(col.name))]
    work = frame.with_columns(exprs)
    work = _conditional_rules(table, _ordered_rules(table, work))
    names = [c.name for c in table.columns]
    rejects = _collect_rejects(work, names)
    reasons = [pl.col(_reason_name(n)) for n in names if _reason_name(n) in work.columns]
    ok = ~pl.any_horizontal([r.is_not_null() for r in reasons]) if reasons else pl.lit(True)
    keep = [pl.col(ROW).cast(pl.Int64)] + [pl.col(_typed_name(c.name)).alias(c.name) for c in cols]
    typed = work.filter(ok).select(keep)
    if table.name == "ratings" and "level" in frame.columns:
        labels = work.filter(ok).select(clean("level").alias("level_label"))
        typed = typed.with_columns(labels.to_series())
    return typed, rejects
