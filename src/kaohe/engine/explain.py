"""`kaohe explain`: formula, parameters, numerator, denominator and the rows behind a value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kaohe.agents import AGENT_TABLES
from kaohe.engine.compute import Evaluator, finish, make_request
from kaohe.engine.params import BlockParams
from kaohe.engine.periods import Period
from kaohe.engine.registry import Part, get
from kaohe.errors import NotFoundError

if TYPE_CHECKING:
    from kaohe.store import Store

SHOWN: dict[str, tuple[str, ...]] = {
    "rounds": (
        "shop",
        "buyer",
        "round_start",
        "start",
        "reply_time",
        "buyer_messages",
        "answered",
        "response_s",
    ),
    "first_rounds": ("shop", "buyer", "start", "answered", "response_s"),
    "sessions": ("shop", "buyer", "start", "end", "buyer_messages", "duration_ms"),
    "buyer_messages": ("shop", "buyer", "time", "chars"),
    "replies": ("shop", "buyer", "time", "chars"),
    "transfers_out": ("shop", "buyer", "from_agent", "agent", "day"),
    "transfers_in": ("shop", "buyer", "from_agent", "agent", "day"),
    "concurrency": ("shop", "day", "open"),
    "sales_credited": (
        "order_id",
        "shop",
        "buyer",
        "created_at",
        "paid_time",
        "amount",
        "items",
        "refund_amount",
    ),
    "sales_shop": (
        "order_id",
        "buyer",
        "paid_time",
        "amount",
        "silent",
        "silent_at_creation",
        "followed",
    ),
    "sales_assists": ("order_id", "buyer", "agent", "kind", "day"),
    "inquiries": ("shop", "buyer", "first", "last", "inquiry", "ordered", "paid"),
    "alert_handling": (
        "id",
        "rule",
        "shop",
        "fired_at",
        "acknowledged_at",
        "handler",
        "resolved_at",
        "ack_min",
        "resolve_min",
    ),
}
ORDER = {
    "rounds": "round_start",
    "first_rounds": "start",
    "sessions": "start",
    "buyer_messages": "time",
    "replies": "time",
    "transfers_out": "day",
    "transfers_in": "day",
    "concurrency": "open",
    "sales_credited": "paid_time",
    "sales_shop": "paid_time",
    "sales_assists": "day",
    "inquiries": "first",
    "alert_handling": "fired_at",
}


def agent_known(store: Store, agent: str) -> bool:
    """Whether any table names the agent (the roster, chats, calls, tickets…)."""
    sql = " UNION ALL ".join(f'SELECT 1 FROM "{t}" WHERE agent = ?' for t in AGENT_TABLES)
    from kaohe.store import scalar

    return bool(scalar(store.con, f"SELECT EXISTS ({sql})", [agent] * len(AGENT_TABLES)))


def explain(
    store: Store,
    metric_id: str,
    agent: str,
    period: Period | None,
    overrides: Mapping[str, Any] | None = None,
    limit: int = 10,
) -> dict[str, Any]:
    metric = get(metric_id)
    if not agent_known(store, agent):
        raise NotFoundError(f"unknown agent {agent!r}")
    request = make_request(("agent",), period, [metric_id], overrides, [agent])
    params = request.params(metric)
    evaluator = Evaluator(store.ibis(), request)
    try:
        parts = evaluator.evaluate()
        value = finish(request, parts)[0][metric_id]
        got = dict(parts.get((agent,), {}).get(metric_id, {}))
        part_list = metric.parts_for(params)
        source = part_list[0].source
        rows = _rows(
            evaluator,
            BlockParams.from_params(params),
            source,
            limit,
            [p for p in part_list if p.source == source],
            params,
        )
    finally:
        evaluator.close()
    num, den = _num_den(metric, params, got, [p.name for p in part_list])
    return {
        "metric": metric.id,
        "zh": metric.zh,
        "en": metric.en,
        "agent": agent,
        "from": period.start.isoformat() if period else None,
        "to": period.end.isoformat() if period else None,
        "formula": metric.formula,
        "words": metric.in_words("zh"),
        "words_en": metric.in_words("en"),
        "base": metric.base,
        "params": params,
        "parts": got,
        "numerator": num,
        "denominator": den,
        "value": value,
        "source": source,
        "rows": rows,
    }


def _num_den(
    metric: Any, params: Mapping[str, Any], got: Mapping[str, Any], names: list[str]
) -> tuple[Any, Any]:
    if params.get("level") == "buyer" and "bad_buyer_days" in got:
        den = got.get("buyer_days") or 0
        return den - (got.get("bad_buyer_days") or 0), den
    if len(names) == 2 and metric.unit in ("ratio", "per_buyer", "seconds", "minutes"):
        return got.get(names[0]), got.get(names[1])
    return (got.get(names[0]) if names else None), None


def _rows(
    evaluator: Evaluator,
    bp: BlockParams,
    source: str,
    limit: int,
    parts: list[Part],
    params: Mapping[str, Any],
) -> list[dict]:
    """The rows that matter most (the largest contribution to the first part first: the
    slowest rounds of a response time, the counted rows of a count; then by time), each with
    what it contributes to every part: a flag (counted or not) for counting parts, the value
    for summing parts."""
    t = evaluator.source(bp, source, params)
    cols = [c for c in SHOWN.get(source, ()) if c in t.columns] or [
        c for c in t.columns if not c.startswith("_")
    ][:8]
    contributions = {f"→{p.name}": p.row_value()(t, params) for p in parts if p.row_value()}
    t = t.mutate(**contributions) if contributions else t
    order = ORDER.get(source, cols[0])
    first = next(iter(contributions), None)
    keys = [t[first].desc(), order] if first else [order]
    t = t.order_by(keys).limit(limit).select(*cols, *contributions)
    return t.to_pyarrow().to_pylist()
