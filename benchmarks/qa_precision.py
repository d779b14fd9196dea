"""Precision of the default QA pack on real JD chats (docs/qa-precision.md).

Runs the pack's text rules over the agent lines of ``shared/corpus/jddc2019_sample`` and
prints, per rule, how many lines fire and their share of all agent lines; then the session
rules over its sessions (one per 会话编号, read into an in-memory store and through the
conversation model, kaohe.engine.conversation, as `kaohe qa run` reads a store), per rule the
sessions that fire and their share. The corpus has no timestamps (lines get one second each,
sessions a day apart), so slow_reply is not measured.
The process rules (kaohe/qa/process.py) run on the same model with one addition: a session
JDDC flags as a repeat consultation (是否重复咨询) gets an earlier buyer line a day before (its
first contact); a buyer asking for 人工客服 is a hand-off; the corpus has no orders, so the
address-check and payment-reminder rules have nothing to judge there. With ``--show N``
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
from kaohe.qa.process import process_findings
from kaohe.qa.rules import PROCESS_DETECTORS, SESSION_DETECTORS, load_pack
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


def read_sessions(path: Path, first_contacts: bool = False) -> pl.DataFrame:
    """The conversation model of the corpus: every line a message of its session (buyer = the
    session id, one agent), one second apart in file order, each session on its own day. With
    `first_contacts`, the sessions JDDC flags as repeat consultations get a buyer line the day
    before: the earlier contact the corpus does not hold."""
    from kaohe.engine.conversation import frame
    from kaohe.store import Store

    raw = _read(path)
    lines = raw.with_row_index("n")
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
    if first_contacts:
        repeats = raw.filter(pl.col("repeat") == "1")["session"].unique()
        earlier = (
            messages.filter(pl.col("buyer").is_in(repeats.implode()))
            .group_by("buyer")
            .agg(pl.col("time").min())
            .select(
                pl.format("P{}", pl.col("buyer")).alias("msg_key"),
                pl.lit("jd").alias("shop"),
                pl.lit("jd").alias("platform"),
                "buyer",
                pl.lit("agent").alias("agent"),
                pl.lit("buyer").alias("sender"),
                (pl.col("time") - pl.duration(days=1)).alias("time"),
                pl.lit("(earlier contact)").alias("text"),
                pl.lit(-1, pl.Int64).alias("seq"),
            )
        )
        messages = pl.concat([messages, earlier])
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
    no_orders = {"no_address_check", "no_payment_reminder"}
    counts = dict(found.group_by("rule").agg(pl.col("buyer").n_unique()).iter_rows())
    out = [
        f"sessions: {sessions}",
        "| rule | name | severity | sessions | share |",
        "|---|---|---|---:|---:|",
    ]
    for r in pack_rules:
        n = counts.get(r.id, 0)
        note = " (no timestamps)" if r.detector == "slow_reply" else ""
        note = " (no orders in the corpus)" if r.detector in no_orders else note
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
    contacts = read_sessions(args.corpus, first_contacts=True)
    orders = pl.DataFrame(
        schema={
            "order_id": pl.Utf8,
            "shop": pl.Utf8,
            "buyer": pl.Utf8,
            "created_at": pl.Datetime("ms"),
            "paid_at": pl.Datetime("ms"),
        }
    )
    process = process_findings(contacts, orders, pack)
    found = pl.concat([behaviour, process], how="diagonal_relaxed")
    print()
    print(session_table(messages, found, pack.active(SESSION_DETECTORS | PROCESS_DETECTORS)))
    if args.show:
        show_hits(found.filter(pl.col("rule") != "slow_reply"), messages, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
