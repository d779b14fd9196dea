"""Precision of the default QA pack on real JD chats (docs/qa-precision.md).

Runs the pack's text rules over the agent lines of ``shared/corpus/jddc2019_sample`` and
prints, per rule, how many lines fire and their share of all agent lines; then the session
rules over its sessions (one per 会话编号, read into an in-memory store and through the
conversation model, kaohe.engine.conversation, as `kaohe qa run` reads a store), per rule the
sessions that fire and their share. The corpus has no timestamps (lines get one second each,
sessions a day apart), so slow_reply is not measured.
With ``--show N``
it prints up to N hits per rule for hand-checking (to the terminal only: the corpus is for
research use and is never copied into the project). Skips when the corpus is absent.

    PYTHONPATH=src python benchmarks/qa_precision.py [--corpus PATH] [--show 20]
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import polars as pl

from kaohe.qa.behaviour import behaviour_findings
from kaohe.qa.rules import SESSION_DETECTORS, load_pack
from kaohe.qa.scan import scan

CORPUS = Path(__file__).resolve().parents[2] / "shared/corpus/jddc2019_sample/chat_0.1per.txt"
COLUMNS = ["session", "user", "waiter_send", "transfer", "repeat", "sku", "text"]


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(
        path,
        separator="\t",
        has_header=False,
        new_columns=COLUMNS,
        schema_overrides={c: pl.Utf8 for c in COLUMNS},
        quote_char=None,
    )


def read_sessions(path: Path) -> pl.DataFrame:
    """The conversation model of the corpus: every line a message of its session (buyer = the
    session id, one agent), one second apart in file order, each session on its own day."""
    from kaohe.engine.conversation import frame
    from kaohe.store import Store

    lines = _read(path).with_row_index("n")
    start = datetime(2019, 1, 1)
    sender = pl.when(pl.col("waiter_send") == "1").then(pl.lit("agent")).otherwise(pl.lit("buyer"))
    day = pl.col("session").rank("dense").cast(pl.Int64)
    messages = lines.select(
        pl.format("L{}", pl.col("n")).alias("msg_key"),
        pl.lit("jd").alias("shop"),
        pl.lit("jd").alias("platform"),
        pl.col("session").alias("buyer"),
        pl.lit("agent").alias("agent"),
        sender.alias("sender"),
        (pl.lit(start) + pl.duration(days=day, seconds=pl.col("n"))).alias("time"),
        pl.col("text").fill_null(""),
        pl.col("n").cast(pl.Int64).alias("seq"),
    )
    with Store(":memory:") as store:
        store.con.register("_corpus", messages.to_arrow())
        cols = ", ".join(messages.columns)
        store.con.execute(f"INSERT INTO messages ({cols}) SELECT {cols} FROM _corpus")
        return pl.from_arrow(frame(store))  # type: ignore[return-value]


def read_agent_lines(path: Path) -> pl.DataFrame:
    """Agent lines (是否客服发送 = 1) as messages with sender 'agent'."""
    raw = _read(path)
    agent = raw.filter(pl.col("waiter_send") == "1").with_row_index("n")
    return agent.select(
        pl.format("L{}", pl.col("n")).alias("msg_key"),
        pl.lit("jd").alias("shop"),
        pl.col("user").alias("buyer"),
        pl.lit("agent").alias("agent"),
        pl.lit("agent").alias("sender"),
        pl.col("text").fill_null(""),
        pl.lit("text").alias("msg_type"),
    )


def table(findings: pl.DataFrame, pack_rules: list, lines: int) -> str:
    counts = dict(findings.group_by("rule").agg(pl.col("msg_key").n_unique()).iter_rows())
    out = ["| rule | name | severity | lines | share |", "|---|---|---|---:|---:|"]
    for r in pack_rules:
        n = counts.get(r.id, 0)
        out.append(f"| {r.id} | {r.name} | {r.severity} | {n} | {n / lines:.2%} |")
    soft = findings.filter(pl.col("severity") != "redline")["msg_key"].n_unique()
    out.append(f"| **non-red-line together** | | | {soft} | {soft / lines:.2%} |")
    return "\n".join(out)


def session_table(messages: pl.DataFrame, found: pl.DataFrame, pack_rules: list) -> str:
    sessions = messages["buyer"].n_unique()
    counts = dict(found.group_by("rule").agg(pl.col("buyer").n_unique()).iter_rows())
    out = [
        f"sessions: {sessions}",
        "| rule | name | severity | sessions | share |",
        "|---|---|---|---:|---:|",
    ]
    for r in pack_rules:
        n = counts.get(r.id, 0)
        note = " (no timestamps)" if r.detector == "slow_reply" else ""
        out.append(f"| {r.id} | {r.name}{note} | {r.severity} | {n} | {n / sessions:.2%} |")
    return "\n".join(out)


def show_hits(found: pl.DataFrame, messages: pl.DataFrame, n: int) -> None:
    """Up to n hits per rule, to the terminal only."""
    for rule, hits in found.group_by("rule", maintain_order=True):
        print(f"\n## {rule[0]}")
        sample = hits.join(messages.select("msg_key", "text"), on="msg_key").head(n)
        for row in sample.iter_rows(named=True):
            print(f"  [{row['matched']}] {row['text'][:120]}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--pack", default="default")
    ap.add_argument("--show", type=int, default=0, help="print N hits per rule to check")
    args = ap.parse_args()
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus} (skipped)")
        return 0
    pack = load_pack(args.pack)
    agent = read_agent_lines(args.corpus)
    findings = scan(agent, pack)
    rules = [r for r in pack.active() if r.scope == "agent"]
    print(f"agent lines: {agent.height}")
    print(table(findings, rules, agent.height))
    if args.show:
        show_hits(findings, agent, args.show)
    messages = read_sessions(args.corpus)
    behaviour = behaviour_findings(messages, pack)
    print()
    print(session_table(messages, behaviour, pack.active(SESSION_DETECTORS)))
    if args.show:
        show_hits(behaviour.filter(pl.col("rule") != "slow_reply"), messages, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
