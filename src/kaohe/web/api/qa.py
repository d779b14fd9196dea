"""POST /api/v1/qa/runs: run a QA rule pack on the server's one writer (kaohe.qa.findings
.run_pack, a re-run replaces the period's findings), with the server's parameters and the
caller's overrides; `kaohe qa run` uses this while the server holds the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from kaohe.web import audit
from kaohe.web.api.security import ManagerUser, client_ip, write

router = APIRouter(tags=["qa"])


class QaRunRequest(BaseModel):
    pack: str = Field(
        "default",
        min_length=1,
        max_length=1000,
        pattern=r"^[^\x00-\x1f]+$",
        description="规则包 id 或服务器上的 YAML 文件 / rule pack id or a YAML file on the server",
    )
    period: str | None = Field(None, max_length=40, description="2026-10, 2026-Q4, 2026-W43 …")
    start: str | None = Field(None, max_length=40, description="--from (with end)")
    end: str | None = Field(None, max_length=40, description="--to (with start)")
    sets: list[str] = Field(
        default_factory=list, max_length=50, description="参数 / parameters key=value"
    )


class QaRun(BaseModel):
    pack: str
    start: datetime
    end: datetime
    messages: int = Field(description="质检的消息（条）/ messages inspected")
    findings: int = Field(description="发现（条）/ findings")
    by_rule: dict[str, int] = Field(description="每条规则的发现（条）/ findings per rule")


@router.post(
    "/qa/runs",
    response_model=QaRun,
    summary="运行质检 / run a QA rule pack (admin, supervisor; audited)",
)
async def run(request: Request, user: ManagerUser, body: QaRunRequest) -> QaRun:
    from dataclasses import asdict

    from kaohe.engine.periods import period_from_args
    from kaohe.params import resolve_params
    from kaohe.qa.findings import run_pack
    from kaohe.qa.rules import load_pack

    config = request.app.state.config
    pack = load_pack(body.pack)
    period = period_from_args(body.period, body.start, body.end)
    params = resolve_params(config.params, tuple(body.sets), file=config.path).engine

    def job(st: Any) -> Any:
        summary = run_pack(st, pack, period, dict(params))
        detail = f"{pack.id} {body.period or body.start or 'all'}: {summary.findings} findings"
        audit.record(st, user, "qa.run", detail, ip=client_ip(request))
        return summary

    return QaRun(**asdict(await write(request, job)))
