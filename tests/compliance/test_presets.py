"""The preset files: all thirteen load, their numbers match the seeds, unstated thresholds are
parameters, and a broken file names the file, line and field."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kaohe.compliance import list_presets, load_preset, parse_preset_text
from kaohe.compliance.check import condition_status, with_overrides
from kaohe.compliance.cycles import cycles
from kaohe.compliance.model import Condition
from kaohe.engine.periods import parse_period
from kaohe.errors import ConfigError, UsageError
from kaohe.params import resolve_params

SPEC = [
    "pdd_effective_reply",
    "pdd_daily_reply",
    "pdd_aftersales",
    "kuaishou_3min",
    "kuaishou_good_rate",
    "kuaishou_attitude",
    "kuaishou_disputes",
    "jd_first_30s",
    "jd_hangup",
    "jd_aftersales",
    "jd_deadlines",
    "taobao_response",
    "tmall_redlines",
    "late_shipment",  # issue 15: 延迟发货 (seeds 000, 004)
]


def test_every_spec_preset_ships_in_order():
    assert [p.id for p in list_presets()] == SPEC


def test_seed_numbers():
    def first(preset_id: str):
        return load_preset(preset_id).checks[0]

    pdd = load_preset("pdd_effective_reply")
    assert pdd.gate is not None and pdd.gate.min == 100 and first(pdd.id).threshold == 0.5
    assert first("pdd_daily_reply").threshold == 0.8
    assert first("kuaishou_attitude").threshold == 0.06
    assert load_preset("kuaishou_attitude").cycle == "month"
    disputes = first("kuaishou_disputes")
    assert disputes.threshold == 0.0035 and disputes.alternative.threshold == 4
    assert first("jd_hangup").threshold == 0
    assert first("jd_aftersales").threshold == 80
    assert [c.threshold for c in load_preset("jd_deadlines").checks] == [1.0, 1.0]
    assert load_preset("tmall_redlines").rules == {
        "info_leak": 6,
        # the seven invoice refusals of seed 004, one rule each
        "invoice_refusal": 6,
        "invoice_tax_postage": 6,
        "invoice_special_product": 6,
        "invoice_excuse": 6,
        "invoice_wrong_type": 6,
        "invoice_company_only": 6,
        "invoice_receipt_only": 6,
        "promise_breach": 4,
        "close_order": 1,
    }
    assert {p.cycle for p in list_presets() if p.id.startswith("kuaishou_3")} == {"week"}


def test_unstated_thresholds_are_parameters():
    flagged = {(p.id, c.id) for p in list_presets() for c in p.checks if c.parameter}
    assert flagged == {
        ("pdd_aftersales", "intervention_rate"),
        ("pdd_aftersales", "interventions"),
        ("kuaishou_3min", "reply_3min"),
        ("kuaishou_good_rate", "good_rate"),
        ("jd_first_30s", "first_30s"),
        ("taobao_response", "reply_3min"),
        ("taobao_response", "avg_response"),
    }


GOOD = """\
id: mine
name: 我的
name_en: mine
platforms: [pdd]
subject: shop
cycle: day
checks:
  - id: r
    metric: pdd_5min_reply_rate
    op: ">="
    threshold: 0.8
consequence: 后果
consequence_en: consequence
seed: "004"
"""


def test_a_preset_file_parses():
    assert parse_preset_text(GOOD, "mine.yaml").checks[0].metric == "pdd_5min_reply_rate"


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("pdd_5min_reply_rate", "no_such_metric", "mine.yaml:9, field 'checks.0.metric'"),
        ("pdd_5min_reply_rate", "intervention_rate.nope", "mine.yaml:9, field 'checks.0.metric'"),
        ('op: ">="', 'op: ">"', "mine.yaml:10, field 'checks.0.op'"),
        ("cycle: day", "cycle: fortnight", "mine.yaml:6, field 'cycle'"),
        ("pdd_5min_reply_rate", "pdd_5min_reply_rat", "did you mean 'pdd_5min_reply_rate'?"),
        ('seed: "004"', 'seed: "004"\nscheme: jd_aftersale', "did you mean 'jd_aftersales'?"),
        ('seed: "004"', 'seed: "004"\nrules: {insullt: 5}', "did you mean 'insult'?"),
        ("consequence_en:", "consequence_eng:", "did you mean 'consequence_en'?"),
    ],
)
def test_a_broken_file_names_file_line_and_field(old, new, where):
    with pytest.raises(ConfigError) as err:
        parse_preset_text(GOOD.replace(old, new), "mine.yaml")
    assert str(err.value).startswith(where) or where in str(err.value)


def test_unknown_preset():
    with pytest.raises(UsageError, match="unknown compliance preset 'nope'"):
        load_preset("nope")


def test_overrides_split_between_presets_and_engine():
    presets = list_presets()
    params = resolve_params(
        None, {"kuaishou_3min.threshold": "0.85", "response_48h_rate.hours": 24}, presets=presets
    )
    assert params.presets == {"kuaishou_3min.threshold": 0.85}
    assert params.engine == {"response_48h_rate.hours": 24}
    tuned = with_overrides(load_preset("kuaishou_3min"), params.presets)
    assert tuned.checks[0].threshold == 0.85
    with pytest.raises(ConfigError, match="colour"):
        resolve_params(None, {"kuaishou_3min.colour": 1}, presets=presets)
    with pytest.raises(ConfigError, match="'nope'"):
        resolve_params(None, {"jd_deadlines.nope.threshold": 1.0}, presets=presets)
    off = resolve_params(None, {"kuaishou_attitude.enabled": "false"}, presets=presets)
    assert off.presets == {"kuaishou_attitude.enabled": 0.0}
    assert not with_overrides(load_preset("kuaishou_attitude"), off.presets).enabled
    with pytest.raises(ConfigError, match="true or false"):
        resolve_params(None, {"kuaishou_attitude.enabled": "maybe"}, presets=presets)


def test_condition_status():
    at_least = Condition(metric="good_rate", op=">=", threshold=0.8)
    at_most = Condition(metric="hangups_over_15min", op="<=", threshold=2)
    assert condition_status(at_least, 0.79, 0, False, 1) == "fail"
    assert condition_status(at_least, 0.79, 0, True, 2) == "at_risk"  # a rate may recover
    assert condition_status(at_least, 0.82, 0.03, False, 1) == "at_risk"
    assert condition_status(at_least, 0.83, 0.03, False, 1) == "pass"
    # counts: 1 so far, half the cycle gone → 2 projected: passes; 3 so far can only grow
    assert condition_status(at_most, 1, 0, True, 2) == "pass"
    assert condition_status(at_most, 2, 0, True, 2) == "at_risk"  # 4 projected
    assert condition_status(at_most, 3, 0, True, 2) == "fail"


def test_cycles_over_a_month():
    october = parse_period("2026-10")
    now = datetime(2026, 11, 24)
    weeks = cycles("week", october, now)
    assert [w.label for w in weeks] == ["2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"]
    assert (weeks[0].start, weeks[-1].end) == (date(2026, 9, 28), date(2026, 11, 1))
    [rolling] = cycles("rolling30", october, now)
    assert (rolling.start, rolling.end) == (date(2026, 10, 2), date(2026, 10, 31))
    # while October runs: days after now are left out, the rolling window ends yesterday
    mid = datetime(2026, 10, 10, 12)
    assert len(cycles("day", october, mid)) == 10
    [rolling] = cycles("rolling30", october, mid)
    assert rolling.end == date(2026, 10, 9) and not rolling.running(mid)
    [month] = cycles("month", october, mid)
    assert month.running(mid) and month.elapsed_days(mid) == 9.5
