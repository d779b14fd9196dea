"""Regular expressions on user data stop at their time limit instead of hanging."""

from __future__ import annotations

import pytest

from kaohe import saferegex


def test_a_pattern_works_like_re() -> None:
    pattern = saferegex.compile(r"(\d+)分(\d+)秒", "duration")
    assert pattern.fullmatch("8分48秒").groups() == ("8", "48")
    assert pattern.sub("x", "用时8分48秒") == "用时x"
    assert [m.group(1) for m in pattern.finditer("1分2秒 3分4秒")] == ["1", "3"]
    assert pattern.findall("1分2秒") == [("1", "2")]
    assert pattern.search("无") is None


def test_a_catastrophic_pattern_times_out_with_a_clear_error() -> None:
    # overlapping alternatives under a repeat: exponential backtracking without a limit
    pattern = saferegex.compile(r"^(a|aa)+$", "test pattern", timeout=0.05)
    with pytest.raises(saferegex.RegexTimeout, match="test pattern") as info:
        pattern.match("a" * 60 + "b")
    assert " / " in str(info.value)
