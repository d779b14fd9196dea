"""The import page (admin and supervisor): upload export files, import each with
kaohe.ingest.import_file (one transaction per file, as `kaohe import`), see read / inserted /
updated / rejected per file and the rejected rows; /quarantine.xlsx downloads every rejected
row. Imports and downloads are audited."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from kaohe import schema
from kaohe.errors import KaoheError
from kaohe.web import audit, views
from kaohe.web.auth import User, csrf_protect, require_roles
from kaohe.web.i18n import translate
from kaohe.web.render import render

router = APIRouter()

ROLES = ("admin", "supervisor")
Allowed = Annotated[User, Depends(require_roles(*ROLES))]
QUARANTINE_COLUMNS = ("file", "row", "column", "value", "reason")
RECENT = 20


@dataclass
class FileReport:
    """One uploaded file: the import counts, or the error that stopped it."""

    file: str
    table: str | None = None
    preset: str | None = None
    read: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    error: str | None = None
    new_agents: list[str] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)


def safe_name(name: str | None) -> str:
    """The uploaded file's own name without any directory part (a name is never a path)."""
    base = re.sub(r"[\x00-\x1f]", "", re.split(r"[\\/]", name or "")[-1]).strip()
    return base if base not in ("", ".", "..") else "upload"


def import_upload(
    st: Any,
    name: str,
    data: bytes,
    options: dict[str, str | None],
    zone: str,
    run: Callable[[Callable[[Any], Any]], Any] | None = None,
) -> FileReport:
    """Import one uploaded file from a temporary copy; the import log and the quarantine keep
    the original file name, not the temporary path. `run(job)` runs the import job on a
    writer (the server's writer queue, kaohe.web.workers.Writer.call); default: on `st`."""
    from kaohe.ingest.load import import_file

    run = run or (lambda job: job(st))

    report = FileReport(safe_name(name))
    with tempfile.TemporaryDirectory(prefix="kaohe-upload-") as tmp:
        path = Path(tmp) / report.file
        path.write_bytes(data)
        try:
            result = run(lambda writer: import_file(writer, path, zone=zone, **options))
        except KaoheError as exc:
            report.error = str(exc).replace(str(path), report.file)
            return report
    st.con.execute(
        "UPDATE import_log SET file = ? WHERE import_id = ?", [report.file, result.import_id]
    )
    st.con.execute("UPDATE quarantine SET file = ? WHERE sha256 = ?", [report.file, result.sha256])
    report.table, report.preset = result.table, result.preset
    report.read, report.inserted = result.read, result.inserted
    report.updated, report.rejected = result.updated, result.rejected
    report.new_agents = list(result.new_agents)
    report.rejects = quarantine_rows(st, result.sha256)
    return report


def quarantine_rows(st: Any, sha256: str | None = None) -> list[dict[str, Any]]:
    """Rejected rows (of one file by its checksum, or all) in file, row, column order."""
    where, args = ("WHERE sha256 = ?", [sha256]) if sha256 else ("", [])
    rows = st.con.execute(
        f'SELECT file, "row", "column", value, reason FROM quarantine {where} '
        'ORDER BY file, "row", "column"',
        args,
    ).fetchall()
    return [dict(zip(QUARANTINE_COLUMNS, r, strict=True)) for r in rows]


def recent_imports(st: Any) -> list[dict[str, Any]]:
    cur = st.con.execute(
        "SELECT imported_at, file, table_name, preset, rows_read, rows_inserted, rows_updated, "
        f"rows_rejected FROM import_log ORDER BY import_id DESC LIMIT {RECENT}"
    )
    names = ["at", "file", "table", "preset", "read", "inserted", "updated", "rejected"]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _context(
    st: Any, reports: list[FileReport] | None = None, error: str | None = None
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
            for c in ("at", "file", "table", "read", "inserted", "updated", "rejected")
        ]
        return views.export(st, user, recent_imports(st), cols, "imports.xlsx", "recent imports")
    return render(request, "imports.html", _context(st))


@router.post("/imports", dependencies=[Depends(csrf_protect)])
def upload(
    request: Request,
    user: Allowed,
    st: views.StoreDep,
    files: Annotated[list[UploadFile] | None, File()] = None,
    table: Annotated[str, Form()] = "",
    preset: Annotated[str, Form()] = "",
    platform: Annotated[str, Form()] = "",
    shop: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
) -> Response:
    chosen = [f for f in files or [] if f.filename]
    if not chosen:
        message = translate("imports.no_files", views.lang_of(request))
        return render(request, "imports.html", _context(st, error=message), status=400)
    options = {
        "table": table if table in schema.TABLES else None,
        "preset": preset or None,
        "platform": platform or None,
        "shop": shop or None,
        "period": period or None,
    }
    config = request.app.state.config
    reports = []
    for upload_file in chosen:
        report = import_upload(
            st,
            upload_file.filename or "",
            upload_file.file.read(),
            options,
            config.zone,
            request.app.state.writer.call,  # one writer: imports queue, pages keep reading
        )
        audit.record(st, user, "import", _audit_detail(report))
        reports.append(report)
    return render(request, "imports.html", _context(st, reports))


def _audit_detail(report: FileReport) -> str:
    if report.error:
        return f"{report.file}: failed: {report.error}"
    return (
        f"{report.file} → {report.table}: read {report.read}, inserted {report.inserted}, "
        f"updated {report.updated}, rejected {report.rejected}"
    )


@router.get("/quarantine.xlsx")
def quarantine_download(request: Request, user: Allowed, st: views.StoreDep) -> Response:
    lang = views.lang_of(request)
    cols = [(c, translate(f"imports.{c}", lang)) for c in QUARANTINE_COLUMNS]
    return views.export(st, user, quarantine_rows(st), cols, "quarantine.xlsx", "quarantine")
