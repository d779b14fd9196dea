from pathlib import Path

import pytest

from kaohe.errors import ConfigError, UsageError
from kaohe.qa.rules import DETECTORS, SESSION_DETECTORS, load_pack, parse_pack_text

GOOD = """\
id: mine
name: 我的规则
rules:
  - id: rude
    name: 反问
    category: attitude
    severity: minor
    scope: agent
    detector: phrases
    params:
      whole: [哪个]
    deduction: 5
    explanation: 不要反问。
"""


def test_default_pack_loads_with_every_spec_detector():
    pack = load_pack("default")
    assert pack.id == "default"
    used = {r.detector for r in pack.rules}
    assert used == DETECTORS
    assert all(r.explanation and r.category for r in pack.rules)
    assert {r.scope for r in pack.rules if r.detector in SESSION_DETECTORS} == {"session"}


def test_default_pack_severities_and_deductions():
    pack = load_pack("default")
    assert pack.rule("insult").severity == "redline"
    assert pack.rule("third_party_payment").severity == "redline"
    assert pack.rule("invoice_refusal").deduction == 6  # Tmall −6 (seed 004)
    assert pack.rule("promise_breach").deduction == 4
    assert pack.rule("close_order").deduction == 1
    assert pack.rule("ad_buyer").scope == "buyer"


def test_user_pack_file(tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, "utf-8")
    pack = load_pack(str(path))
    assert [r.id for r in pack.rules] == ["rude"]
    assert pack.rules[0].parsed().whole == ["哪个"]


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        parse_pack_text(text, "mine.yaml")
    return exc.value


def test_unknown_detector_names_file_line_field():
    err = _error(GOOD.replace("detector: phrases", "detector: magic"))
    assert (err.file, err.line, err.field) == ("mine.yaml", 9, "rules.0.detector")
    assert "unknown detector 'magic'" in str(err)
    assert "did you mean 'phrases'?" in str(
        _error(GOOD.replace("detector: phrases", "detector: phrase"))
    )


def test_bad_severity_names_field():
    err = _error(GOOD.replace("severity: minor", "severity: awful"))
    assert (err.line, err.field) == (7, "rules.0.severity")


def test_unknown_param_names_its_line():
    err = _error(GOOD.replace("whole: [哪个]", "hole: [哪个]"))
    assert (err.line, err.field) == (11, "rules.0.params.hole")
    assert "unknown parameter of phrases 'hole'; did you mean 'whole'?" in str(err)


def test_phrase_rule_needs_phrases():
    err = _error(GOOD.replace("whole: [哪个]", "exceptions: [亲]"))
    assert err.field == "rules.0.params.phrases"


def test_invalid_regex_is_located():
    text = GOOD.replace("detector: phrases", "detector: pattern").replace(
        "whole: [哪个]", "regex: ['[0-9']"
    )
    err = _error(text)
    assert (err.line, err.field) == (11, "rules.0.params.regex.0")
    assert "invalid regular expression" in str(err)


def test_text_detector_cannot_have_session_scope():
    err = _error(GOOD.replace("scope: agent", "scope: session"))
    assert (err.line, err.field) == (8, "rules.0.scope")


def test_duplicate_rule_ids():
    rule = GOOD.split("rules:\n", 1)[1]
    err = _error(GOOD + rule)
    assert err.field == "rules.1.id" and "duplicate" in str(err)


def test_missing_explanation():
    err = _error(GOOD.replace("    explanation: 不要反问。\n", ""))
    assert err.field == "rules.0.explanation"


def test_invalid_yaml_and_unknown_pack(tmp_path: Path):
    assert _error("rules: [").line is not None
    with pytest.raises(UsageError, match="unknown rule pack"):
        load_pack("nope")
    with pytest.raises(UsageError, match="not found"):
        load_pack(str(tmp_path / "missing.yaml"))
