"""`kaohe qa run|findings|filtered|sample|import-reviews` (spec: cli.md, qa.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kaohe.commands import note
from kaohe.engine.periods import period_from_args
from kaohe.output import emit
from kaohe.spreadsheet import columns_of

if TYPE_CHECKING:
    from kaohe.store import Store

FINDING_COLUMNS = [
    "session",
    "agent",
    "buyer",
    "msg_id",
    "rule",
    "category",
    "severity",
    "span",
    "text",
]
FINDING_HEADERS = ["会话", "客服", "买家", "消息", "规则", "类别", "严重程度", "位置", "内容"]


@click.group("qa")
def command() -> None:
    """质检 / quality inspection: run a rule pack, list findings, sample, import reviews."""


@command.command("run")
@click.option(
    "--pack", "pack_ref", default="default", show_default=True, help="rule pack id or YAML file"
)
@click.option("--period", "-p", default=None, help="2026-10, 2026-Q4, 2026-W43, 2026-10-05")
@click.option("--from", "start", default=None)
@click.option("--to", "end", default=None)
@click.option("--set", "sets", multiple=True, help="parameter override key=value (session_gap=10)")
@click.pass_obj
def run_command(
    obj: Any,
    pack_ref: str,
    period: str | None,
    start: str | None,
    end: str | None,
    sets: tuple[str, ...],
) -> None:
    """scan the messages and store the findings (a re-run replaces them)."""
    from kaohe.qa.findings import run_pack
    from kaohe.qa.rules import load_pack

    pack = load_pack(pack_ref)  # an unknown pack: one line here, before any server call
    chosen = period_from_args(period, start, end)
    client = obj.server()
    if client is not None:  # the running server holds the store: run on its one writer
        click.echo(f"经由服务器质检 / running through the server at {client.info.url}", err=True)
        ref = (
            str(Path(pack_ref).resolve())
            if Path(pack_ref).suffix in (".yaml", ".yml")
            else pack_ref
        )
        body = {"pack": ref, "period": period, "start": start, "end": end, "sets": list(sets)}
        done = client.post("/qa/runs", body)
        _show_run(done["pack"], done["messages"], done["findings"], done["by_rule"])
        return
    with obj.open_store(need_data=True) as store:
        summary = run_pack(store, pack, chosen, _params(obj, sets))
    _show_run(pack.id, summary.messages, summary.findings, summary.by_rule)


def _show_run(pack: str, messages: int, findings: int, by_rule: dict[str, int]) -> None:
    """What `kaohe qa run` prints, run here or on the server."""
    click.echo(f"质检 / inspected {messages:,} 条消息 with {pack}: {findings:,} 条发现 / findings")
    for rule, n in sorted(by_rule.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {rule:<28} {n:>8,}")


@command.command("findings")
@click.option("--period", "-p", default=None)
@click.option("--from", "start", default=None)
@click.option("--to", "end", default=None)
@click.option("--agent", default=None)
@click.option("--severity", type=click.Choice(["info", "minor", "major", "redline"]), default=None)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option("--out", default=None)
@click.pass_obj
def findings_command(
    obj: Any,
    period: str | None,
    start: str | None,
    end: str | None,
    agent: str | None,
    severity: str | None,
    fmt: str,
    out: str | None,
) -> None:
    """the stored findings; buyer data in them is masked."""
    from kaohe.agents import resolve_agent
    from kaohe.qa.findings import findings

    with obj.open_store(read_only=True, need_data=True) as store:
        account = resolve_agent(store, agent) if agent else None
        rows = findings(store, period_from_args(period, start, end), account, severity)
        if not rows:
            note(_why_no_findings(store))
    columns = columns_of(FINDING_COLUMNS, FINDING_HEADERS)
    emit({"rows": rows}, rows, columns, fmt, out, title="质检发现", lang=obj.lang)


def _why_no_findings(store: Store) -> str:
    if not store.count("qa_findings"):
        return (
            f"数据库 {store.path} 中还没有质检发现：请先运行 kaohe qa run / store {store.path} "
            "holds no findings yet: run `kaohe qa run` first"
        )
    return (
        "没有符合条件（期间、客服、严重程度）的发现 / no finding matches the period, agent "
        "and severity"
    )


@command.command("filtered")
@click.option("--period", "-p", default=None)
@click.option("--from", "start", default=None)
@click.option("--to", "end", default=None)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option("--out", default=None)
@click.pass_obj
def filtered_command(
    obj: Any, period: str | None, start: str | None, end: str | None, fmt: str, out: str | None
) -> None:
    """advertising/spam sessions left out of every KPI (广告过滤), with what caught them."""
    from kaohe.qa.adfilter import COLUMNS, HEADERS, filtered_sessions

    with obj.open_store(read_only=True, need_data=True) as store:
        rows = filtered_sessions(store, period_from_args(period, start, end))
    emit(
        {"rows": rows},
        rows,
        columns_of(COLUMNS, HEADERS),
        fmt,
        out,
        title=f"广告/骚扰会话（已从指标中剔除）: {len(rows)}",
        lang=obj.lang,
    )


@command.command("sample")
@click.option("--per-agent", "n", type=int, default=5, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--flagged-share",
    type=float,
    default=0.25,
    show_default=True,
    help="share of each agent's sample reserved for sessions with findings",
)
@click.option("--period", "-p", default=None)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option("--out", default=None)
@click.option("--set", "sets", multiple=True, help="parameter override key=value (session_gap=10)")
@click.pass_obj
def sample_command(
    obj: Any,
    n: int,
    seed: int,
    flagged_share: float,
    period: str | None,
    fmt: str,
    out: str | None,
    sets: tuple[str, ...],
) -> None:
    """sessions to review: stratified per agent, reproducible with the seed."""
    from kaohe.privacy import mask_buyer
    from kaohe.qa.findings import flagged_sessions
    from kaohe.qa.sampling import sample_sessions

    with obj.open_store(read_only=True, need_data=True) as store:
        sessions = flagged_sessions(store, period_from_args(period, None, None), _params(obj, sets))
    chosen = sample_sessions(sessions, n, seed=seed, flagged_share=flagged_share)
    rows = [{**r, "session": _masked_session(r["session"], mask_buyer)} for r in chosen.to_dicts()]
    emit(
        {"rows": rows},
        rows,
        columns_of(
            ["session", "agent", "shop", "day", "flagged", "why"],
            ["会话", "客服", "店铺", "日期", "有发现", "原因"],
        ),
        fmt,
        out,
        title="抽检样本",
    )


def _params(obj: Any, sets: tuple[str, ...]) -> dict[str, Any]:
    """The engine parameters (defaults → kaohe.toml → --set, kaohe.params): the session gap,
    reply horizon … the inspection's conversation model shares with `kaohe kpi`."""
    return dict(obj.params(sets).engine)


