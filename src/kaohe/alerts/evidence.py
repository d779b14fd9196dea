"""The evidence an alert carries: the buyer's masked account, the agent, a masked excerpt of
the conversation, the metric with its formula and value, the platform's penalty from the
compliance preset, and the links into the web app (the conversation, the acknowledge page)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kaohe.privacy import mask_buyer, mask_text

if TYPE_CHECKING:
    from kaohe.store import Store

EXCERPT_MESSAGES = 6
EXCERPT_CHARS = 80
SENDER_ZH = {"buyer": "买家", "agent": "客服", "bot": "机器人", "system": "系统"}


_EXCERPT_SQL = f"""
SELECT k.shop, k.buyer, k.t, m.time, m.sender, m.text
FROM _alert_keys k JOIN messages m
  ON m.shop = k.shop AND m.buyer = k.buyer AND m.time <= k.t
 AND m.time >= k.t - INTERVAL 2 DAY
QUALIFY row_number() OVER (PARTITION BY k.shop, k.buyer, k.t ORDER BY m.time DESC, m.seq DESC)
        <= {EXCERPT_MESSAGES}
ORDER BY k.shop, k.buyer, k.t, m.time, m.seq"""

Key = tuple[str, str, datetime]


def _with_keys(store: Store, keys: list[Key], sql: str) -> list[tuple]:
    """Run `sql` against the keys registered as `_alert_keys` (shop, buyer, t)."""
    import pyarrow as pa

    table = pa.table(
        {
            "shop": [k[0] for k in keys],
            "buyer": [k[1] for k in keys],
            "t": pa.array([k[2] for k in keys], pa.timestamp("us")),
        }
    )
    store.con.register("_alert_keys", table)
    try:
        return store.con.execute(sql).fetchall()
    finally:
        store.con.unregister("_alert_keys")


def excerpts(store: Store, keys: list[Key]) -> dict[Key, list[str]]:
    """For each (shop, buyer, moment): the last messages of the buyer's chat with the shop up
    to that moment (within two days), masked, one line each (`10-03 09:12 买家: …`)."""
    wanted = list(dict.fromkeys(k for k in keys if all(k)))
    if not wanted:
        return {}
    out: dict[Key, list[str]] = {}
    for shop, buyer, t, time, sender, text in _with_keys(store, wanted, _EXCERPT_SQL):
        shown = (mask_text(text) or "").replace("\n", " ")
        if len(shown) > EXCERPT_CHARS:
            shown = shown[: EXCERPT_CHARS - 1] + "…"
        line = f"{time:%m-%d %H:%M} {SENDER_ZH.get(sender, sender)}: {shown}"
        out.setdefault((shop, buyer, t), []).append(line)
    return out


def messages_at(store: Store, keys: list[Key]) -> dict[Key, str]:
    """(shop, buyer, time) → the key of the message at that moment (the first, by seq)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    rows = _with_keys(
        store,
        wanted,
        "SELECT k.shop, k.buyer, k.t, arg_min(m.msg_key, m.seq) FROM _alert_keys k "
        "JOIN messages m ON m.shop = k.shop AND m.buyer = k.buyer AND m.time = k.t GROUP BY ALL",
    )
    return {(shop, buyer, t): key for shop, buyer, t, key in rows}


def buyer_shown(buyer: str | None) -> str | None:
    return mask_buyer(buyer)


def metric_info(
    metric_id: str, params: Mapping[str, Any], value: Any = None, scope: str | None = None
) -> dict[str, Any]:
    """The metric as the alert shows it: id, names, formula, the parameters it was read with,
    and a value (with what it is the value of)."""
    from kaohe.engine.registry import get

    metric = get(metric_id)
    shown = {k: v for k, v in params.items() if k in metric.params and v not in (None, [], "")}
    return {
        "id": metric.id,
        "name": metric.zh,
        "name_en": metric.en,
        "unit": metric.unit,
        "formula": metric.formula,
        "words": metric.in_words("zh"),
        "params": shown,
        "value": value,
        "of": scope,
    }


def value_text(value: Any, unit: str) -> str:
    """A metric value with its unit, as people read it (rates as percents): kaohe.units."""
    from kaohe.units import INFO, format_value

    return format_value(value, unit if unit in INFO else None)


def penalty_for(
    platform: str | None, metric_id: str | None = None, preset_id: str | None = None
) -> dict[str, Any] | None:
    """The compliance preset behind a metric (or named) on the platform: its consequence and
    penalty, or None."""
    found = _penalty(platform, metric_id, preset_id)
    return dict(found) if found else None


@functools.cache
def _penalty(
    platform: str | None, metric_id: str | None, preset_id: str | None
) -> dict[str, Any] | None:
    from kaohe.compliance.load import list_presets

    for preset in list_presets():
        if preset_id and preset.id != preset_id:
            continue
        if platform and platform not in preset.platforms:
            continue
        if preset_id or any(c.metric.partition(".")[0] == metric_id for c in preset.checks):
            return {
                "preset": preset.id,
                "name": preset.name,
                "consequence": preset.consequence,
                "penalty": preset.penalty,
            }
    return None


def conversation_url(base_url: str, msg_key: str | None) -> str | None:
    if not msg_key:
        return None
    return f"{base_url.rstrip('/')}/conversation?msg={quote(str(msg_key), safe='')}"


def ack_url(base_url: str, alert_id: int) -> str:
    return f"{base_url.rstrip('/')}/alerts/{alert_id}/ack"
