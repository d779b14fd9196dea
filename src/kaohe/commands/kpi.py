"""`kaohe kpi`: metric values for a period, grouped (spec: cli.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kaohe.commands import note
from kaohe.engine.periods import Period, period_from_args
from kaohe.errors import UsageError
from kaohe.output import Column, emit, render_sections

if TYPE_CHECKING:
    from kaohe.store import Store

if TYPE_CHECKING:
    from kaohe.engine.registry import Metric


def data_span(store: Store, period: Period | None) -> tuple[str, str]:
    """The period's dates, or the first and last day of the store's data (exit 2 when it
    holds no dated data). A period without chats is still reported: the metrics of calls,
    reviews, tickets, refunds or metric_values have their figures, the others are null."""
    from kaohe.engine.coverage import data_span as stored_span

    if period is not None:
        return period.start.isoformat(), period.end.isoformat()
    span = stored_span(store)
    if span is None:
        raise store.empty_error()
    return span[0].isoformat(), span[1].isoformat()


def empty_source_notes(store: Store, period: Period | None, request: Any) -> list[str]:
    """Why some requested metrics are null: the tables they read are empty in the period."""
    from kaohe.engine.coverage import empty_notes

    return empty_notes(store, period, request.metrics, request.params)


KEY_LABELS = {
    "agent": ("客服", "Agent"),
    "team": ("组", "Team"),
    "shop": ("店铺", "Shop"),
    "platform": ("平台", "Platform"),
    "day": ("日期", "Day"),
}


@click.command("kpi")
@click.option("--period", "-p", default=None, help="2026-10, 2026-Q4, 2026-W43, 2026-10-05, last30")
@click.option("--from", "start", default=None, help="first local date (YYYY-MM-DD)")
@click.option("--to", "end", default=None, help="last local date (YYYY-MM-DD)")
@click.option(
    "--by",
    default="agent",
    show_default=True,
    help="agent,team,shop,platform,day,week,month or all",
)
@click.option("--metrics", "-m", default=None, help="comma-separated metric ids")
@click.option("--agent", "agents", multiple=True, help="only these agents")
@click.option("--set", "sets", multiple=True, help="parameter override key=value")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option("--out", default=None, help="output file")
@click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True
)
@click.option("--master", default="local[2]", show_default=True, help="Spark master URL")
@click.option(
    "--spark-dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="with --engine spark: a folder every Spark worker can read (shared storage), where "
    "the store's tables are exported for the run; default: this machine's temporary folder",
)
@click.option("--no-facts", is_flag=True, help="compute from messages, not the facts table")
@click.option(
    "--compare-platform",
    is_flag=True,
    help="show the platform's own figures (imported reports) and the difference",
)
@click.pass_obj
def command(
    obj: Any,
    period: str | None,
    start: str | None,
    end: str | None,
    by: str,
    metrics: str | None,
    agents: tuple[str, ...],
    sets: tuple[str, ...],
    fmt: str,
    out: str | None,
    engine: str,
    master: str,
    spark_dir: str | None,
    no_facts: bool,
    compare_platform: bool,
) -> None:
    """指标 / metric values for a period."""
    from kaohe.agents import resolve_agent
    from kaohe.engine.compute import make_request
    from kaohe.engine.facts import answer
    from kaohe.engine.settle import settled

    chosen = period_from_args(period, start, end)
    overrides = obj.params(sets).engine
    ids = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    request = make_request(by, chosen, ids, overrides)  # an unknown metric: exit 1 first
    if compare_platform:
        _check_comparable(request.by, chosen)
    client = obj.server()
    # the running server holds the store: read through its API, or (options the API does not
    # take) from a snapshot it makes, below
    local_only = (start, end, sets, engine == "spark", no_facts, compare_platform)
    if client is not None and not any(local_only) and chosen is not None:
        params = {"period": period, "by": ",".join(request.by) or "all", "agent": list(agents)}
        if metrics:
            params["metrics"] = metrics
        answer_ = client.get("/kpis", params)
        rows, notes = answer_["rows"], list(answer_["notes"])
        first, last = str(chosen.start), str(chosen.end)
        _show(obj, request, rows, notes, first, last, bool(answer_["settled"]), fmt, out, False)
        return
    with obj.open_store(need_data=True, reads=True) as store:
        if agents:
            named = [resolve_agent(store, agent) for agent in agents]
            request = make_request(by, chosen, ids, overrides, named)
        first, last = data_span(store, chosen)
        notes = empty_source_notes(store, chosen, request)
        if engine == "spark":
            from kaohe.engine.spark import run_on_spark

            rows = run_on_spark(store, request, master=master, shared_dir=spark_dir)
        else:
            rows = answer(store, request, use_facts=not no_facts)
        if compare_platform:
            rows = _compared(store, rows, request, chosen)
    is_settled = settled(chosen, overrides, metrics=request.metrics)
    _show(obj, request, rows, notes, first, last, is_settled, fmt, out, compare_platform)


def _show(
    obj: Any,
    request: Any,
    rows: list[dict[str, Any]],
    notes: list[str],
    first: str,
    last: str,
    is_settled: bool,
    fmt: str,
    out: str | None,
    compare_platform: bool,
) -> None:
    payload = {
        "from": first,
        "to": last,
        "by": list(request.by),
        "settled": is_settled,
        "notes": notes,
        "rows": rows,
    }
    for text in notes:
        note(text)
    lang = obj.lang
    keys = _key_columns(request.by, lang)
    title = _title(first, last, payload["settled"], lang)
    if fmt in ("table", "xlsx"):
        unnamed = "(none)" if lang == "en" else "(未归属)"  # e.g. calls carry no shop
        rows = [{**r, **{k: unnamed for k in request.by if r.get(k) is None}} for r in rows]
    if fmt == "table" and not out:
        _tables_by_section(rows, keys, request, compare_platform, lang, title)
        return
    columns = [*keys, *_metric_columns(request.metrics, compare_platform, lang)]
    emit(payload, rows, columns, fmt, out, title=title, lang=lang)


def _check_comparable(by: tuple[str, ...], period: Period | None) -> None:
    if by not in (("agent",), ("shop",)):
        raise UsageError(
            "--compare-platform needs --by agent or --by shop (the platform "
            "reports are per agent or per shop)"
        )
    if period is None:
        raise UsageError("--compare-platform needs a period (--period 2026-10 or --from/--to)")


def _compared(
    store: Store, rows: list[dict[str, Any]], request: Any, period: Period | None
) -> list[dict[str, Any]]:
    from kaohe.engine.compare import platform_values, with_platform

    key = request.by[0]
    values = platform_values(store, period, request.metrics, [r[key] for r in rows])
    return with_platform(rows, key, request.metrics, values)


def _key_columns(by: tuple[str, ...], lang: str) -> list[Column]:
    index = 1 if lang == "en" else 0
    return [
        Column(k, KEY_LABELS[k][index], role="name" if k in ("agent", "shop") else "key")
        for k in by
    ]


def _metric_columns(metrics: list[Metric], compare: bool, lang: str) -> list[Column]:
    """A column per metric (with the platform's figure and the difference when compared),
    in the metric's unit."""
    from kaohe.engine.compare import DIFF, PLATFORM

    if not compare:
        return [Column(m.id, m.label(lang), m.unit) for m in metrics]
    platform, diff = ("platform", "diff") if lang == "en" else ("平台", "差异")
    return [
        column
        for m in metrics
        for column in (
            Column(m.id, m.label(lang), m.unit),
            Column(m.id + PLATFORM, f"{m.label(lang)}({platform})", m.unit),
            Column(m.id + DIFF, f"{m.label(lang)}({diff})", m.unit),
        )
    ]


def _title(first: str, last: str, is_settled: bool, lang: str) -> str:
    """The table's title; a period not yet settled says so (its figures can still move)."""
    mark = "" if is_settled else (" (provisional)" if lang == "en" else " (未结算, 数据可能变动)")
    return f"KPI {first} – {last}{mark}"


SECTION_LABELS = {
    "Reception and workload": "接待与工作量",
    "Response": "响应",
    "Named platform instances": "平台口径",
    "Sales, conversion and attribution": "销售、转化与归属",
    "Satisfaction": "满意度",
    "Online time": "在线时长",
    "After-sales": "售后",
    "Quality": "质检",
    "Operations, complaints, call centre": "运营、投诉与呼叫中心",
}


def _tables_by_section(
    rows: list[dict[str, Any]],
    keys: list[Column],
    request: Any,
    compare: bool,
    lang: str,
    title: str,
) -> None:
    """On the terminal, many metrics become one table per catalogue section (split further
    to fit the terminal's width) instead of one unreadably narrow table. Piped: one TSV."""
    by_section: dict[str, list[Metric]] = {}
    for metric in request.metrics:
        by_section.setdefault(metric.section, []).append(metric)
    sections = []
    for section, metrics in by_section.items():
        name = section if lang == "en" else SECTION_LABELS.get(section, section)
        label = f"{title} · {name}" if len(by_section) > 1 else title
        sections.append((label, _metric_columns(metrics, compare, lang)))
    render_sections(rows, keys, sections, lang)
