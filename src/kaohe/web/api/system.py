"""The health check (no token: for the reverse proxy and systemd), the scheduler's recorded
runs and the reports its jobs wrote (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from kaohe import __version__
from kaohe.web.api.security import AdminUser, ManagerUser, borrow

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

    return [ReportFile(**f) for f in report_files(request.app)]
