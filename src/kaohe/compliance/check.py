"""Running the compliance presets on a store: pass / at risk / fail per shop (or agent) and
cycle, with the value, the threshold, the consequence and the cases behind a failure.

A running cycle (its end after `now`) is judged on a projection: counts grow linearly from
the days so far; a rate's value so far is its projection. A projection that fails is a
warning (at risk); a count already over a `<=` threshold can only grow, so it fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kaohe.compliance.cases import find_cases
from kaohe.compliance.cycles import Cycle, cycles
from kaohe.compliance.load import list_presets, load_preset
from kaohe.compliance.model import Check, Condition, Preset
from kaohe.compliance.values import Key, ValueSource, unit_of
from kaohe.engine.periods import Period, parse_period
from kaohe.errors import NotFoundError
from kaohe.params import Params, resolve_params
from kaohe.units import Unit, format_value

PASS, AT_RISK, FAIL, NOT_APPLICABLE = "pass", "at_risk", "fail", "not_applicable"
STATUSES = (FAIL, AT_RISK, PASS, NOT_APPLICABLE)  # worst first
STATUS_ZH = {PASS: "达标", AT_RISK: "有风险", FAIL: "不达标", NOT_APPLICABLE: "不适用"}
MAX_CASES = 50
PRESET_KEYS = ("threshold", "margin", "warn_hours")


@dataclass
class CheckResult:
    preset: str
    check: str
    metric: str
    platform: str | None
    subject_kind: str  # shop or agent
    subject: str
    shop: str | None
    agent: str | None
    cycle: str
    cycle_start: date
    cycle_end: date
    running: bool
    value: float | None
    op: str
    threshold: float
    threshold_text: str
    status: str
    consequence: str
    penalty: str | None = None
    unit: Unit = "ratio"
    projected: float | None = None
    alternative_value: float | None = None
    cases: list[dict[str, Any]] = field(default_factory=list)
    cases_total: int = 0
    notes: list[str] = field(default_factory=list)
    owed: float | None = None  # what the cases owe the buyers (the preset's order_penalty)

    def row(self) -> dict[str, Any]:
        """The machine shape (cli.md) plus the extra keys."""
        return {
            "preset": self.preset,
            "subject": self.subject,
            "cycle": self.cycle,
            "value": self.value,
            "threshold": self.threshold,
            "status": self.status,
            "consequence": self.consequence,
            "check": self.check,
            "metric": self.metric,
            "platform": self.platform,
            "subject_kind": self.subject_kind,
            "shop": self.shop,
            "agent": self.agent,
            "from": self.cycle_start.isoformat(),
            "to": self.cycle_end.isoformat(),
            "op": self.op,
            "threshold_text": self.threshold_text,
            "unit": self.unit,
            "running": self.running,
            "projected": self.projected,
            "alternative_value": self.alternative_value,
            "penalty": self.penalty,
            "cases_total": self.cases_total,
            "cases": self.cases,
            "notes": self.notes,
            "owed": self.owed,
        }


def run_checks(
    store: Any,
    period: str,
    presets: list[str] | None = None,
    now: datetime | None = None,
    overrides: Params | Mapping[str, Any] | None = None,
    lang: str = "zh",
) -> list[CheckResult]:
    """Every (or the named) preset's results for the cycles meeting `period`.

    `overrides`: resolved parameters (kaohe.params.resolve_params with these presets), or
    `--set`-style keys resolved here: `PRESET.threshold`, `PRESET.margin`, `PRESET.warn_hours`
    (every check of the preset, or `PRESET.CHECK.threshold` for one) and engine parameters."""
    span = parse_period(period)
    now = now or datetime.now()
    chosen = [load_preset(p) for p in presets] if presets else list_presets()
    params = (
        overrides
        if isinstance(overrides, Params)
        else resolve_params(None, overrides or {}, presets=chosen)
    )
    source = ValueSource(store, now, params.engine)
    results: list[CheckResult] = []
    try:
        for preset in chosen:
            results += _preset_results(source, with_overrides(preset, params.presets), span, lang)
    finally:
        source.close()
    return results


def _preset_results(
    source: ValueSource, preset: Preset, span: Period, lang: str
) -> list[CheckResult]:
    found = cycles(preset.cycle, span, source.now)
    if not found:
        return []
    by_day = preset.cycle == "day"
    if by_day:  # one engine query over the days, grouped by day
        found = [Cycle(span.label, found[0].start, found[-1].end)]
    source.span = Period(found[0].start, found[-1].end, span.label)
    out = []
    for cycle in found:
        out += _preset_cycle(source, preset, cycle, lang, by_day)
    return out


def with_overrides(preset: Preset, overrides: Mapping[str, float]) -> Preset:
    """The preset with its `PRESET.setting` / `PRESET.CHECK.setting` overrides applied (keys
    checked by kaohe.params)."""
    checks = []
    for check in preset.checks:
        update = {}
        for name in PRESET_KEYS:
            for key in (f"{preset.id}.{name}", f"{preset.id}.{check.id}.{name}"):
                if key in overrides:
                    update[name] = overrides[key]
        checks.append(check.model_copy(update=update) if update else check)
    switch = overrides.get(f"{preset.id}.enabled")
    update: dict[str, Any] = {"checks": checks}
    if switch is not None:
        update["enabled"] = bool(switch)
    return preset.model_copy(update=update)


def _preset_cycle(
    source: ValueSource, preset: Preset, cycle: Cycle, lang: str, by_day: bool
) -> list[CheckResult]:
    out = []
    for check in preset.checks:
        values = source.values(preset, check, cycle, by_day)
        for key, got in sorted(values.items(), key=lambda kv: _sort_key(kv[0])):
            if key.platform not in preset.platforms:
                continue
            day_cycle = cycle if key.day is None else Cycle(key.day.isoformat(), key.day, key.day)
            result = judge(preset, check, key, got, day_cycle, source.now, lang)
            if not_applicable(preset, check, day_cycle, result, lang):
                out.append(result)
                continue
            if result.status in (FAIL, AT_RISK):
                cases = find_cases(source, preset, check, key, day_cycle)
                result.cases, result.cases_total = cases[:MAX_CASES], len(cases)
                if preset.order_penalty:
                    result.owed = round(sum(c.get("penalty") or 0.0 for c in cases), 2)
            out.append(result)
    return out


def not_applicable(
    preset: Preset, check: Check, cycle: Cycle, result: CheckResult, lang: str = "zh"
) -> bool:
    """A preset switched off, or a cycle the platform exempts, is not_applicable, saying
    why; a cycle partly exempt is judged as it is, with a note."""
    en = lang == "en"
    if not preset.enabled:
        why = f": {preset.disabled_note}" if preset.disabled_note else ""
        result.status = NOT_APPLICABLE
        result.notes.append(("switched off" if en else "已关闭") + why)
        return True
    exemption = preset.exemption(check.id, result.platform, cycle.start, cycle.end)
    if exemption is not None:
        result.status = NOT_APPLICABLE
        span = f"{exemption.start}–{exemption.end}"
        result.notes.append(
            f"exempt by the platform: {exemption.label} {span}"
            if en
            else f"平台豁免考核: {exemption.label} {span}"
        )
        return True
    for ex in preset.exempt:
        if ex.overlaps(check.id, result.platform, cycle.start, cycle.end):
            result.notes.append(
                f"partly exempt ({ex.label} {ex.start}–{ex.end}): judged as it is"
                if en
                else f"部分日期平台豁免 ({ex.label} {ex.start}–{ex.end}): 按实际数据判断"
            )
    return False


def _sort_key(key: Key) -> tuple[str, ...]:
    return (str(key.day or ""), key.shop or "", key.agent or "")


def judge(
    preset: Preset,
    check: Check,
    key: Key,
    got: Mapping[str, Any],
    cycle: Cycle,
    now: datetime,
    lang: str = "zh",
) -> CheckResult:
    """One subject's result for a check and cycle from its values (`value`, `gate`,
    `alternative`, `near_cases`)."""
    running = cycle.running(now)
    scale = cycle.days / cycle.elapsed_days(now) if running else 1.0
    value = got.get("value")
    unit = unit_of(check)
    projected = _project(value, unit, scale) if running else None
    result = CheckResult(
        preset.id,
        check.id,
        check.metric,
        key.platform,
        preset.subject,
        key.agent if preset.subject == "agent" else key.shop,
        key.shop,
        key.agent,
        cycle.label,
        cycle.start,
        cycle.end,
        running,
        value,
        check.op,
        check.threshold,
        threshold_text(check, lang),
        NOT_APPLICABLE,
        preset.consequence_text(lang),
        preset.penalty,
        unit,
        projected,
    )
    if running:
        result.notes.append(
            "周期进行中: 计数按已过天数线性推算, 比率以当前值为推算值"
            if lang != "en"
            else "cycle running: counts projected linearly "
            "from the days so far; a rate's value so far is its projection"
        )
    result.notes += got.get("notes", [])
    if value is None:
        result.notes.append("无数据" if lang != "en" else "no data")
        return result
    if preset.gate and not _gate_holds(preset, got.get("gate"), scale, result, lang):
        return result
    status = condition_status(check, value, check.margin, running, scale)
    if check.alternative is not None:
        alt = got.get("alternative")
        result.alternative_value = alt
        if alt is not None:
            alt_status = condition_status(check.alternative, alt, 0.0, running, scale)
            status = _best(status, alt_status)
    if got.get("near_cases") and status == PASS:
        status = AT_RISK
        result.notes.append(
            f"{got['near_cases']} 单临近 {check.hours:g} 小时未处理"
            if lang != "en"
            else f"{got['near_cases']} cases near the {check.hours:g} h deadline"
        )
    result.status = status
    return result


def _best(a: str, b: str) -> str:
    order = (PASS, AT_RISK, FAIL)
    return min(a, b, key=order.index)


def _gate_holds(
    preset: Preset, gate_value: Any, scale: float, result: CheckResult, lang: str
) -> bool:
    gate = preset.gate
    assert gate is not None
    seen = float(gate_value or 0)
    expected = seen * scale
    label = gate.label_en if lang == "en" else gate.label
    if expected >= gate.min:
        if scale != 1.0 and seen < gate.min:
            result.notes.append(f"{label} {seen:g}, projected {expected:.0f} ≥ {gate.min:g}")
        return True
    result.notes.append(
        f"{label} {seen:g} < {gate.min:g}: "
        + ("规则不适用" if lang != "en" else "the rule does not apply")
    )
    return False


def _project(value: float | None, unit: str, scale: float) -> float | None:
    if value is None:
        return None
    return value * scale if unit == "count" else value


def passes(cond: Condition, value: float) -> bool:
    value = round(value, 9)  # 0.06 must land on its edge
    return value >= cond.threshold if cond.op == ">=" else value <= cond.threshold


def near(cond: Condition, value: float, margin: float) -> bool:
    if margin <= 0:
        return False
    if cond.op == ">=":
        return round(value, 9) < round(cond.threshold + margin, 9)
    return round(value, 9) > round(cond.threshold - margin, 9)


def condition_status(
    cond: Condition, value: float, margin: float, running: bool, scale: float
) -> str:
    unit = unit_of(cond)
    if not passes(cond, value):
        irreversible = unit == "count" and cond.op == "<="
        return FAIL if not running or irreversible else AT_RISK
    projected = value * scale if running and unit == "count" else value
    if not passes(cond, projected) or near(cond, projected, margin):
        return AT_RISK
    return PASS


def threshold_text(check: Check, lang: str = "zh") -> str:
    text = f"{symbol(check.op)} {format_value(check.threshold, unit_of(check), lang)}"
    alt = check.alternative
    if alt is not None:
        label = (alt.label_en if lang == "en" else alt.label) or alt.metric
        joiner = " or " if lang == "en" else " 或 "
        shown = format_value(alt.threshold, unit_of(alt), lang)
        text += f"{joiner}{label} {symbol(alt.op)} {shown}"
    if check.parameter:
        text += " (parameter)" if lang == "en" else " (参数)"
    return text


def symbol(op: str) -> str:
    return {">=": "≥", "<=": "≤"}[op]


def worst(statuses: list[str]) -> str:
    """The worst status among several (fail before at_risk before pass)."""
    present = [s for s in STATUSES if s in statuses]
    return present[0] if present else NOT_APPLICABLE


def summary(results: list[CheckResult]) -> list[dict[str, Any]]:
    """One row per preset, check and subject: the worst status over its cycles and how many
    cycles had each status (a daily preset over a month: one line instead of 31)."""
    groups: dict[tuple[str, str, str, str | None], list[CheckResult]] = {}
    for r in results:
        groups.setdefault((r.preset, r.check, r.subject, r.shop), []).append(r)
    out = []
    for (preset, check, subject, shop), rows in groups.items():
        statuses = [r.status for r in rows]
        bad = [r.cycle for r in rows if r.status in (FAIL, AT_RISK)]
        out.append(
            {
                "preset": preset,
                "check": check,
                "subject": subject,
                "shop": shop,
                "platform": rows[0].platform,
                "status": worst(statuses),
                "cycles": len(rows),
                **{s: statuses.count(s) for s in STATUSES},
                "bad_cycles": bad,
                "consequence": rows[0].consequence,
                "threshold_text": rows[0].threshold_text,
                "only": rows[0] if len(rows) == 1 else None,
            }
        )
    return out


def ensure_results(results: list[CheckResult], period: str) -> list[CheckResult]:
    """The results, or NotFoundError when nothing on a checked platform had data."""
    if not results:
        raise NotFoundError(f"no shop on a checked platform has data in {period}")
    return results
