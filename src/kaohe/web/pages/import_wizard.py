"""The import wizard (issue 14): a file whose layout no preset reads is mapped by hand.

Upload → see the file's first rows → pick the table → map each column from the file's own
headers (headers that an alias of the column names are pre-selected) → preview the parsed and
the rejected rows → import, saving the mapping as a preset in the mappings folder, where
detection finds it for the next file of that layout and `kaohe import --preset FILE` reads it.

An uploaded file waits in a staging folder under a random token, readable only by the user
who uploaded it, until it is imported or an hour has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from kaohe import schema
from kaohe.errors import KaoheError
from kaohe.web import audit, views
from kaohe.web.auth import User, csrf_protect, require_roles
from kaohe.web.pages.imports import (
    ROLES,
    discard,
    import_settings,
    import_staged,
    page_context,
    staged_file,
)
from kaohe.web.render import render

router = APIRouter()
Allowed = Annotated[User, Depends(require_roles(*ROLES))]
PREVIEW_ROWS = 10
# columns a table cannot do without although the data model marks them optional
ALSO_NEEDED = {"messages": ("agent", "text")}


# ---------------------------------------------------------------- the mapping


@dataclass
class ColumnChoice:
    name: str
    label: str
    needed: bool
    chosen: str | None


def column_choices(table: str, headers: list[str], picks: dict[str, str]) -> list[ColumnChoice]:
    """Every column of `table`: the header picked (or the one an alias names), needed first."""
    from kaohe.ingest.headers import find_header

    t = schema.TABLES[table]
    needed = {c.name for c in t.columns if c.required} | set(ALSO_NEEDED.get(table, ()))
    out = []
    taken: set[str] = set()
    for col in sorted(t.columns, key=lambda c: c.name not in needed):
        if col.name in picks:
            chosen = picks[col.name] or None
        else:
            chosen = find_header(headers, [col.name, *col.aliases], frozenset(taken))
        if chosen:
            taken.add(chosen)
        label = next((a for a in col.aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)), "")
        out.append(ColumnChoice(col.name, label, col.name in needed, chosen))
    return out


def picks_of(form: Any, headers: list[str]) -> dict[str, str]:
    """column -> header chosen on the form ('' when the user chose none)."""
    out = {}
    for key, value in form.items():
        if key.startswith("map_") and (value == "" or value in headers):
            out[key[4:]] = str(value)
    return out


def mapping_preset(table: str, picks: dict[str, str], form: Any, headers: list[str]) -> Any:
    """The Preset the form describes; its signature is every header mapped to a needed
    column, so detection takes it only for files that have them."""
    from kaohe.ingest.presets import USER_PRIORITY, Preset

    name = str(form.get("name") or "").strip() or "我的映射"
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name).strip("_")
    columns = {col: [header] for col, header in picks.items() if header}
    choices = column_choices(table, headers, picks)
    signature: list[str | list[str]] = [
        c.chosen for c in choices if c.needed and c.chosen and c.name in columns
    ]
    defaults = {
        col: str(form.get(col)).strip()
        for col in ("shop", "platform")
        if str(form.get(col) or "").strip() and col in schema.TABLES[table].column_names
    }
    return Preset(
        id=slug or "my_mapping",
        table=table,
        name_zh=name,
        name_en=name,
        description="网页导入向导保存的映射 / saved by the web import wizard",
        priority=USER_PRIORITY,
        signature=signature,
        columns=columns,
        defaults=defaults,
        sample_headers=headers,
    )


def missing_needed(table: str, preset: Any) -> list[str]:
    t = schema.TABLES[table]
    needed = [c.name for c in t.columns if c.required and (t.name, c.name) != ("messages", "text")]
    return [c for c in needed if c not in preset.columns and c not in preset.defaults]


# ---------------------------------------------------------------- pages


def _read(path: Path, request: Request) -> Any:
    from kaohe.ingest.detect import header_matcher
    from kaohe.ingest.readers import read_raw

    settings = import_settings(request)
    return read_raw(path, settings["limits"], header_matcher(settings["mappings"]))


def _closest_table(headers: list[str], request: Request) -> tuple[str, Any]:
    """The table (and the DetectionError) of the closest preset; messages when none."""
    from kaohe.ingest.detect import DetectionError, choose

    try:
        found = choose(headers, mappings=import_settings(request)["mappings"])
        return found.preset.table, None
    except DetectionError as exc:
        return (exc.closest.preset.table if exc.closest else "messages"), exc


def wizard_context(
    request: Request, token: str, path: Path, form: Any, table: str | None
) -> dict[str, Any]:
    raw = _read(path, request)
    headers = [c for c in raw.frame.columns if c != "_row"]
    closest_table, problem = _closest_table(headers, request)
    table = table if table in schema.TABLES else closest_table
    picks = picks_of(form, headers) if form is not None else {}
    first = raw.frame.head(PREVIEW_ROWS)
    return {
        "token": token,
        "file": path.name,
        "headers": headers,
        "first_rows": [[r.get(h) for h in headers] for r in first.iter_rows(named=True)],
        "problem": str(problem) if problem else None,
        "table": table,
        "tables": [(name, t.label) for name, t in schema.TABLES.items()],
        "choices": column_choices(table, headers, picks),
        "name": (form.get("name") if form is not None else None) or Path(path.name).stem,
        "shop": form.get("shop", "") if form is not None else "",
        "platform": form.get("platform", "") if form is not None else "",
    }


@router.get("/imports/map/{token}")
def wizard(request: Request, token: str, user: Allowed, table: str = "") -> Response:
    path = staged_file(token, user)
    try:
        context = wizard_context(request, token, path, None, table or None)
    except KaoheError as exc:
        raise HTTPException(400, str(exc)) from None
    return render(request, "import_wizard.html", context)


def _preview(request: Request, path: Path, preset: Any) -> dict[str, Any]:
    """The rows as the mapping reads them, and those validation would reject (no write)."""
    from kaohe.ingest.presets import map_with_preset
    from kaohe.ingest.validate import validate

    settings = import_settings(request)
    raw = _read(path, request)
    mapped = map_with_preset(preset, raw.frame, title_lines=raw.title_lines, file_name=path.name)
    typed, rejects = validate(
        schema.TABLES[preset.table], mapped.frame, settings["zone"], settings["limits"]
    )
    columns = [c for c in mapped.frame.columns if c != "_row"]
    parsed = mapped.frame.head(20).iter_rows(named=True)
    return {
        "columns": columns,
        "parsed": [[r.get(c) for c in columns] for r in parsed],
        "rejects": rejects.head(50).to_dicts(),
        "rows": mapped.frame.height,
        "ok": typed.height,
        "rejected": mapped.frame.height - typed.height,
        "skipped": len(mapped.skipped),
        "ignored": mapped.ignored,
    }


async def posted_form(request: Request) -> Any:
    return await request.form()


FormDep = Annotated[Any, Depends(posted_form)]


@router.post("/imports/map/{token}/preview", dependencies=[Depends(csrf_protect)])
def preview(request: Request, token: str, user: Allowed, form: FormDep) -> Response:
    path = staged_file(token, user)
    table = str(form.get("table") or "")
    context = wizard_context(request, token, path, form, table)
    preset = mapping_preset(
        context["table"], picks_of(form, context["headers"]), form, context["headers"]
    )
    missing = missing_needed(context["table"], preset)
    if missing:
        context["error"] = _missing_text(missing, context["table"])
        return render(request, "import_wizard.html", context, status=400)
    try:
        context["preview"] = _preview(request, path, preset)
    except KaoheError as exc:
        context["error"] = str(exc)
        return render(request, "import_wizard.html", context, status=400)
    return render(request, "import_wizard.html", context)


def _missing_text(missing: list[str], table: str) -> str:
    t = schema.TABLES[table]
    names = "、".join(
        next((a for a in t.column(c).aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)), c)
        for c in missing
    )
    return f"请为这些列选择文件中的列：{names} / choose a file column for: {', '.join(missing)}"


@router.post("/imports/map/{token}/import", dependencies=[Depends(csrf_protect)])
def import_mapped(
    request: Request, token: str, user: Allowed, form: FormDep, st: views.StoreDep
) -> Response:
    from kaohe.ingest.presets import builtin_presets, save_user_preset

    path = staged_file(token, user)
    table = str(form.get("table") or "")
    context = wizard_context(request, token, path, form, table)
    preset = mapping_preset(
        context["table"], picks_of(form, context["headers"]), form, context["headers"]
    )
    missing = missing_needed(context["table"], preset)
    if preset.id in {p.id for p in builtin_presets()}:
        context["error"] = f"映射名称与内置预设重名：{preset.id} / the name is a built-in preset's"
    elif missing:
        context["error"] = _missing_text(missing, context["table"])
    settings = import_settings(request)
    if settings["mappings"] is None:
        context["error"] = "没有保存映射的文件夹 / no folder to save mappings in"
    if context.get("error"):
        return render(request, "import_wizard.html", context, status=400)
    saved = save_user_preset(preset, settings["mappings"])
    audit.record(
        st, user, "mapping", f"{saved.name}: {preset.table}, {len(preset.columns)} columns"
    )
    report = import_staged(
        st, path.name, path, {"preset": preset.id}, settings, request.app.state.run_import
    )
    audit.record(st, user, "import", f"{report.file}: {report.inserted} inserted via {preset.id}")
    if report.error is None:
        discard(path)
    return render(request, "imports.html", {**page_context(st, [report]), "saved": saved.name})
