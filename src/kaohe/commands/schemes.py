"""`kaohe schemes list|show|validate` (spec: cli.md, schemes.md)."""

from __future__ import annotations

from typing import Any

import click

from kaohe.output import Column, emit


@click.group("schemes")
def command() -> None:
    """考核方案 / assessment schemes: the presets, one in full, or check a file."""


@command.command("list")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
def list_command(fmt: str) -> None:
    """the preset schemes."""
    from kaohe.schemes import list_schemes

    rows = [
        {
            "id": s.id,
            "name": s.name,
            "items": len(s.items),
            "max_total": s.max_total,
            "grades": " / ".join(g.label for g in s.grades),
            "source": s.source,
        }
        for s in list_schemes()
    ]
    emit(
        {"rows": rows},
        rows,
        [
            Column("id", "方案", role="key"),
            Column("name", "名称"),
            Column("items", "考核项", "count"),
            Column("max_total", "满分", "points"),
            Column("grades", "等级"),
            Column("source", "来源"),
        ],
        fmt,
        None,
        title="考核方案 / schemes",
    )


@command.command("show")
@click.argument("scheme_ref")
def show_command(scheme_ref: str) -> None:
    """one scheme in full: items, rules, bands, grades, parameters."""
    from kaohe.schemes import load_scheme
    from kaohe.schemes.docs import describe

    click.echo(describe(load_scheme(scheme_ref)))


@command.command("validate")
@click.argument("files", nargs=-1, required=True)
@click.pass_obj
def validate_command(obj: Any, files: tuple[str, ...]) -> None:
    """check scheme files; an error names the file, line and field (exit 1)."""
    from kaohe.schemes import load_scheme

    for path in files:
        scheme = load_scheme(path)
        click.echo(
            f"✓ {path}: {scheme.id} {scheme.name} — {len(scheme.items)} 项, "
            f"满分 {scheme.max_total:g}"
        )
        if scheme.full_marks is None:
            click.echo(
                f"  ! 未声明 full_marks：考核项合计 {scheme.max_total:g} 分，声明后会核对 / no "
                f"full_marks declared: the items add up to {scheme.max_total:g}; declare it "
                "to have the weights checked",
                err=True,
            )
