"""Regular expressions on user data: `re` against `regex` with a timeout (kaohe.saferegex) and,
when installed, google-re2 — the measurement behind the choice in kaohe/saferegex.py.

    python benchmarks/regex_bench.py

Times an ordinary 千牛 chat-window header line (per match) and the pathological transfer line
of issue 16 (a line of spaces around "-->", 435 bytes) against the old header pattern. The
`re` run of the pathological line happens in a subprocess stopped after 60 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

HEADER = r"^(?P<nick>[^\t,]+?)\s+(?P<time>\d{4}[-/]\d{1,2}[-/]\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?)$"
TRANSFER = (
    r"^(?P<src>[^\t,]+?)\s*-->\s*(?P<dst>[^\t,]+?)\s+"
    r"(?P<time>\d{4}[-/]\d{1,2}[-/]\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?)$"
)
NORMAL = "云朵小铺:阿青 2026-10-01 10:00:20"
HOSTILE = "a" + " " * 213 + "-->" + " " * 213 + "b"
REPEAT = 100_000


def per_match(match, text: str) -> float:  # noqa: ANN001
    started = time.perf_counter()
    for _ in range(REPEAT):
        match(text)
    return (time.perf_counter() - started) / REPEAT * 1e6


def hostile_re() -> str:
    code = (
        f"import re, time; p = re.compile({TRANSFER!r}); t = time.perf_counter(); "
        f"p.match({HOSTILE!r}); print(f'{{time.perf_counter() - t:.2f}} s')"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        return done.stdout.strip()
    except subprocess.TimeoutExpired:
        return "over 60 s (stopped)"


def main() -> None:
    import re

    import regex

    print(f"{os.cpu_count()} CPUs; ordinary header line, µs per match:")
    print(f"  re                {per_match(re.compile(HEADER).match, NORMAL):6.2f}")
    rx = regex.compile(HEADER)
    print(f"  regex             {per_match(rx.match, NORMAL):6.2f}")
    print(f"  regex + timeout   {per_match(lambda t: rx.match(t, timeout=1.0), NORMAL):6.2f}")
    try:
        import re2  # google-re2, optional
    except ImportError:
        re2 = None
    if re2 is not None:
        print(f"  google-re2        {per_match(re2.compile(HEADER).match, NORMAL):6.2f}")
    print(f"pathological transfer line ({len(HOSTILE.encode())} bytes), one match:")
    print(f"  re                {hostile_re()}")
    started = time.perf_counter()
    try:
        regex.compile(TRANSFER).match(HOSTILE, timeout=1.0)
        outcome = "done"
    except TimeoutError:
        outcome = "timed out"
    print(f"  regex + timeout   {time.perf_counter() - started:.3f} s ({outcome})")
    if re2 is not None:
        started = time.perf_counter()
        re2.compile(TRANSFER).match(HOSTILE)
        print(f"  google-re2        {time.perf_counter() - started:.4f} s")
    from kaohe.ingest.chat_window import looks_like_chat_window

    started = time.perf_counter()
    looks_like_chat_window(HOSTILE)
    print(f"  kaohe chat window {time.perf_counter() - started:.5f} s (string operations)")


if __name__ == "__main__":
    main()
