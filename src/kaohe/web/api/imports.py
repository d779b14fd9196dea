"""POST /api/v1/imports: files as multipart, imported one by one on the server's one writer
(each atomic, idempotent by content), exactly as the upload page does it; `kaohe import`
uses this while the server holds the store."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, Field

from kaohe.import_report import FileReport
from kaohe.web import audit
from kaohe.web.api.security import ManagerUser, client_ip
from kaohe.web.pages.imports import (
    audit_detail,
    bounded_body,
    discard,
    import_settings,
    import_staged,
    safe_name,
    stage,
    upload_limit,
)

router = APIRouter(tags=["imports"])
REJECTS_SHOWN = 200


class ImportOutcome(BaseModel):
    files: list[FileReport] = Field(
        description=f"每个文件一项（被拒绝的行至多 {REJECTS_SHOWN}）/ one per file (at most "
        f"{REJECTS_SHOWN} rejected rows each)"
    )


OptionalText = Annotated[str | None, Form(max_length=200)]


@router.post(
    "/imports",
    response_model=ImportOutcome,
    summary="导入文件 / import files (admin, supervisor)",
    dependencies=[Depends(bounded_body)],
)
async def import_files(
    request: Request,
    user: ManagerUser,
    files: Annotated[list[UploadFile], File(description="导出文件 / export files")],
    table: OptionalText = None,
    preset: OptionalText = None,
    platform: OptionalText = None,
    shop: OptionalText = None,
    period: OptionalText = None,
) -> ImportOutcome:
    options = {"table": table, "preset": preset, "platform": platform, "shop": shop}
    options["period"] = period
    settings = import_settings(request)
    run = request.app.state.run_import
    ip = client_ip(request)
    results = []
    for upload in files:
        name = safe_name(upload.filename)
        staged = await anyio.to_thread.run_sync(stage, upload, name, user, upload_limit(request))
        try:
            report = await anyio.to_thread.run_sync(
                import_staged, None, name, staged, options, settings, run
            )
        finally:
            discard(staged)
        detail = audit_detail(report)
        await request.app.state.writer.run(
            lambda st, d=detail: audit.record(st, user, "import", f"api: {d}", ip=ip)
        )
        report.rejects = report.rejects[:REJECTS_SHOWN]
        results.append(report)
    return ImportOutcome(files=results)
