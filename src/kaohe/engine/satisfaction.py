"""Satisfaction metrics (spec: metrics.md, "Satisfaction").

Ratings are stored with the platforms' labels mapped to levels 1–5 (schema.RATING_LEVELS:
非常满意 5, 满意 4, 一般 3, 失望/不满意 2, 非常不满意 1), so one definition serves every
scale: 快手's 满意/一般/失望 are 4/3/2, and level ≥ 4 over all ratings is exactly 快手's
满意 / (满意 + 一般 + 失望).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from kaohe.engine.blocks import with_platform
from kaohe.engine.registry import (
    Metric,
    Part,
    SourceDef,
    count,
    counting,
    counting_rows,
    ratio,
    register,
    register_source,
)
from kaohe.engine.workload import RECEIVED

SECTION = "Satisfaction"
RATINGS = "ratings_given"


def _ratings(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    r = blocks.table("ratings")
    # rating_key and time: so the rows a part flags name their rating (kaohe.engine.rows)
    r = r.select(
        "agent",
        "shop",
        "buyer",
        "reason",
        "source",
        "rating_key",
        "time",
        level=r.level.cast("int64"),
        day=r.time.date(),
    )
    return with_platform(r, blocks)


register_source(SourceDef(RATINGS, _ratings, tables=("ratings", "messages", "orders")))


def _attitude(t: ir.Table, p: Mapping[str, Any]) -> Any:
    return (t.level <= 3) & t.reason.fill_null("").contains(str(p["attitude_reason"]))


ALL = counting_rows("ratings", RATINGS)
GOOD = counting("good", RATINGS, lambda t, p: t.level >= 4)
MID_BAD = counting("mid_bad", RATINGS, lambda t, p: t.level <= 3)


def _m(
    id: str,
    zh: str,
    en: str,
    unit: str,
    direction: str,
    parts: tuple[Part, ...],
    value: Any,
    formula: str,
    source: str = "metrics.md",
    **params: Any,
) -> Metric:
    return Metric(
        id,
        zh,
        en,
        unit,
        direction,
        "rating",
        parts,
        value,
        formula,
        params=params,
        section=SECTION,
        source=source,
    )


register(
    _m(
        "ratings",
        "评价量",
        "Ratings",
        "count",
        "neutral",
        (ALL,),
        count("ratings"),
        "ratings received (dated by rating time)",
    ),
    _m(
        "good_rate",
        "好评率",
        "Good rating rate",
        "ratio",
        "higher",
        (GOOD, ALL),
        ratio("good", "ratings"),
        "ratings with level ≥ 4 / ratings (快手: 满意 / (满意 + 一般 + 失望), since 满意 = 4, "
        "一般 = 3, 失望 = 2); dated by rating time",
        source="快手 客服好评率 (seed 003)",
    ),
    _m(
        "satisfaction_rate",
        "满意度",
        "Satisfaction rate",
        "ratio",
        "higher",
        (GOOD, ALL),
        ratio("good", "ratings"),
        "(非常满意 + 满意) / ratings, i.e. level ≥ 4 / ratings; dated by rating time",
        source="京东 售后满意度 (seeds 000, 004)",
    ),
    _m(
        "bad_ratings",
        "差评量",
        "Bad ratings",
        "count",
        "lower",
        (counting("bad", RATINGS, lambda t, p: t.level <= 2),),
        count("bad"),
        "ratings with level ≤ 2 (不满意, 失望, 非常不满意); dated by rating time",
    ),
    _m(
        "bad_attitude_rate",
        "服务态度差中差评率",
        "Bad-attitude share of poor ratings",
        "ratio",
        "lower",
        (counting("attitude", RATINGS, _attitude), MID_BAD),
        ratio("attitude", "mid_bad"),
        "ratings with level ≤ 3 whose reason contains `attitude_reason` / ratings with "
        "level ≤ 3 (快手: 一般 or 失望 because of 服务态度差, ≤ 6 % a month); dated by rating "
        "time",
        source="快手 服务态度差中差评率 (seed 003)",
        attitude_reason="服务态度差",
    ),
    Metric(
        "invite_rate",
        "评价发送率",
        "Rating invitation rate",
        "ratio",
        "higher",
        "rating / buyer-day",
        (counting("invited", RATINGS, lambda t, p: t.source == "invited"), RECEIVED),
        ratio("invited", "received_buyers"),
        "ratings with source invited (客服邀评) / received_buyers. The data model has no "
        "log of invitations sent, only of ratings that came from one, so this is a lower "
        "bound of invitations sent / received buyers (null without received buyers)",
        section=SECTION,
        source="metrics.md",
    ),
)
