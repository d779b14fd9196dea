"""The health check (no token: for the reverse proxy and systemd), the scheduler's recorded
runs and the reports its jobs wrote (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kaohe import __version__
from kaohe.web.api.security import AdminUser, ManagerUser, borrow, client_ip

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: Literal["ok", "busy", "stopping"]
    version: str
    schema_version: int | None = None
    readers_waiting: int = 0
    writer_pending: int = 0
    scheduler: bool = False


@router.get(
    "/health",
    response_model=Health,
    summary="健康检查 / health (no token)",
    responses={503: {"model": Health}},
)
async def health(request: Request) -> Any:
    """ok when a reader answers within [server] reader_wait_s; 503 otherwise (no data read)."""
    from kaohe.store import schema_version
    from kaohe.web.workers import PoolClosed

    state = request.app.state
    scheduler = getattr(state, "scheduler", None)
    body = Health(
        status="ok",
        version=__version__,
        readers_waiting=state.readers.waiting,
        writer_pending=state.writer.pending,
        scheduler=bool(scheduler and scheduler.running),
    )
    try:
        pool = state.readers
        st = await pool.acquire(state.server.reader_wait_s)
    except (TimeoutError, PoolClosed) as exc:
        body.status = "stopping" if isinstance(exc, PoolClosed) else "busy"
        return JSONResponse(body.model_dump(), status_code=503)
    try:
        body.schema_version = schema_version(st.con)
    finally:
        pool.release(st)
    return body


class RunRow(BaseModel):
    id: int
    job: str
    kind: str
    started_at: datetime
    ended_at: datetime | None = None
    outcome: str
    detail: str | None = None
    error: str | None = None


@router.get("/runs", response_model=list[RunRow], summary="任务运行记录 / scheduler runs (admin)")
async def runs(
    request: Request,
    user: AdminUser,
    job: Annotated[str | None, Query(max_length=100)] = None,
    outcome: Annotated[Literal["running", "ok", "failed", "skipped"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RunRow]:
    from kaohe.service.runs import runs as recorded

    return [
        RunRow(**r) for r in await borrow(request, lambda st: recorded(st, job, outcome, limit))
    ]


class ReportFile(BaseModel):
    name: str
    bytes: int
    modified: datetime


@router.get(
    "/reports",
    response_model=list[ReportFile],
    summary="定时生成的报表 / workbooks the scheduler wrote (admin, supervisor)",
)
def reports(request: Request, user: ManagerUser) -> list[ReportFile]:
    from kaohe.web.services import report_files

    return [
        ReportFile(name=f["name"], bytes=f["bytes"], modified=f["modified"])
        for f in report_files(request.app)
    ]


class BackupRequest(BaseModel):
    folder: str = Field(
        min_length=1,
        max_length=1000,
        description="服务器上的文件夹 / a folder on the server's machine",
    )


class BackupMade(BaseModel):
    path: str
    schema_version: int
    last_import: int | None = None
    imports: int
    rows: dict[str, int]


@router.post(
    "/backups",
    response_model=BackupMade,
    status_code=201,
    summary="备份 / a consistent copy of the store while it runs (admin)",
)
async def backup(request: Request, user: AdminUser, body: BackupRequest) -> BackupMade:
    """The store as of one moment (every import committed before it, none after), copied on
    a connection of its own while the writer goes on (kaohe.service.backup)."""
    import anyio.to_thread

    from kaohe.service.backup import backup_into
    from kaohe.web import audit

    def copy() -> tuple[Any, Any]:
        with request.app.state.readers.extra() as st:
            return backup_into(st.con, body.folder)

    path, manifest = await anyio.to_thread.run_sync(copy)
    await request.app.state.writer.run(
        lambda st: audit.record(st, user, "backup", str(path), ip=client_ip(request))
    )
    return BackupMade(
        path=str(path),
        schema_version=manifest.schema_version,
        last_import=manifest.last_import,
        imports=manifest.imports,
        rows=manifest.rows,
    )
