"""`kaohe check --period P [--preset ID]`: platform compliance (spec: cli.md,
platform-rules.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from kaohe.engine.periods import parse_period
from kaohe.output import Column, emit
from kaohe.spreadsheet import Role, columns_of

COLUMNS = [
    "preset",
    "check",
    "platform",
    "subject",
    "shop",
    "agent",
    "cycle",
    "value",
    "projected",
    "threshold",
    "status",
    "consequence",
    "cases_total",
    "owed",
]


@click.command("check")
@click.option(
    "--period", "-p", required=True, help="2026-10, 2026-Q4, 2026-W43, 2026-10-05, last30"
)
@click.option(
    "--preset", "presets", multiple=True, help="compliance preset id (repeatable; default: all)"
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    help="PRESET.threshold=…, PRESET.margin=…, PRESET.CHECK.threshold=…, or a metric parameter",
)
@click.option(
    "--as-of", "as_of", default=None, help="judge as at this time (YYYY-MM-DD[ HH:MM]); default now"
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option("--out", default=None, help="output file")
@click.pass_obj
def command(
    obj: Any,
    period: str,
    presets: tuple[str, ...],
    sets: tuple[str, ...],
    as_of: str | None,
    fmt: str,
    out: str | None,
) -> None:
    """平台合规检查 / platform compliance: pass, at risk or fail per shop and cycle."""
    from kaohe.compliance import list_presets, load_preset, run_checks
    from kaohe.compliance.check import ensure_results

    parse_period(period)  # a clear error before any work
    chosen = [load_preset(p) for p in presets] or list_presets()
    params = obj.params(sets, presets=chosen)
    now = _as_of(as_of)
    lang = obj.lang
    with obj.open_store(need_data=True, reads=True) as store:
        results = ensure_results(
            run_checks(store, period, list(presets) or None, now, params),
            period,
        )
    if fmt == "xlsx":
        _xlsx(results, out, lang)
        return
    if fmt in ("json", "csv"):
        from kaohe.compliance.report import result_row

        rows = [result_row(r, lang) for r in results]
        emit({"period": period, "rows": rows}, rows, columns_of(COLUMNS), fmt, out)
        return
    _terminal(results, period, lang)


def _as_of(text: str | None) -> datetime | None:
    from kaohe.errors import UsageError

    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of: not a time (YYYY-MM-DD[ HH:MM]): {text!r}") from None


def _xlsx(results: list, out: str | None, lang: str) -> None:
    from kaohe.compliance.report import write_sheet
    from kaohe.spreadsheet import Workbook

    if not out:
        raise click.UsageError("--format xlsx needs --out FILE")
    with Workbook(out, lang) as book:
        write_sheet(book, results, lang)
    click.echo(out)


def _terminal(results: list, period: str, lang: str) -> None:
    """The summary per rule and subject (a daily rule: one line counting its days), then
    each failing or at-risk cycle with its consequence and first cases."""
    from kaohe.compliance.report import (
        HEADERS,
        TERMINAL_COLUMNS,
        case_lines,
        check_label,
        consequence_text,
        notes_text,
        preset_label,
        result_threshold_text,
        status_label,
        summary_rows,
        value_text,
    )
    from kaohe.output import line, render_table
    from kaohe.units import format_value

    h = HEADERS[lang]
    roles: dict[str, Role] = {"preset": "key", "check": "key", "subject": "name"}
    render_table(
        summary_rows(results, lang),
        [Column(c, h[c], role=roles.get(c, "value")) for c in TERMINAL_COLUMNS],
        title=f"{h['title']} {period}",
        lang=lang,
    )
    bad = [r for r in results if r.status in ("fail", "at_risk")]
    if bad:
        line("")
        line(f"{h['details']}:")
    for r in bad:
        mark = "✗" if r.status == "fail" else "!"
        projected = f", {h['projected']} {value_text(r, lang)}" if r.running else ""
        line(
            f"{mark} {preset_label(r.preset, lang)} · {check_label(r.preset, r.check, lang)}"
            f" · {r.subject} · {r.cycle}: {value_text(r, lang)} ({result_threshold_text(r, lang)})"
            f"{projected} {status_label(r.status, lang)}"
        )
        line(f"{h['consequence']}: {consequence_text(r, lang)}", 4)
        if r.owed is not None:
            owed = "owed to buyers" if lang == "en" else "应付买家违约金"
            line(f"{owed}: {format_value(r.owed, 'yuan', lang)}", 4)
        for note in notes_text(r, lang):
            line(note, 4)
        for case in case_lines(r, 3):
            line(f"- {case}", 4)
