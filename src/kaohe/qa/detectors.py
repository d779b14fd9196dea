"""Text detectors: phrases with exceptions, validated identifiers, buyer advertising.

Each detector takes a frame of ``_i`` (row id) and ``text`` and returns its hits as
``_i, start, end, matched`` (character offsets into the text), one row per hit. Work is
vectorised with Polars: a cheap Aho-Corasick or regex filter first, spans and validation
only on the few rows that pass it. Rule-pack regexes run in Polars' Rust engine, which is
linear-time, so they need no time limit (kaohe.saferegex bounds Python-side matching).
"""

from __future__ import annotations

import re

import polars as pl

from kaohe.qa.rules import AdParams, PatternParams, PhraseParams

HIT_SCHEMA = {"_i": pl.UInt32, "start": pl.UInt32, "end": pl.UInt32, "matched": pl.Utf8}
TEXT = pl.col("text")

# A number token: a maximal run of digits (hyphens inside, an X at the end for ID cards)
# with the price marks around it, so that ¥13800138000 or 13800138000元 can be told apart.
NUM = r"(?:[¥￥$]\s?)?\d+(?:-\d+)*[Xx]?(?:\.\d+)?(?:\s?[元块])?"
CARD_SPACED = r"\d{4}(?: \d{4}){3}(?: \d{1,3})?"
WECHAT = (
    r"(?i)(?:加|添加|联系|私聊|搜)(?:我|你|一下|下)?的?(?:微信|薇信|威信|vx|v信|wx|weixin)"
    r"|(?:微信|薇信|威信|vx|v信|wx)(?:号|id)?\s*[:：是为]?\s*[a-z0-9][-_a-z0-9]{5,19}"
    r"|加[vV][:：\s]?[a-zA-Z0-9_-]{5,}"
)
QQ = r"(?i)(?:qq|扣扣)(?:号)?\s*[:：是为]?\s*[1-9]\d{4,11}|加(?:我|你)?的?(?:qq|扣扣)"
PAYMENT = (
    r"收款码|收款二维码|二维码(?:付款|支付|转账)|扫码(?:付款|转账)"
    r"|支付宝(?:账号|帐号|账户|号|转账)"
    r"|(?:转账|打款|汇款)(?:到|给)(?:我|我们)|私下(?:交易|转账|付款)|线下(?:交易|转账)"
    r"|(?:微信|支付宝)转(?:账)?(?:给|到)我|不走平台|绕过平台"
)
LINK = r"(?i)https?://[^\s，。；！？]+|www\.[^\s，。；！？]+|(?:t\.cn|dwz\.cn|url\.cn)/[^\s，。；！？]+"
BANK_CUES = ["银行", "卡号", "转账", "汇款", "打款", "账号", "帐号", "账户"]
REGEX_KINDS = {"wechat": WECHAT, "qq": QQ, "payment": PAYMENT, "link": LINK}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def empty_hits() -> pl.DataFrame:
    return pl.DataFrame(schema=HIT_SCHEMA)


def _spans(frame: pl.DataFrame, rx: str) -> pl.DataFrame:
    """Every match of ``rx`` in ``text`` with character offsets (not the bytes of str.find)."""
    if frame.is_empty():
        return empty_hits()
    # Successive lazy pieces "gap + match" tile the text, so a running length gives offsets.
    pieces = (
        frame.select("_i", TEXT.str.extract_all(f"(?s).*?(?:{rx})").alias("p"))
        .explode("p")
        .drop_nulls("p")
    )
    parts = pl.col("p").str.extract_groups(f"(?s)^(.*?)({rx})$")
    out = pieces.with_columns(
        (pl.col("p").str.len_chars().cum_sum().over("_i") - pl.col("p").str.len_chars()).alias(
            "_off"
        ),
        parts.alias("g"),
    )
    start = pl.col("_off") + pl.col("g").struct.field("1").str.len_chars()
    matched = pl.col("g").struct.field("2")
    return out.select(
        pl.col("_i").cast(pl.UInt32),
        start.cast(pl.UInt32).alias("start"),
        (start + matched.str.len_chars()).cast(pl.UInt32).alias("end"),
        matched.alias("matched"),
    )