def _masked_session(session: str, mask: Any) -> str:
    shop, buyer, rest = session.split("/", 2)
    return f"{shop}/{mask(buyer)}/{rest}"


@command.command("import-reviews")
@click.argument("files", nargs=-1, required=True)
@click.pass_context
def import_reviews_command(ctx: click.Context, files: tuple[str, ...]) -> None:
    """manual review results (CSV/XLSX) into qa_reviews; bad rows go to quarantine (exit 3)."""
    from kaohe.errors import EXIT_REJECTED
    from kaohe.qa.reviews import import_reviews

    client = ctx.obj.server()
    if client is not None:  # the server imports them as `kaohe import --table qa_reviews`
        from kaohe.commands.import_ import check_args, through_server

        check_args(files, "qa_reviews")
        through_server(ctx, client, files, {"table": "qa_reviews"}, "table", None)
        return
    rejected = 0
    with ctx.obj.open_store(create=True) as store:
        for path in files:
            r = import_reviews(store, path, zone=ctx.obj.config.zone)
            rejected += r.rejected
            click.echo(
                f"{path}: 读取 {r.read}  新增 {r.inserted}  更新 {r.updated}  拒收 {r.rejected}"
            )
    if rejected:
        click.echo("被拒绝的行见 / rejected rows: kaohe quarantine")
        ctx.exit(EXIT_REJECTED)
