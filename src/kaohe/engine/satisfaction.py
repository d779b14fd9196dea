"""Satisfaction metrics (spec: metrics.md, "Satisfaction").

Ratings are stored with the platforms' labels mapped to levels 1–5 (schema.RATING_LEVELS:
非常满意 5, 满意 4, 一般 3, 失望/不满意 2, 非常不满意 1), so one definition serves every
scale: 快手's 满意/一般/失望 are 4/3/2, and level ≥ 4 over all ratings is exactly 快手's
满意 / (满意 + 一般 + 失望).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from kaohe.engine.blocks import delta_ms, with_platform
from kaohe.engine.registry import (
    Direction,
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
from kaohe.units import Unit

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

REVISIONS = "rating_revisions_made"
FOLLOWED = "bad_ratings_followed"
HOUR_MS = 3_600_000


def _revisions(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """Rating revisions (评价修改记录) dated by revised_at, for the agent who handled them
    (处理客服), else the agent the rating was about."""
    v = blocks.table("rating_revisions")
    r = blocks.table("ratings")
    rated = r.filter(r.rating_id.notnull()).group_by("rating_id").agg(rated_agent=r.agent.max())
    v = v.left_join(rated, "rating_id").select(*v.columns, "rated_agent")
    v = v.select(
        "shop",
        "buyer",
        agent=ibis.coalesce(v.agent, v.rated_agent),
        before=v.level_before.cast("int64"),
        after=v.level_after.cast("int64"),
        day=v.revised_at.date(),
    )
    return with_platform(v, blocks)


def _followed(blocks: Any, params: Mapping[str, Any]) -> ir.Table:
    """Ratings with `followed`: an agent of the shop sent the buyer a valid reply within
    `followup_hours` after the rating, or the rating was revised (评价修改记录)."""
    limit_ms = float(params["followup_hours"]) * HOUR_MS
    r = blocks.table("ratings")
    m = blocks.table("messages")
    m = m.filter(
        (m.sender == "agent")
        & ~m.auto_reply.fill_null(False)
        & (m.msg_type.fill_null("text") != "withdrawn")
    )
    if blocks.window is not None:
        lo = datetime.combine(blocks.window[0], time.min)
        hi = datetime.combine(blocks.window[1], time.min) + timedelta(days=2, milliseconds=limit_ms)
        m = m.filter((m.time >= lo) & (m.time < hi))
    m = m.select(m_shop=m.shop, m_buyer=m.buyer, m_time=m.time)
    j = r.join(m, (r.shop == m.m_shop) & (r.buyer == m.m_buyer))
    j = j.filter((j.m_time > j.time) & (delta_ms(j.m_time, j.time) <= limit_ms))
    replied = j.select(f_key=j.rating_key).distinct()
    v = blocks.table("rating_revisions")
    revised = v.select(v_id=v.rating_id).distinct()
    r = r.left_join(replied, r.rating_key == replied.f_key)
    r = r.left_join(revised, r.rating_id == revised.v_id)
    r = r.select(
        "agent",
        "shop",
        "buyer",
        level=r.level.cast("int64"),
        day=r.time.date(),
        followed=r.f_key.notnull() | r.v_id.notnull(),
    )
    return with_platform(r, blocks)


register_source(
    SourceDef(REVISIONS, _revisions, tables=("rating_revisions", "ratings", "messages", "orders"))
)
register_source(
    SourceDef(
        FOLLOWED,
        _followed,
        params=("followup_hours",),
        tables=("ratings", "rating_revisions", "messages", "orders"),
        margin_days=4,
        # a rating is dated by itself; the messages and revisions after it follow it up
        table_back=(("ratings", 1), ("orders", 1)),
    )
)


def _bad(t: ir.Table, p: Mapping[str, Any]) -> Any:
    return t.level <= int(p["bad_max_level"])


def _attitude(t: ir.Table, p: Mapping[str, Any]) -> Any:
    return (t.level <= 3) & t.reason.fill_null("").contains(str(p["attitude_reason"]))


ALL = counting_rows("ratings", RATINGS)
GOOD = counting("good", RATINGS, lambda t, p: t.level >= 4)
MID_BAD = counting("mid_bad", RATINGS, lambda t, p: t.level <= 3)


def _m(
    id: str,
    zh: str,
    en: str,
    unit: Unit,
    direction: Direction,
    parts: tuple[Part, ...],
    value: Any,
    formula: str,
    source: str = "metrics.md",
    imported_first: bool = False,
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
        imported_first=imported_first,
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
    _m(
        "revised_ratings",
        "改评数",
        "Ratings revised to good",
        "count",
        "higher",
        (
            counting(
                "revised",
                REVISIONS,
                lambda t, p: (t.before <= int(p["bad_max_level"])) & (t.after >= 4),
            ),
        ),
        count("revised"),
        "rating revisions (评价修改记录) from a level ≤ `bad_max_level` (差评) to level ≥ 4, "
        "dated by revised_at, for the agent who handled them (else the agent rated); an "
        "imported figure for the subject wins",
        source="seed 004 售后客服 改评数",
        imported_first=True,
        bad_max_level=2,
    ),
    _m(
        "review_handling_rate",
        "差评处理率",
        "Bad-rating handling rate",
        "ratio",
        "higher",
        (
            counting("handled", FOLLOWED, lambda t, p: _bad(t, p) & t.followed),
            counting("bad", FOLLOWED, _bad),
        ),
        ratio("handled", "bad"),
        "bad ratings (level ≤ `bad_max_level`) followed up — an agent of the shop wrote to "
        "the buyer within `followup_hours` after the rating, or the rating was revised — / "
        "bad ratings; dated by rating time, for the agent rated; an imported figure wins",
        source="seed 002 评价处理 (差评处理率)",
        imported_first=True,
        bad_max_level=2,
        followup_hours=72,
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