def _first_span(frame: pl.DataFrame, rx: str) -> pl.DataFrame:
    """The first match of ``rx`` per row (rows known to match)."""
    g = TEXT.str.extract_groups(f"(?s)^(.*?)({rx})")
    start = g.struct.field("1").str.len_chars()
    matched = g.struct.field("2")
    return frame.select(
        pl.col("_i").cast(pl.UInt32),
        start.cast(pl.UInt32).alias("start"),
        (start + matched.str.len_chars()).cast(pl.UInt32).alias("end"),
        matched.alias("matched"),
    ).drop_nulls("matched")


def _alternation(phrases: list[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))


def _without(frame: pl.DataFrame, exceptions: list[str]) -> pl.DataFrame:
    return frame.filter(~TEXT.str.contains_any(exceptions)) if exceptions else frame


# ---------------------------------------------------------------- phrases

PUNCT = r"[\s\p{P}\p{S}]"


def phrase_hits(frame: pl.DataFrame, p: PhraseParams) -> pl.DataFrame:
    """Phrases and regular expressions inside the message (first occurrence) and
    whole-message phrases."""
    out = [empty_hits()]
    if p.phrases:
        inside = _without(frame.filter(TEXT.str.contains_any(p.phrases)), p.exceptions)
        out.append(_first_span(inside, _alternation(p.phrases)))
    for rx in p.regex:
        out.append(_first_span(_without(frame.filter(TEXT.str.contains(rx)), p.exceptions), rx))
    if p.whole:
        limit = 3 * max(len(w) for w in p.whole) + 24  # bytes: longer texts cannot equal
        short = frame.filter(TEXT.str.len_bytes() <= limit)
        bare = TEXT.str.replace_all(PUNCT, "")
        whole = _without(short.filter(bare.is_in(p.whole)), p.exceptions)
        out.append(
            whole.select(
                pl.col("_i").cast(pl.UInt32),
                pl.lit(0, pl.UInt32).alias("start"),
                TEXT.str.len_chars().cast(pl.UInt32).alias("end"),
                TEXT.alias("matched"),
            )
        )
    return pl.concat(out).unique("_i", keep="first", maintain_order=True)


# ---------------------------------------------------------------- validated identifiers


def _digit(s: pl.Expr, i: int) -> pl.Expr:
    return s.str.slice(i, 1).str.to_integer(strict=False).fill_null(0)


def luhn_ok(digits: pl.Expr) -> pl.Expr:
    """Luhn check of a digit string (up to 19 digits)."""
    rev = digits.str.reverse()
    total = pl.lit(0)
    for i in range(19):
        d = _digit(rev, i)
        total = total + (d if i % 2 == 0 else (d * 2) - pl.when(d * 2 > 9).then(9).otherwise(0))
    return (total % 10) == 0


def id_card_ok(token: pl.Expr) -> pl.Expr:
    """An 18-character mainland ID number: plausible birth date and the ISO 7064 check."""
    total = pl.lit(0)
    for i, w in enumerate(ID_WEIGHTS):
        total = total + _digit(token, i) * w
    check = (total % 11).replace_strict(dict(enumerate(ID_CHECK)), return_dtype=pl.Utf8)
    year = token.str.slice(6, 4).str.to_integer(strict=False)
    month = token.str.slice(10, 2).str.to_integer(strict=False)
    day = token.str.slice(12, 2).str.to_integer(strict=False)
    return (
        token.str.contains(r"^\d{17}[\dXx]$")
        & (check == token.str.slice(17, 1).str.to_uppercase())
        & year.is_between(1900, 2099)
        & month.is_between(1, 12)
        & day.is_between(1, 31)
    )


