"""The import page (admin and supervisor): upload export files, import each with
kaohe.ingest.import_file (one transaction per file, as `kaohe import`), see read / inserted /
updated / rejected / skipped per file, the columns not read, the rejected rows; /quarantine.xlsx
downloads every rejected row. A file whose layout no preset reads opens the import wizard
(kaohe.web.pages.import_wizard). Uploads are capped (`[web] max_upload_mb`) and streamed to
disk, never held in memory whole. Imports and downloads are audited."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from kaohe import schema
from kaohe.errors import KaoheError
from kaohe.import_report import FileReport
from kaohe.web import audit, views
from kaohe.web.auth import User, csrf_protect, require_roles
from kaohe.web.i18n import translate
from kaohe.web.render import render

if TYPE_CHECKING:
    from kaohe.store import Store

router = APIRouter()

ROLES = ("admin", "supervisor")
Allowed = Annotated[User, Depends(require_roles(*ROLES))]
QUARANTINE_COLUMNS = ("file", "row", "column", "value", "reason")
RECENT = 20
MAX_NAME_BYTES = 200  # a stored file name (the import log keeps it)
CHUNK = 1024 * 1024
STAGING = "kaohe-uploads"
KEEP_S = 3600  # a staged upload waits this long for the wizard
TOKEN_CHARS = set("0123456789abcdef")


def safe_name(name: str | None) -> str:
    """The uploaded file's own name without any directory part (a name is never a path),
    shortened to MAX_NAME_BYTES keeping its extension."""
    base = re.sub(r"[\x00-\x1f]", "", re.split(r"[\\/]", name or "")[-1]).strip()
    base = base if base not in ("", ".", "..") else "upload"
    if len(base.encode()) <= MAX_NAME_BYTES:
        return base
    stem, dot, ext = base.rpartition(".")
    ext = f".{ext}" if dot and len(ext) <= 10 else ""
    stem = stem if dot and ext else base
    while len((stem + "…" + ext).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + "…" + ext


# ---------------------------------------------------------------- upload limits


def upload_limit(request: Request) -> int:
    """The largest upload in bytes: `[web] max_upload_mb` (see kaohe.ingest.limits)."""
    from kaohe.ingest.limits import limits_from_config

    return limits_from_config(getattr(request.app.state, "config", None)).upload_bytes


def too_large(limit: int) -> HTTPException:
    mb = limit // (1024 * 1024)
    return HTTPException(413, f"上传的文件过大（上限 {mb} MB） / upload too large (limit {mb} MB)")


async def bounded_body(request: Request) -> None:
    """Refuse an upload over the limit before reading it (its declared length) or while
    reading it (a body without one): the form parser spools files to disk as they arrive."""
    limit = upload_limit(request) + CHUNK  # room for the form's own fields
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit - CHUNK)
    receive = request.receive
    seen = 0

    async def counted() -> Any:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise too_large(limit - CHUNK)
        return message

    request._receive = counted  # noqa: SLF001 - the one hook Starlette offers for the body


async def upload_form(request: Request) -> Any:
    """The parsed multipart form (parsed once, after bounded_body and the CSRF check)."""
    return await request.form(max_files=50, max_fields=200)


Upload = [Depends(require_roles(*ROLES)), Depends(bounded_body), Depends(csrf_protect)]
FormDep = Annotated[Any, Depends(upload_form)]


def save_upload(upload: UploadFile, target: Path, limit: int) -> int:
    """Copy an upload to `target` in chunks; the bytes written."""
    written = 0
    upload.file.seek(0)
    with target.open("wb") as out:
        while chunk := upload.file.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise too_large(limit)
            out.write(chunk)
    return written


# ---------------------------------------------------------------- staging (see also the wizard)


def staging_root() -> Path:
    root = Path(tempfile.gettempdir()) / STAGING
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def stage(upload: UploadFile, name: str, user: User, limit: int) -> Path:
    """Save an upload to its own staging folder; returns the file's path."""
    sweep()
    folder = staging_root() / secrets.token_hex(16)
    folder.mkdir(mode=0o700)
    meta = {"owner": user.username, "name": name, "at": time.time()}
    (folder / "meta.json").write_text(json.dumps(meta), "utf-8")
    target = folder / name
    try:
        save_upload(upload, target, limit)
    except BaseException:
        discard(target)
        raise
    return target


def discard(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)


def sweep() -> None:
    """Staged files older than an hour go."""
    cutoff = time.time() - KEEP_S
    for folder in staging_root().iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def staged_file(token: str, user: User) -> Path:
    """The staged upload behind `token`, if it is this user's; else 404."""
    gone = HTTPException(
        404, "上传的文件已过期或不存在，请重新上传 / the upload is gone: upload it again"
    )
    if len(token) != 32 or not set(token) <= TOKEN_CHARS:
        raise gone
    folder = staging_root() / token
    try:
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
    except (OSError, ValueError):
        raise gone from None
    path = folder / str(meta.get("name", ""))
    if meta.get("owner") != user.username or not path.is_file():
        raise gone
    return path


# ---------------------------------------------------------------- importing


def import_options(form: Any) -> dict[str, str | None]:
    table = str(form.get("table") or "")
    return {
        "table": table if table in schema.TABLES else None,
        "preset": str(form.get("preset") or "") or None,
        "platform": str(form.get("platform") or "") or None,
        "shop": str(form.get("shop") or "") or None,
        "period": str(form.get("period") or "") or None,
    }


