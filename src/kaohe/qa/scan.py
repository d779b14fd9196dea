"""Running a rule pack's text rules over messages: one finding per (message, rule).

Session rules (repeated_reply, slow_reply, ... listed in
:data:`kaohe.qa.rules.SESSION_DETECTORS`) need sessions and timing: :mod:`kaohe.qa.behaviour`
runs them, and :func:`kaohe.qa.findings.run_pack` stores both.
"""

from __future__ import annotations

import polars as pl

from kaohe.qa import detectors as d
from kaohe.qa.rules import PHRASE_DETECTORS, TEXT_DETECTORS, Pack, Rule, WithdrawnParams

FINDING_SCHEMA = {
    "msg_key": pl.Utf8,
    "shop": pl.Utf8,
    "buyer": pl.Utf8,
    "agent": pl.Utf8,
    "time": pl.Datetime("ms"),
    "rule": pl.Utf8,
    "category": pl.Utf8,
    "severity": pl.Utf8,
    "deduction": pl.Float64,
    "start": pl.UInt32,
    "end": pl.UInt32,
    "matched": pl.Utf8,
}
CONTEXT = ["msg_key", "shop", "buyer", "agent", "time"]


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)


def rule_hits(rule: Rule, frame: pl.DataFrame) -> pl.DataFrame:
    """Hits (``_i, start, end, matched``) of one text rule on a frame of ``_i, text``
    (and ``msg_type`` for withdrawn)."""
    params = rule.parsed()
    if rule.detector in PHRASE_DETECTORS:
        return d.phrase_hits(frame, params)
    if rule.detector == "pattern":
        return d.pattern_hits(frame, params)
    if rule.detector == "ad_buyer":
        return d.ad_hits(frame, params)
    assert isinstance(params, WithdrawnParams)
    hit = frame.filter(pl.col("msg_type").is_in(params.msg_types))
    return hit.select(
        pl.col("_i").cast(pl.UInt32),
        pl.lit(None, pl.UInt32).alias("start"),
        pl.lit(None, pl.UInt32).alias("end"),
        pl.lit(None, pl.Utf8).alias("matched"),
    )


def _prepare(messages: pl.DataFrame) -> pl.DataFrame:
    key = "msg_key" if "msg_key" in messages.columns else "msg_id"
    cols = {c: pl.col(c) if c in messages.columns else pl.lit(None) for c in CONTEXT[1:]}
    extra = (
        [pl.col("msg_type")]
        if "msg_type" in messages.columns
        else [pl.lit("text").alias("msg_type")]
    )
    return messages.select(
        (pl.col(key) if key in messages.columns else pl.lit(None)).cast(pl.Utf8).alias("msg_key"),
        *[e.cast(FINDING_SCHEMA[c]).alias(c) for c, e in cols.items()],
        pl.col("sender").cast(pl.Utf8),
        pl.col("text").cast(pl.Utf8).fill_null(""),
        *extra,
    ).with_row_index("_i")


def scan(messages: pl.DataFrame, pack: Pack) -> pl.DataFrame:
    """Findings of the pack's text rules (phrases, patterns, ad_buyer, withdrawn) on messages
    with sender, text and msg_key (or msg_id), shop, buyer, agent, time, msg_type."""
    rules = pack.active(TEXT_DETECTORS)
    if not rules or messages.is_empty():
        return empty_findings()
    base = _prepare(messages)
    by_scope = {
        s: base.filter(pl.col("sender") == s).select("_i", "text", "msg_type")
        for s in {r.scope for r in rules}
    }
    parts = [empty_findings()]
    for rule in rules:
        hits = rule_hits(rule, by_scope[rule.scope])
        if hits.is_empty():
            continue
        found = hits.join(base.select("_i", *CONTEXT), on="_i", how="left")
        parts.append(
            found.select(
                *CONTEXT,
                pl.lit(rule.id).alias("rule"),
                pl.lit(rule.category).alias("category"),
                pl.lit(rule.severity).alias("severity"),
                pl.lit(float(rule.deduction)).alias("deduction"),
                "start",
                "end",
                "matched",
            ).cast(FINDING_SCHEMA)
        )
    return pl.concat(parts)