def _numbers(frame: pl.DataFrame, min_digits: int) -> pl.DataFrame:
    cand = frame.filter(TEXT.str.contains(rf"\d{{{min_digits}}}"))
    return _spans(cand, NUM)


def _plain(matched: pl.Expr) -> pl.Expr:
    """A token without price marks (¥, 元, a decimal point)."""
    return ~matched.str.contains(r"[¥￥$元块.]")


def phone_hits(frame: pl.DataFrame) -> pl.DataFrame:
    """Mainland mobile numbers, not a longer digit run and not a price."""
    toks = _numbers(frame, 11)
    return toks.filter(
        _plain(pl.col("matched")) & pl.col("matched").str.contains(r"^1[3-9]\d-?\d{4}-?\d{4}$")
    )


def id_card_hits(frame: pl.DataFrame) -> pl.DataFrame:
    toks = _numbers(frame, 17)
    return toks.filter(_plain(pl.col("matched")) & id_card_ok(pl.col("matched")))


def bank_card_hits(frame: pl.DataFrame) -> pl.DataFrame:
    """16–19 digits passing Luhn, in a message about a bank or a transfer (an order number
    passes Luhn one time in ten, so the cue keeps them out)."""
    cued = frame.filter(TEXT.str.contains_any(BANK_CUES))
    toks = pl.concat(
        [_numbers(cued, 16), _spans(cued.filter(TEXT.str.contains(CARD_SPACED)), CARD_SPACED)]
    )
    digits = pl.col("matched").str.replace_all(r"[ -]", "")
    return toks.filter(
        _plain(pl.col("matched")) & digits.str.contains(r"^\d{16,19}$") & luhn_ok(digits)
    ).unique(["_i", "start"], maintain_order=True)


def kind_hits(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    if kind == "phone":
        return phone_hits(frame)
    if kind == "id_card":
        return id_card_hits(frame)
    if kind == "bank_card":
        return bank_card_hits(frame)
    rx = REGEX_KINDS[kind]
    return _spans(frame.filter(TEXT.str.contains(rx)), rx)


def pattern_hits(frame: pl.DataFrame, p: PatternParams) -> pl.DataFrame:
    """Identifier kinds and extra regexes; a message with an exception does not fire."""
    frame = _without(frame, p.exceptions)
    parts = [kind_hits(frame, k) for k in p.kinds]
    parts += [_first_span(frame.filter(TEXT.str.contains(rx)), rx) for rx in p.regex]
    hits = pl.concat([empty_hits(), *parts])
    if p.allow:
        hits = hits.filter(
            ~pl.col("matched").str.contains_any(p.allow, ascii_case_insensitive=True)
        )
    return hits.sort("_i", "start").unique("_i", keep="first", maintain_order=True)


# ---------------------------------------------------------------- buyer advertising


def ad_hits(frame: pl.DataFrame, p: AdParams) -> pl.DataFrame:
    """Buyer messages with at least ``min_signals`` signals: distinct spam words plus kinds
    of off-platform contact. One signal (可以加你微信吗) is an ordinary buyer."""
    words = frame.filter(TEXT.str.contains_any(p.phrases)).select(
        "_i", TEXT.str.extract_many(p.phrases).list.n_unique().alias("n")
    )
    kinds = [kind_hits(frame, k).select("_i", pl.lit(1).alias("n")) for k in p.kinds]
    signals = (
        pl.concat(
            [
                words.with_columns(pl.col("_i").cast(pl.UInt32), pl.col("n").cast(pl.Int64)),
                *[k.with_columns(pl.col("n").cast(pl.Int64)) for k in kinds],
            ]
        )
        .group_by("_i")
        .agg(pl.col("n").sum())
        .filter(pl.col("n") >= p.min_signals)
    )
    hit = frame.join(signals.select("_i"), on="_i", how="semi")
    return hit.select(
        pl.col("_i").cast(pl.UInt32),
        pl.lit(0, pl.UInt32).alias("start"),
        TEXT.str.len_chars().cast(pl.UInt32).alias("end"),
        TEXT.alias("matched"),
    )
