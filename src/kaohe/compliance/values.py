"""The values a compliance check compares: engine metrics and their parts per shop (or agent)
and cycle, refund deadlines at `now`, a scheme's total per shop, QA red-line hits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from kaohe.compliance.cycles import Cycle
from kaohe.compliance.model import Check, Condition, Preset
from kaohe.engine.compute import BlockPool, Evaluator, make_request
from kaohe.engine.facts import answer_parts
from kaohe.engine.periods import Period
from kaohe.units import Unit

SHOP_PLATFORM_SQL = """
    SELECT shop, max(platform) AS platform FROM (
        SELECT shop, platform FROM messages UNION ALL SELECT shop, platform FROM orders)
    GROUP BY shop"""


@dataclass(frozen=True)
class Key:
    shop: str | None
    platform: str | None
    agent: str | None = None
    day: date | None = None


def unit_of(cond: Condition) -> Unit:
    """The unit of a check's value (a part of a metric is a count): how it is shown and
    projected."""
    source = getattr(cond, "source", "metric")
    if source == "qa_hits":
        return "count"
    if source == "scheme":
        return "points"
    if source == "refund_deadline":
        return "ratio"
    from kaohe.engine.registry import get

    metric_id, _, part = cond.metric.partition(".")
    return "count" if part else get(metric_id).unit


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The timestamps [start 00:00, the day after end 00:00)."""
    return (
        datetime.combine(start, datetime.min.time()),
        datetime.combine(end + timedelta(days=1), datetime.min.time()),
    )


