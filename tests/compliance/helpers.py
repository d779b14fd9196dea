"""Hand-built stores for the compliance tests: chats, refunds, ratings, tickets, statuses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from kaohe.schema import RATING_LEVELS
from kaohe.store import Store
from tests.engine.conftest import fill, fill_table, msg

NOW = datetime(2026, 11, 24, 10, 0)  # every October cycle is over


def ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def chat(
    buyer: str,
    asked: datetime,
    reply_after_s: float | None,
    *,
    shop: str,
    platform: str,
    agent: str = "a1",
) -> list[dict[str, Any]]:
    """A buyer question at `asked` and the agent's reply `reply_after_s` later (or none)."""
    rows = [msg(buyer, agent, "buyer", ts(asked), "在吗", shop=shop, platform=platform)]
    if reply_after_s is not None:
        rows.append(
            msg(
                buyer,
                agent,
                "agent",
                ts(asked + timedelta(seconds=reply_after_s)),
                "在的",
                shop=shop,
                platform=platform,
            )
        )
    return rows


def day_of_buyers(
    day: datetime,
    answered: int,
    unanswered: int,
    *,
    shop: str,
    platform: str,
    reply_after_s: float = 10,
) -> list[dict[str, Any]]:
    """`answered` buyers replied to after `reply_after_s`, `unanswered` never, one question
    each, a minute apart from 10:00 (inside 08:00–23:00)."""
    rows = []
    for i in range(answered + unanswered):
        rows += chat(
            f"{shop}{day:%d}-{i:03d}",
            day + timedelta(minutes=i),
            reply_after_s if i < answered else None,
            shop=shop,
            platform=platform,
        )
    return rows


def make(rows: Iterable[dict[str, Any]] = (), **tables: list[dict[str, Any]]) -> Store:
    store = fill(Store(":memory:"), list(rows))
    for table, table_rows in tables.items():
        fill_table(store, table, table_rows)
    return store


def refund(
    rid: str,
    shop: str,
    applied: datetime,
    *,
    responded: datetime | None = None,
    completed: datetime | None = None,
    liable: bool = False,
    intervened: bool = False,
    buyer: str = "buyer01",
) -> dict[str, Any]:
    return {
        "refund_id": rid,
        "order_id": f"o-{rid}",
        "shop": shop,
        "buyer": buyer,
        "type": "refund_only",
        "applied_at": applied,
        "first_response_at": responded,
        "completed_at": completed,
        "status": "success" if completed else "pending",
        "merchant_liable": liable,
        "platform_intervened": intervened,
    }


def rating(
    shop: str,
    when: datetime,
    level: str,
    reason: str = "",
    agent: str = "a1",
    buyer: str = "buyer01",
) -> dict[str, Any]:
    """A rating as stored: the level 1–5 of the platform's label, and the label."""
    return {
        "shop": shop,
        "buyer": buyer,
        "agent": agent,
        "time": when,
        "level": RATING_LEVELS[level],
        "level_label": level,
        "reason": reason,
        "rating_key": f"{shop}{buyer}{when}{level}{reason}",
    }


def by_key(results: list, **where: Any) -> list:
    return [r for r in results if all(getattr(r, k) == v for k, v in where.items())]
