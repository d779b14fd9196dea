"""Every metric's formula in words (issue 19.5): Chinese and English, naming no code."""

from __future__ import annotations

import re

from kaohe.engine.registry import REGISTRY, all_metrics
from kaohe.engine.words import WORDS
from kaohe.schema import PLATFORMS

SNAKE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")  # an id, a column, a parameter: refund_only
# the platforms by their codes (other is also an English word)
CODES = {code for code in PLATFORMS.values() if code != "other"}


def test_every_metric_has_its_formula_in_words():
    missing = [m.id for m in all_metrics() if not (m.words and m.words_en)]
    assert missing == []
    assert set(WORDS) <= set(REGISTRY), sorted(set(WORDS) - set(REGISTRY))


def test_the_chinese_words_hold_no_latin_letters():
    """Chinese words say every name in Chinese: no id, column, code or English word."""
    latin = {m.id: m.words for m in all_metrics() if re.search(r"[A-Za-z]", m.words)}
    assert latin == {}


def test_the_words_cite_no_source_document():
    """The seeds are the project's sources, not the reader's: 种子 / seed stay in the docs."""
    cited = [m.id for m in all_metrics() if "种子" in m.words or "seed" in m.words_en.lower()]
    assert cited == []


def test_the_english_words_name_no_code():
    for metric in all_metrics():
        text = metric.words_en
        assert not SNAKE.search(text), (metric.id, SNAKE.search(text))
        assert "`" not in text, metric.id
        words = set(re.findall(r"[a-z]+", text))
        assert not words & CODES, (metric.id, words & CODES)


def test_words_follow_the_name():
    metric = REGISTRY["reply_rate"]
    assert metric.in_words() == "回复率 = 接待人数 ÷ 咨询人数"
    assert metric.in_words("en") == "Reply rate = received buyers ÷ consulting buyers"
