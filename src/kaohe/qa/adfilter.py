"""The advertising/spam filter report (seed 000): the sessions the quality inspection found to
be advertising or spam from the buyer's side, which every KPI leaves out (engine global
`exclude_ad_sessions`). Listed so a manager can see what was filtered and why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kaohe.engine.periods import Period

if TYPE_CHECKING:
    from kaohe.store import Store

COLUMNS = [
    "shop",
    "platform",
    "buyer",
    "agent",
    "session_start",
    "session_end",
    "messages",
    "matched",
    "text",
]
HEADERS = [
    "店铺",
    "平台",
    "买家",
    "客服",
    "会话开始",
    "会话结束",
    "消息数",
    "命中词",
    "首条命中消息",
]

SQL = """
WITH spam AS (
    SELECT shop, buyer, session_start, coalesce(session_end, time) AS session_end,
           min(platform) AS platform, min(agent) AS agent,
           string_agg(DISTINCT matched, '、' ORDER BY matched) AS matched,
           arg_min(msg_key, time) AS first_key
    FROM qa_findings
    WHERE category = 'spam' AND session_start IS NOT NULL {where}
    GROUP BY shop, buyer, session_start, coalesce(session_end, time)
)
SELECT s.shop, s.platform, s.buyer, s.agent, s.session_start, s.session_end,
       (SELECT count(*) FROM messages m WHERE m.shop = s.shop AND m.buyer = s.buyer
          AND m.time BETWEEN s.session_start AND s.session_end) AS messages,
       s.matched, f.text
FROM spam s LEFT JOIN messages f ON f.msg_key = s.first_key
ORDER BY s.session_start, s.shop, s.buyer
"""


def filtered_sessions(
    store: Store, period: Period | None = None, masked: bool = True
) -> list[dict[str, Any]]:
    """One row per filtered session: where, who, when, how many messages left the KPIs and
    the phrases that caught it; buyer names and personal data masked unless `masked` is False."""
    from kaohe.privacy import mask_buyer, mask_text
    from kaohe.qa.findings import bounds

    where, args = "", []
    if period is not None:
        where = "AND time >= ? AND time < ?"
        args = list(bounds(period, store))
    out = []
    for row in store.con.execute(SQL.format(where=where), args).fetchall():
        record = dict(zip(COLUMNS, row, strict=True))
        if masked:
            record["buyer"] = mask_buyer(record["buyer"])
            record["text"] = mask_text(record["text"])
            record["matched"] = mask_text(record["matched"])
        out.append(record)
    return out