def import_settings(request: Request) -> dict[str, Any]:
    """zone, limits and the mappings folder of the app's configuration."""
    from kaohe.ingest.limits import limits_from_config
    from kaohe.ingest.presets import mappings_dir

    config = request.app.state.config
    return {
        "zone": config.zone,
        "limits": limits_from_config(config),
        "mappings": mappings_dir(config.db, config.section("import")),
    }


def import_staged(
    st: Store | None,
    name: str,
    path: Path,
    options: dict[str, Any],
    settings: dict[str, Any],
    run: Callable[[Callable[[Any], Any]], Any] | None = None,
) -> FileReport:
    """Import a file saved on disk under the name it was uploaded with; the import log and
    the quarantine keep that name, not the temporary path. `run(job)` runs the import job on
    a writer (the server's writer queue, kaohe.web.workers.Writer.call); default: on `st`.
    The rejected rows are read on the writer too: `st` is needed only without `run`."""
    from kaohe.imports import import_file
    from kaohe.ingest.detect import DetectionError

    run = run or (lambda job: job(st))
    report = FileReport(file=name)

    def job(writer: Any) -> Any:
        result = import_file(writer, path, **settings, **options)
        writer.con.execute(
            "UPDATE import_log SET file = ? WHERE import_id = ?", [name, result.import_id]
        )
        writer.con.execute("UPDATE quarantine SET file = ? WHERE sha256 = ?", [name, result.sha256])
        return result, quarantine_rows(writer, result.sha256)

    try:
        result, rejects = run(job)
    except DetectionError as exc:
        report.error = str(exc).replace(str(path), name)
        report.map_token = path.parent.name
        return report
    except KaoheError as exc:
        report.error = str(exc).replace(str(path), name)
        return report
    report.fill(result)
    report.rejects = rejects
    return report


def quarantine_rows(st: Store, sha256: str | None = None) -> list[dict[str, Any]]:
    """Rejected rows (of one file by its checksum, or all) in file, row, column order."""
    where, args = ("WHERE sha256 = ?", [sha256]) if sha256 else ("", [])
    rows = st.con.execute(
        f'SELECT file, "row", "column", value, reason FROM quarantine {where} '
        'ORDER BY file, "row", "column"',
        args,
    ).fetchall()
    return [dict(zip(QUARANTINE_COLUMNS, r, strict=True)) for r in rows]


def recent_imports(st: Store) -> list[dict[str, Any]]:
    cur = st.con.execute(
        "SELECT imported_at, file, table_name, preset, rows_read, rows_inserted, rows_updated, "
        "rows_rejected, rows_read - rows_inserted - rows_updated - rows_rejected "
        f"FROM import_log ORDER BY import_id DESC LIMIT {RECENT}"
    )
    names = ["at", "file", "table", "preset", "read", "inserted", "updated", "rejected"]
    names.append("skipped")
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def page_context(
    st: Store, reports: list[FileReport] | None = None, error: str | None = None
) -> dict[str, Any]:
    return {
        "reports": reports,
        "error": error,
        "recent": recent_imports(st),
        "tables": list(schema.TABLES),
    }


@router.get("/imports")
def imports_page(request: Request, user: Allowed, st: views.StoreDep) -> Response:
    if views.wants_xlsx(request):
        lang = views.lang_of(request)
        cols = [
            (c, translate(f"imports.{c}", lang))
            for c in ("at", "file", "table", "read", "inserted", "updated", "rejected", "skipped")
        ]
        return views.export(st, user, recent_imports(st), cols, "imports.xlsx", "recent imports")
    return render(request, "imports.html", page_context(st))


@router.post("/imports", dependencies=Upload)
def upload(request: Request, user: Allowed, form: FormDep, st: views.StoreDep) -> Response:
    chosen = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if not chosen:
        message = translate("imports.no_files", views.lang_of(request))
        return render(request, "imports.html", page_context(st, error=message), status=400)
    options = import_options(form)
    settings = import_settings(request)
    reports = []
    for upload_file in chosen:
        name = safe_name(upload_file.filename)
        staged = stage(upload_file, name, user, upload_limit(request))
        # one writer: imports queue on it while pages keep reading; the same job refreshes the
        # facts, then the pages are warmed and the alerts evaluated (kaohe.web.services)
        run = request.app.state.run_import
        report = import_staged(st, name, staged, options, settings, run)
        if report.map_token is None:
            discard(staged)
        audit.record(st, user, "import", audit_detail(report))
        reports.append(report)
    return render(request, "imports.html", page_context(st, reports))


def audit_detail(report: FileReport) -> str:
    if report.error:
        return f"{report.file}: failed: {report.error}"
    return (
        f"{report.file} → {report.table}: read {report.read}, inserted {report.inserted}, "
        f"updated {report.updated}, rejected {report.rejected}, skipped {report.skipped}"
    )


@router.get("/quarantine.xlsx")
def quarantine_download(request: Request, user: Allowed, st: views.StoreDep) -> Response:
    lang = views.lang_of(request)
    cols = [(c, translate(f"imports.{c}", lang)) for c in QUARANTINE_COLUMNS]
    return views.export(st, user, quarantine_rows(st), cols, "quarantine.xlsx", "quarantine")