class ValueSource:
    """Computes check values from one store, at `now`, with engine parameter overrides."""

    def __init__(self, store: Any, now: datetime, overrides: Mapping[str, Any]) -> None:
        self.store, self.now, self.overrides = store, now, dict(overrides)
        self.span: Period | None = None  # all the cycles of the preset being checked
        self._daily: dict[tuple[Any, ...], dict[Key, dict[str, dict[str, Any]]]] = {}
        self._evaluators: dict[tuple[Any, ...], Evaluator] = {}
        self._pool = BlockPool()  # checks over the same days share the engine's blocks
        self.flagged_rows: dict[tuple[Any, ...], Any] = {}  # cases.py: a part's rows, fetched once

    def close(self) -> None:
        for evaluator in self._evaluators.values():
            evaluator.close()
        self._evaluators.clear()
        self._daily.clear()
        self.flagged_rows.clear()
        self._pool.close()

    def evaluator(self, metric_id: str, period: Period) -> Evaluator:
        """One evaluator per metric over the span (its blocks are built once and reused for
        the cases of every cycle and subject)."""
        key = (metric_id, period.start, period.end)
        if key not in self._evaluators:
            request = make_request(("shop",), period, [metric_id], self.overrides)
            self._evaluators[key] = Evaluator(self.store.ibis(), request, pool=self._pool)
        return self._evaluators[key]

    def values(
        self, preset: Preset, check: Check, cycle: Cycle, by_day: bool = False
    ) -> dict[Key, dict[str, Any]]:
        """Per subject key: `value`, and `gate`, `alternative`, `near_cases`, `notes`."""
        if check.source == "metric":
            return self._metric(preset, check, cycle, by_day)
        if check.source == "refund_deadline":
            return self._refund_deadline(check, cycle)
        if check.source == "scheme":
            return self._scheme(preset, cycle)
        return self._qa_hits(preset, cycle)

    # engine metrics -------------------------------------------------------------------------

    def _metric(
        self, preset: Preset, check: Check, cycle: Cycle, by_day: bool
    ) -> dict[Key, dict[str, Any]]:
        refs = {"value": check.metric}
        if check.alternative:
            refs["alternative"] = check.alternative.metric
        if preset.gate:
            refs["gate"] = preset.gate.metric
        by = ("agent", "shop", "platform") if preset.subject == "agent" else ("shop", "platform")
        if by_day:
            by = (*by, "day")
        if check.at_cycle_end:
            return self.engine(by, Period(cycle.end, cycle.end, cycle.label), refs)
        span = self.span
        if (
            not by_day
            and span is not None
            and (span.start, span.end) != (cycle.start, cycle.end)
            and self._additive(refs)
        ):
            return self._from_days(by, span, cycle, refs)
        return self.engine(by, cycle.period(), refs)

    def _additive(self, refs: Mapping[str, str]) -> bool:
        from kaohe.engine.registry import get

        for ref in refs.values():
            metric = get(ref.partition(".")[0])
            if not metric.additive(
                make_request((), None, [metric.id], self.overrides).params(metric)
            ):
                return False
        return True

    def _from_days(
        self, by: tuple[str, ...], span: Period, cycle: Cycle, refs: Mapping[str, str]
    ) -> dict[Key, dict[str, Any]]:
        """A cycle's values from the parts per day over the whole span (computed once):
        additive parts summed (or maxed) over the cycle's days, then each formula."""
        from kaohe.engine.registry import get

        metric_ids = tuple(dict.fromkeys(r.partition(".")[0] for r in refs.values()))
        cache_key = (by, span.start, span.end, metric_ids)
        if cache_key not in self._daily:
            self._daily[cache_key] = self._day_parts((*by, "day"), span, list(metric_ids))
        request = make_request(by, cycle.period(), list(metric_ids), self.overrides)
        summed: dict[Key, dict[str, dict[str, Any]]] = {}
        for key, by_metric in self._daily[cache_key].items():
            if key.day is None or not cycle.start <= key.day <= cycle.end:
                continue
            into = summed.setdefault(Key(key.shop, key.platform, key.agent), {})
            for metric_id, parts in by_metric.items():
                combine = {
                    p.name: p.combine
                    for p in get(metric_id).parts_for(request.params(get(metric_id)))
                }
                got = into.setdefault(metric_id, {})
                for name, value in parts.items():
                    got[name] = _combine(got.get(name), value, combine.get(name))
        return {key: self._named(refs, parts, request) for key, parts in summed.items()}

    def _day_parts(
        self, by: tuple[str, ...], period: Period, metric_ids: list[str]
    ) -> dict[Key, dict[str, dict[str, Any]]]:
        request = make_request(by, period, metric_ids, self.overrides)
        # day rows from the facts (kept for days with data; a rolling value at a cycle's end
        # is asked without "day" and computed on demand)
        from_facts = answer_parts(self.store, request) if "day" in by else None
        if from_facts is not None:
            return {_key(by, group): dict(values) for group, values in from_facts.items()}
        evaluator = Evaluator(self.store.ibis(), request, pool=self._pool)
        try:
            parts = evaluator.evaluate()
        finally:
            evaluator.close()
        return {_key(by, group): dict(values) for group, values in parts.items()}

    def _named(
        self, refs: Mapping[str, str], parts: Mapping[str, Mapping[str, Any]], request: Any
    ) -> dict[str, Any]:
        from kaohe.engine.registry import get

        got: dict[str, Any] = {}
        for name, ref in refs.items():
            metric_id, _, part = ref.partition(".")
            metric = get(metric_id)
            have = parts.get(metric_id, {})
            got[name] = (
                float(have.get(part) or 0) if part else metric.value(have, request.params(metric))
            )
        return got

    def engine(
        self, by: tuple[str, ...], period: Period, refs: Mapping[str, str]
    ) -> dict[Key, dict[str, Any]]:
        """{key: {name: value}} for refs name → metric id or metric.part, computed with the
        parts kept (the facts table serves values only)."""
        metric_ids = list(dict.fromkeys(r.partition(".")[0] for r in refs.values()))
        request = make_request(by, period, metric_ids, self.overrides)
        return {
            key: self._named(refs, parts, request)
            for key, parts in self._day_parts(by, period, metric_ids).items()
        }

    # refund deadlines -----------------------------------------------------------------------

    def refund_cases(
        self, cycle: Cycle, hours: float, warn_hours: float, shop: str | None = None
    ) -> list[dict[str, Any]]:
        """Refunds applied in the cycle, each with its `state` at `now`: in_time, late
        (answered after the deadline, or not answered and past it: auto-approved), pending
        (not answered, deadline ahead) or near (pending within `warn_hours` of it)."""
        lo, hi = bounds(cycle.start, cycle.end)
        sql = f"""
            WITH sp AS ({SHOP_PLATFORM_SQL})
            SELECT r.shop, coalesce(o.platform, sp.platform) AS platform, r.refund_id,
                   r.order_id, r.buyer, r.agent, r.type, r.applied_at, r.first_response_at,
                   r.status
            FROM refunds r
            LEFT JOIN (SELECT order_id, max(platform) AS platform FROM orders
                       GROUP BY order_id) o ON o.order_id = r.order_id
            LEFT JOIN sp ON sp.shop = r.shop
            WHERE r.applied_at >= ? AND r.applied_at < ? {"AND r.shop = ?" if shop else ""}
            ORDER BY r.applied_at, r.refund_id"""
        args: list[Any] = [lo, hi, *([shop] if shop else [])]
        cur = self.store.con.execute(sql, args)
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for row in rows:
            row["state"], row["age_h"] = _deadline_state(row, self.now, hours, warn_hours)
        return rows

    def _refund_deadline(self, check: Check, cycle: Cycle) -> dict[Key, dict[str, Any]]:
        out: dict[Key, dict[str, Any]] = {}
        for row in self.refund_cases(cycle, check.hours, check.warn_hours):
            got = out.setdefault(
                Key(row["shop"], row["platform"]), {"cases": 0, "late": 0, "near_cases": 0}
            )
            got["cases"] += 1
            got["late"] += row["state"] == "late"
            got["near_cases"] += row["state"] == "near"
        for got in out.values():
            # cases not left past the deadline / cases: response_48h_rate once all are due
            got["value"] = (got["cases"] - got["late"]) / got["cases"]
        return out

    # schemes --------------------------------------------------------------------------------

    def scheme_result(self, preset: Preset, cycle: Cycle) -> Any:
        """The preset's scheme scored per shop: each shop's month metrics stand in for an
        agent's row (JD scores the merchant, not its agents)."""
        from kaohe.engine import compute_kpis
        from kaohe.engine.registry import REGISTRY, all_metrics
        from kaohe.schemes import load_scheme, score
        from kaohe.schemes.fetch import imported_first_ids, imported_values

        scheme = load_scheme(str(preset.scheme))
        all_metrics()
        ids = scheme.metric_ids()
        known = [m for m in ids if m in REGISTRY]
        rows: dict[str, dict[str, Any]] = {}
        for row in (
            compute_kpis(
                self.store,
                by=("shop", "platform"),
                period=cycle.period(),
                metrics=known,
                params=self.overrides,
            )
            if known
            else []
        ):
            rows[str(row["shop"])] = {**row, "agent": row["shop"]}
        first = imported_first_ids()  # the shop's own platform figures win (JD 抽检)
        for subject, metric, value in imported_values(self.store, list(ids), cycle.label):
            if subject in rows and (rows[subject].get(metric) is None or metric in first):
                rows[subject][metric] = value
        return score(scheme, list(rows.values()), None, cycle.label), rows

    def _scheme(self, preset: Preset, cycle: Cycle) -> dict[Key, dict[str, Any]]:
        result, rows = self.scheme_result(preset, cycle)
        out = {}
        for shop_score in result.agents:
            notes = []
            if shop_score.grade is not None:
                notes.append(f"{shop_score.grade.label}: {shop_score.grade.consequence}")
            notes += shop_score.notes
            platform = rows.get(shop_score.agent, {}).get("platform")
            out[Key(shop_score.agent, platform)] = {"value": shop_score.total, "notes": notes}
        return out

    # QA red lines ---------------------------------------------------------------------------

    def _qa_hits(self, preset: Preset, cycle: Cycle) -> dict[Key, dict[str, Any]]:
        lo, hi = bounds(cycle.start, cycle.end)
        con = self.store.con
        shops = con.execute(
            "SELECT shop, max(platform) FROM messages WHERE time >= ? AND time < ? GROUP BY shop",
            [lo, hi],
        ).fetchall()
        any_findings = con.execute(
            "SELECT count(*) FROM qa_findings WHERE time >= ? AND time < ?", [lo, hi]
        ).fetchone()[0]
        rules = list(preset.rules)
        marks = ", ".join("?" for _ in rules)
        hits: dict[str, dict[str, int]] = {}
        for shop, rule, n in con.execute(
            f"SELECT shop, rule, count(*) FROM qa_findings WHERE rule IN ({marks}) "
            "AND time >= ? AND time < ? GROUP BY shop, rule",
            [*rules, lo, hi],
        ).fetchall():
            hits.setdefault(shop, {})[rule] = int(n)
        out = {}
        for shop, platform in shops:
            got = hits.get(shop, {})
            points = sum(preset.rules[r] * n for r, n in got.items())
            notes = [f"扣分风险 {points:g} 分 / deduction points at risk {points:g}"] if got else []
            if not any_findings:
                notes.append(
                    "本周期无质检结果 (先运行 kaohe qa run) / no QA findings in the "
                    "cycle: run `kaohe qa run`"
                )
            out[Key(shop, platform)] = {
                "value": float(sum(got.values())) if any_findings else None,
                "notes": notes,
                "points": points,
            }
        return out


def _key(by: tuple[str, ...], group: tuple[Any, ...]) -> Key:
    named = dict(zip(by, group, strict=True))
    return Key(named.get("shop"), named.get("platform"), named.get("agent"), named.get("day"))


def _combine(total: Any, value: Any, how: str | None) -> Any:
    if value is None:
        return total
    if total is None:
        return value
    return max(total, value) if how == "max" else total + value


def _deadline_state(
    row: Mapping[str, Any], now: datetime, hours: float, warn_hours: float
) -> tuple[str, float]:
    applied, answered = row["applied_at"], row["first_response_at"]
    limit = hours * 3600
    if answered is not None:
        waited = (answered - applied).total_seconds()
        return ("in_time" if waited <= limit else "late"), round(waited / 3600, 2)
    age = (now - applied).total_seconds()
    if age > limit:
        return "late", round(age / 3600, 2)
    return ("near" if age >= limit - warn_hours * 3600 else "pending"), round(age / 3600, 2)
