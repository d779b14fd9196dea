"""Quality metrics from the automatic inspection's findings (spec: metrics.md "Quality",
qa.md "Automatic rules"): a session scores 100 minus its deductions (floor 0), a red-line hit
fails it (0). Findings come from `kaohe qa run`; ad/spam findings filter sessions instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis

from kaohe.engine.registry import (
    Direction,
    Metric,
    SourceDef,
    count,
    counting,
    ratio,
    register,
    register_source,
    summing,
)
from kaohe.units import Unit

SECTION = "Quality"
SEVERITIES = ("info", "minor", "major", "redline")


def _findings(blocks: Any, params: Mapping[str, Any]) -> Any:
    """The pack's findings against agents (not the buyer-side spam ones), without those a
    reviewer dismissed as false positives or an accepted appeal took out (kaohe.qa.dismiss)."""
    f = blocks.table("qa_findings")
    f = f.filter(
        (f.pack == str(params["pack"])) & f.agent.notnull() & (f.category.fill_null("") != "spam")
    )
    d = blocks.table("qa_dismissals").select(_pack="pack", _key="msg_key", _rule="rule")
    return f.anti_join(d, [f.pack == d._pack, f.msg_key == d._key, f.rule == d._rule])


def _sessions(blocks: Any, params: Mapping[str, Any]) -> Any:
    """Every session of an agent with its deductions and whether a red line was hit. A
    finding counts against the session it belongs to (the conversation model's session it
    was found in, kaohe.qa.findings: for a slow reply, the one its round started in): the
    session of its agent and thread holding that session's start."""
    s = blocks.get("sessions")
    f = _findings(blocks, params)
    f = f.mutate(_in=ibis.coalesce(f.session_start, f.time))
    j = s.join(
        f,
        [
            s.shop == f.shop,
            s.buyer == f.buyer,
            s.agent == f.agent,
            f._in >= s.start,
            f._in <= s.end,
        ],
    )
    per = j.group_by([j.cid, j.start]).agg(
        _deducted=j.deduction.fill_null(0.0).sum(),
        _redline=(j.severity == "redline").cast("int64").max(),
        _hits=j.rule.count(),
    )
    out = s.left_join(per, ["cid", "start"]).select(*s.columns, "_deducted", "_redline", "_hits")
    score = ibis.ifelse(
        out._redline.fill_null(0) == 1,
        0.0,
        ibis.greatest(0.0, 100.0 - out._deducted.fill_null(0.0)),
    )
    return out.mutate(
        qa_score=score, redline=out._redline.fill_null(0) == 1, hits=out._hits.fill_null(0)
    )


def _hits(blocks: Any, params: Mapping[str, Any]) -> Any:
    f = _findings(blocks, params)
    return f.select(
        "shop",
        "platform",
        "buyer",
        "agent",
        "rule",
        "severity",
        "time",
        "msg_key",
        day=f.time.date(),
    )


def _severity(t: Any, p: Mapping[str, Any]) -> Any:
    chosen = p["severity"]
    if chosen in ("all", None, ""):
        return t.severity.notnull()
    if chosen not in SEVERITIES:
        from kaohe.errors import ConfigError

        raise ConfigError(
            f"severity must be all or one of {', '.join(SEVERITIES)}, got {chosen!r}",
            field="severity",
        )
    return t.severity == chosen


def scored_reviews(blocks: Any) -> Any:
    """qa_review_scores with `counted`: the review's score counts toward IQS — it is no
    calibration (校准) review, no recheck (复核) replaced it (kaohe.qa.review decides both
    when the reviews are scored) and no accepted appeal voided it (qa_review_voids,
    kaohe.qa.appeals: kept apart, so rescoring the reviews never brings it back)."""
    r = blocks.table("qa_review_scores")
    voids = blocks.table("qa_review_voids").select(_void="review_id")
    r = r.left_join(voids, r.review_id == voids._void)
    counted = (
        (r.intent.fill_null("") != "calibration") & r.superseded_by.isnull() & r._void.isnull()
    )
    return r.mutate(counted=counted).drop("_void")


