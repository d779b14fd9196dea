"""The refund-reason analysis a supervisor makes every month (seed 002 客服主管: 每个月针对退款的
情况进行分析，给出合理建议和解决方案): after-sales cases per shop (or agent) and reason category,
with how many succeeded, the amount refunded and the reasons as the buyers gave them.

`refunds.reason` is free text (退款原因); a case falls in the first category one of whose
words it contains, else 其他. The quality words are the ones 品质退款率 counts
(kaohe.engine.fulfilment.QUALITY_REASONS), so the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from kaohe.engine.fulfilment import QUALITY_REASONS
from kaohe.engine.periods import Period
from kaohe.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from kaohe.store import Store

OTHER = "其他"
NO_REASON = "未填写"
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("质量问题", QUALITY_REASONS),
    ("发错/漏发", ("发错", "错发", "漏发", "少发", "少件", "缺件", "配件缺失")),
    ("物流问题", ("物流", "快递", "未收到", "没收到", "未送达", "发货慢", "延迟发货", "丢件")),
    ("尺码/规格不合适", ("尺码", "大小", "规格", "颜色", "不合适", "型号")),
    ("不想要/七天无理由", ("七天无理由", "7天无理由", "不想要", "拍错", "多拍", "不喜欢")),
)
GROUPS = ("shop", "agent")
COLUMNS = ("category", "cases", "share", "succeeded", "amount", "reasons")
TOP_REASONS = 3


def category(reason: str | None) -> str:
    """The reason's category: the first whose words it holds, 其他, or 未填写 when empty."""
    text = (reason or "").strip()
    if not text:
        return NO_REASON
    return next((name for name, words in CATEGORIES if any(w in text for w in words)), OTHER)


def refund_reasons(
    store: Store, period: Period | None, by: Sequence[str] = ("shop",)
) -> list[dict[str, Any]]:
    """One row per group (`by`: shop and/or agent) and reason category: cases applied in the
    period, their share of the group's cases, cases refunded (status success), the amount
    refunded and the three most frequent reasons as written (masked)."""
    keys = _keys(by)
    raw = _cases(store, period, keys)
    if not raw:
        span = f"{period.start}–{period.end}" if period else "the store"
        raise NotFoundError(f"没有售后单 / no refund cases in {span}")
    return _summarise(raw, keys)


def _keys(by: Sequence[str]) -> list[str]:
    keys = list(dict.fromkeys(by))
    unknown = [k for k in keys if k not in GROUPS]
    if unknown or not keys:
        raise UsageError(f"--by takes shop and/or agent, got {', '.join(unknown) or 'nothing'}")
    return keys


def _cases(store: Store, period: Period | None, keys: list[str]) -> list[tuple[Any, ...]]:
    where, args = "", []
    if period is not None:
        where = "WHERE applied_at >= ? AND applied_at < ?"
        args = [
            datetime.combine(period.start, time.min),
            datetime.combine(period.end + timedelta(days=1), time.min),
        ]
    cols = ", ".join(keys)
    sql = (
        f"SELECT {cols}, reason, count(*), count_if(status = 'success'), "
        f"coalesce(sum(CASE WHEN status = 'success' THEN amount END), 0) "
        f"FROM refunds {where} GROUP BY {cols}, reason ORDER BY {cols}, reason"
    )
    return store.con.execute(sql, args).fetchall()


def _summarise(raw: list[tuple[Any, ...]], keys: list[str]) -> list[dict[str, Any]]:
    from kaohe.privacy import mask_text

    n = len(keys)
    groups: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for row in raw:
        group, (reason, cases, succeeded, amount) = tuple(row[:n]), row[n:]
        cat = groups.setdefault(group, {}).setdefault(
            category(reason), {"cases": 0, "succeeded": 0, "amount": 0.0, "reasons": {}}
        )
        cat["cases"] += int(cases)
        cat["succeeded"] += int(succeeded)
        cat["amount"] += float(amount)
        if reason:
            cat["reasons"][reason] = cat["reasons"].get(reason, 0) + int(cases)
    out = []
    for group, cats in groups.items():
        total = sum(c["cases"] for c in cats.values())
        for name, c in sorted(cats.items(), key=lambda kv: (-kv[1]["cases"], kv[0])):
            top = sorted(c["reasons"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]
            out.append(
                {
                    **dict(zip(keys, group, strict=True)),
                    "category": name,
                    "cases": c["cases"],
                    "share": c["cases"] / total,
                    "succeeded": c["succeeded"],
                    "amount": round(c["amount"], 2),
                    "reasons": "；".join(f"{mask_text(r)} ×{k}" for r, k in top),
                }
            )
    return out
