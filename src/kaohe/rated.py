"""The conversation a rating rates. Platforms export ratings without a session id, so a rating
is joined to the chat by shop, buyer, agent and time: the last message of that buyer with that
agent in that shop at or before the rating, within `lookback_hours` (a rating comes after the
conversation it judges). When the agent has no such message (a transfer, a bot), the buyer's
last message in the shop stands in, marked `matched_by = "buyer"`.

The message's key names the conversation everywhere else: the web app shows its session with
`/conversation?msg=KEY`, the alerts link to it. This is the one place that join is made."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kaohe.store import Store

DEFAULT_LOOKBACK_HOURS = 72.0

_SQL = """
WITH r AS (
  SELECT rating_key, shop, buyer, agent, time FROM ratings
  WHERE rating_key IN (SELECT unnest(?::VARCHAR[]))),
m AS (
  SELECT shop, buyer, agent, time, msg_key FROM messages
  WHERE (shop, buyer) IN (SELECT (shop, buyer) FROM r)),
by_agent AS (
  SELECT r.rating_key, m.msg_key, m.time AS msg_time
  FROM r ASOF JOIN m ON m.shop = r.shop AND m.buyer = r.buyer AND m.agent = r.agent
                    AND r.time >= m.time),
by_buyer AS (
  SELECT r.rating_key, m.msg_key, m.time AS msg_time
  FROM r ASOF JOIN m ON m.shop = r.shop AND m.buyer = r.buyer AND r.time >= m.time)
SELECT r.rating_key, r.time, a.msg_key, a.msg_time, b.msg_key, b.msg_time
FROM r LEFT JOIN by_agent a USING (rating_key) LEFT JOIN by_buyer b USING (rating_key)
"""


def rated_conversations(
    store: Store, rating_keys: Sequence[str], lookback_hours: float = DEFAULT_LOOKBACK_HOURS
) -> dict[str, dict[str, Any]]:
    """rating_key → {msg_key, msg_time, matched_by: "agent" | "buyer"} for the ratings whose
    conversation was found; ratings without one are left out."""
    if not rating_keys:
        return {}
    reach = timedelta(hours=lookback_hours)
    out: dict[str, dict[str, Any]] = {}
    rows = store.con.execute(_SQL, [list(rating_keys)]).fetchall()
    for key, rated_at, agent_key, agent_time, buyer_key, buyer_time in rows:
        for msg_key, msg_time, how in (
            (agent_key, agent_time, "agent"),
            (buyer_key, buyer_time, "buyer"),
        ):
            if msg_key is not None and rated_at - msg_time <= reach:
                out[key] = {"msg_key": msg_key, "msg_time": msg_time, "matched_by": how}
                break
    return out
