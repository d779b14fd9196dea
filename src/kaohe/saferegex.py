"""Regular expressions that run on user data, each call with a time limit (issue 16).

Python's `re` backtracks: a pattern with overlapping quantifiers can spend seconds on one short
hostile line (the old 千牛 chat-window header pattern took 18 s on a 435-byte upload, blocking
the web server). Every pattern applied in Python to what a user uploaded or typed goes through
`compile` here: the `regex` engine (the syntax of `re`, lookbehinds and backreferences
included) with a timeout on each call. A call that runs out of time raises `RegexTimeout`, a
usage error naming what the pattern was for, instead of hanging.

Measured on this machine (`python benchmarks/regex_bench.py`): a 千牛 header line costs about
1 µs with `re`, 3 µs with `regex` and a timeout, 5 µs with google-re2 through its Python
wrapper; the pathological transfer line takes `re` over 6 s and `regex` 18 ms. google-re2 is
linear by construction but rejects backreferences and lookarounds, which rule packs use, so
`regex` with a timeout is the one engine for all of them. The limit is the CPU time of the
call (measured: a 0.2 s limit stops `^(a|aa)+$` on 61 characters after 0.201 s of CPU; on a
loaded machine the wall time stretches with everything else). Patterns run by polars (the Rust
`regex` crate) and DuckDB (RE2) are linear-time engines over length-capped cells and need no
limit of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import regex

from kaohe.errors import UsageError

DEFAULT_TIMEOUT_S = 1.0
Match = Any  # a regex.Match (the regex package ships no type information)


class RegexTimeout(UsageError):
    """A pattern ran out of time on a value (the value is not echoed: it may be huge)."""


@dataclass(frozen=True)
class SafePattern:
    """A compiled pattern whose every call is bounded by `timeout` seconds."""

    compiled: Any  # regex.Pattern
    purpose: str
    timeout: float = DEFAULT_TIMEOUT_S

    @property
    def pattern(self) -> str:
        return str(self.compiled.pattern)

    def _call(self, method: Callable[..., Any], *args: Any) -> Any:
        try:
            return method(*args, timeout=self.timeout)
        except TimeoutError:
            raise RegexTimeout(
                f"正则匹配超时（{self.purpose}，超过 {self.timeout:g} 秒） / "
                f"pattern timed out after {self.timeout:g} s ({self.purpose})"
            ) from None

    def match(self, text: str) -> Any:
        return self._call(self.compiled.match, text)

    def fullmatch(self, text: str) -> Any:
        return self._call(self.compiled.fullmatch, text)

    def search(self, text: str) -> Any:
        return self._call(self.compiled.search, text)

    def sub(self, repl: str | Callable[[Any], str], text: str, count: int = 0) -> str:
        return str(self._call(self.compiled.sub, repl, text, count))

    def findall(self, text: str) -> list[Any]:
        return list(self._call(self.compiled.findall, text))

    def finditer(self, text: str) -> Iterator[Any]:
        """All matches, found up front so that the limit covers the whole scan."""
        return iter(self._call(self._all_matches, text))

    def _all_matches(self, text: str, timeout: float) -> list[Any]:
        return list(self.compiled.finditer(text, timeout=timeout))

    def split(self, text: str, maxsplit: int = 0) -> list[str]:
        return list(self._call(self.compiled.split, text, maxsplit))


def compile(  # noqa: A001 - the name the `re` module uses
    pattern: str, purpose: str, flags: int = 0, timeout: float = DEFAULT_TIMEOUT_S
) -> SafePattern:
    """A pattern for user data; `purpose` names it in the timeout error."""
    return SafePattern(regex.compile(pattern, flags), purpose, timeout)