def _reviews(blocks: Any, params: Mapping[str, Any]) -> Any:
    """One row per scored review that counts, dated by its day."""
    r = scored_reviews(blocks)
    r = r.filter(r.counted & r.score.notnull())
    from kaohe.engine.blocks import with_platform

    return with_platform(r.select("agent", "shop", "day", "score", "passed"), blocks)


QA_TABLES = ("qa_findings", "messages", "qa_dismissals")
register_source(
    SourceDef(
        "qa_reviews_scored", _reviews, (), ("qa_review_scores", "messages", "qa_review_voids")
    )
)
register_source(SourceDef("qa_sessions", _sessions, ("pack",), QA_TABLES))
register_source(SourceDef("qa_hits", _hits, ("pack",), QA_TABLES))

SESSIONS = counting("qa_sessions", "qa_sessions", lambda t, p: t.start.notnull())
HITS = counting("qa_hits", "qa_hits", _severity)
PACK = {"pack": "default"}


def _m(
    id: str,
    zh: str,
    en: str,
    unit: Unit,
    direction: Direction,
    grain: str,
    parts: tuple,
    value: Any,
    formula: str,
    **params: Any,
) -> Metric:
    return Metric(
        id,
        zh,
        en,
        unit,
        direction,
        grain,
        parts,
        value,
        formula,
        params={**PACK, **params},
        section=SECTION,
        source="qa.md",
    )


register(
    _m(
        "qa_auto_score",
        "自动质检得分",
        "Automatic QA score",
        "points",
        "higher",
        "session",
        (summing("qa_score_sum", "qa_sessions", lambda t, p: t.qa_score), SESSIONS),
        ratio("qa_score_sum", "qa_sessions"),
        "mean over the agent's sessions of 100 − deductions of `pack`'s findings (floor 0; "
        "a red-line hit → 0); sessions without findings score 100",
    ),
    _m(
        "qa_violations",
        "违规次数",
        "QA violations",
        "count",
        "lower",
        "finding",
        (HITS,),
        count("qa_hits"),
        "automatic QA hits of `pack` (param `severity`: all, info, minor, major, redline)",
        severity="all",
    ),
    _m(
        "qa_violations_per_1k",
        "每千条消息违规数",
        "QA violations per 1,000 messages",
        "per_1k",
        "lower",
        "finding",
        (HITS, counting("agent_messages", "replies", lambda t, p: t.time.notnull())),
        lambda parts, p: (
            None
            if not parts.get("agent_messages")
            else 1000.0 * float(parts.get("qa_hits") or 0) / float(parts["agent_messages"])
        ),
        "qa_violations × 1000 / agent_messages",
        severity="all",
    ),
    Metric(
        "service_score",
        "服务得分（IQS）",
        "Internal quality score (IQS)",
        "points",
        "higher",
        "review",
        (
            summing("review_score_sum", "qa_reviews_scored", lambda t, p: t.score),
            counting("scored_reviews", "qa_reviews_scored", lambda t, p: t.score.notnull()),
        ),
        lambda parts, p: (
            None
            if not parts.get("scored_reviews")
            else 100.0 * float(parts.get("review_score_sum") or 0) / float(parts["scored_reviews"])
        ),
        "100 × the mean review score of the agent's manual reviews, 0–100 like "
        "qa_auto_score (each review: weighted mean of the rated "
        "scorecard categories normalised to 0–1, N/A dropped, a critical category below 50 % "
        "→ 0); calibration reviews (校准) and reviews a recheck (复核) replaced do not count",
        section=SECTION,
        source="qa.md (Zendesk QA IQS)",
    ),
    _m(
        "qa_redline_sessions",
        "红线会话数",
        "Red-line sessions",
        "count",
        "lower",
        "session",
        (counting("qa_redline_sessions", "qa_sessions", lambda t, p: t.redline),),
        count("qa_redline_sessions"),
        "sessions with a red-line hit of `pack`",
    ),
)
