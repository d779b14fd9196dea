"""The scheduler's jobs as configuration (`[scheduler]` in kaohe.toml) and what each kind does.

    [scheduler]
    enabled = true                      # false: no job runs (the inbox folder still does)

    [scheduler.jobs.facts_nightly]      # a job: its name, its kind and when it runs
    kind = "facts"
    cron = "30 1 * * *"                 # minute hour day month weekday, in [time] zone

    [scheduler.jobs.alerts_minute]
    kind = "alerts"
    every_s = 60

Kinds: `facts` (bring the per-day facts up to date), `qa` (run a QA pack on the days that new
imports brought since its last run), `reports` (the assessment workbook with payslips of each
month once it has settled, written to `folder` and listed in the web app), `alerts` (evaluate
the alert rules on new data and on the clock). Without [scheduler.jobs] the DEFAULT_JOBS run;
a job named like a default replaces it (`enabled = false` turns it off).

Each kind is a function of a JobContext (how to reach the store: `write` on the server's one
writer, `read` on a connection of its own) and of its settings, returning one line saying
what it did; an exception is the run's failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kaohe.errors import ConfigError

T = TypeVar("T")
KINDS = ("facts", "qa", "reports", "alerts")
QA_MARK = "qa.last_import"  # job_state: the last import a QA run has covered
REPORTS_DIR = "reports"


class JobSettings(BaseModel):
    """One job of [scheduler.jobs.NAME]."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["facts", "qa", "reports", "alerts"] = Field(
        description="facts: 刷新日度事实 / refresh the per-day facts; qa: 新数据质检 / QA run "
        "on new data; reports: 月度考核工作簿与工资条 / the monthly workbook and payslips; "
        "alerts: 预警评估 / evaluate the alert rules"
    )
    cron: str | None = Field(
        None, description="crontab 时间（分 时 日 月 周）/ when, as crontab: m h dom mon dow"
    )
    every_s: float | None = Field(None, ge=1, le=31 * 86400, description="每隔秒数 / every N s")
    enabled: bool = True
    pack: str = Field("default", description="qa: 质检规则包 / the QA rule pack")
    scheme: str = Field("presales_standard", description="reports: 考核方案 / the scheme scored")
    plan: str | None = Field(
        None, description="reports: 薪资方案（工资条）/ the pay plan of the payslips"
    )
    folder: str = Field(
        REPORTS_DIR,
        description="reports: 输出文件夹（相对数据库所在目录）/ output folder (relative to the "
        "store's folder)",
    )
    months_back: int = Field(
        2, ge=1, le=24, description="reports: 检查最近几个月 / how many past months to check"
    )

    @model_validator(mode="after")
    def _one_trigger(self) -> JobSettings:
        if (self.cron is None) == (self.every_s is None):
            raise ValueError("give either cron or every_s / 二选一：cron 或 every_s")
        if self.cron is not None and len(self.cron.split()) != 5:
            raise ValueError(f"cron needs 5 fields (m h dom mon dow), got {self.cron!r}")
        return self


class SchedulerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    jobs: dict[str, JobSettings] = Field(default_factory=dict)


DEFAULT_JOBS: dict[str, dict[str, Any]] = {
    "facts_nightly": {"kind": "facts", "cron": "30 1 * * *"},
    "qa_new_data": {"kind": "qa", "cron": "0 2 * * *"},
    "monthly_reports": {"kind": "reports", "cron": "0 6 * * *"},
    "alerts_minute": {"kind": "alerts", "every_s": 60},
}


def scheduler_settings(config: Any) -> SchedulerSettings:
    """[scheduler] of the config, validated (errors name the file and the field), with the
    default jobs under the configured ones."""
    raw = dict(config.section("scheduler")) if config is not None else {}
    jobs = {**DEFAULT_JOBS, **dict(raw.get("jobs") or {})}
    try:
        settings = SchedulerSettings.model_validate({**raw, "jobs": jobs})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(["scheduler", *(str(p) for p in first["loc"])])
        raise ConfigError(first["msg"], file=getattr(config, "path", None), field=field) from None
    _check_cron(settings, config)
    return settings


def _check_cron(settings: SchedulerSettings, config: Any) -> None:
    from apscheduler.triggers.cron import CronTrigger

    for name, job in settings.jobs.items():
        if job.cron is None:
            continue
        try:
            CronTrigger.from_crontab(job.cron)
        except ValueError as exc:
            raise ConfigError(
                f"无效的 cron / invalid cron {job.cron!r}: {exc}",
                file=getattr(config, "path", None),
                field=f"scheduler.jobs.{name}.cron",
            ) from None


@dataclass
class JobContext:
    """How a job reaches the store and the settings: `write(job)` runs `job(store)` on the
    one writer, `read(job)` on a connection of its own; `now()` is the clock."""

    config: Any
    write: Callable[[Callable[[Any], Any]], Any]
    read: Callable[[Callable[[Any], Any]], Any]
    now: Callable[[], datetime] = datetime.now


def _params(ctx: JobContext, owners: list[Any] | None = None) -> Any:
    from kaohe.params import resolve_params

    return resolve_params(ctx.config.params, owners=owners or [], file=ctx.config.path)


def run_facts(ctx: JobContext, job: JobSettings) -> str:
    days = ctx.write(refresh_stale_facts)
    if not days:
        return "日度事实已是最新 / the facts were up to date"
    return f"已刷新 {len(days)} 天 / refreshed {len(days)} days ({days[0]} … {days[-1]})"


def refresh_stale_facts(st: Any) -> list[date]:
    """Recompute the facts of every stale day (kaohe.engine.facts); the days rewritten."""
    from kaohe.engine.facts import refresh_stale

    return refresh_stale(st)


def run_qa(ctx: JobContext, job: JobSettings) -> str:
    """The QA pack on the days the imports since the last run touched (each run replaces
    the findings of the days it covers, so a day is never counted twice)."""
    from kaohe.qa.rules import load_pack

    pack = load_pack(job.pack)
    params = dict(_params(ctx).engine)
    return str(ctx.write(lambda st: qa_new_data(st, pack, params)))


def qa_new_data(st: Any, pack: Any, params: dict[str, Any]) -> str:
    from kaohe.engine.periods import Period
    from kaohe.qa.findings import run_pack
    from kaohe.service.runs import state_get, state_set

    mark = int(state_get(st, QA_MARK) or 0)
    last = st.con.execute("SELECT max(import_id) FROM import_log").fetchone()[0]
    if last is None or int(last) <= mark:
        return "没有新导入 / no new import since the last run"
    first_day, last_day = st.con.execute(
        "SELECT min(CAST(time AS DATE)), max(CAST(time AS DATE)) FROM messages WHERE import_id > ?",
        [mark],
    ).fetchone()
    if first_day is None:
        state_set(st, QA_MARK, str(last))
        return "新导入中没有聊天消息 / the new imports hold no chat messages"
    summary = run_pack(st, pack, Period(first_day, last_day, "qa"), params)
    state_set(st, QA_MARK, str(last))
    return (
        f"{first_day} … {last_day}: 质检 {summary.messages:,} 条消息，{summary.findings:,} 条发现 "
        f"/ inspected {summary.messages:,} messages, {summary.findings:,} findings"
    )


def run_alerts(ctx: JobContext, job: JobSettings) -> str:
    from kaohe.alerts import evaluate_imports, setup_from_config

    setup = setup_from_config(ctx.config, dict(_params(ctx).engine))
    now = ctx.now()
    report = ctx.write(lambda st: evaluate_imports(st, setup, now))
    changes = report.changes
    sent = sum(report.sent.messages.values())
    return (
        f"新预警 {len(changes.fired)}，自动解决 {len(changes.resolved)}，升级 "
        f"{len(report.escalated)}，发送 {sent} 条 / fired {len(changes.fired)}, resolved "
        f"{len(changes.resolved)}, escalated {len(report.escalated)}, {sent} messages sent"
        + (f"; {len(report.sent.errors)} 次发送失败 / send errors" if report.sent.errors else "")
    )


def reports_folder(config: Any, folder: str = REPORTS_DIR) -> Path:
    """Where generated reports go: `folder`, relative to the store's folder."""
    path = Path(folder)
    if path.is_absolute() or str(config.db) == ":memory:":
        return path
    return Path(config.db).resolve().parent / path


def months_before(today: date, count: int) -> list[str]:
    """The `count` months before today's, latest first, as 2026-10."""
    out, first = [], today.replace(day=1)
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(f"{first:%Y-%m}")
    return out


def run_reports(ctx: JobContext, job: JobSettings) -> str:
    """For each of the last months that has settled: the assessment workbook (scores and,
    with a plan, payroll and one payslip sheet per agent), written again only when that
    month's data changed since."""
    from kaohe.pay import load_plan
    from kaohe.schemes import load_scheme

    scheme = load_scheme(job.scheme)
    plan = load_plan(job.plan) if job.plan else None
    params = _params(ctx, [o for o in (scheme, plan) if o])
    folder = reports_folder(ctx.config, job.folder)
    from kaohe.service.runs import state_set

    done = []
    for month in months_before(ctx.now().date(), job.months_back):
        made = ctx.read(
            partial(
                month_report, scheme=scheme, plan=plan, params=params, month=month, folder=folder
            )
        )
        if made is not None:
            name, fingerprint = made
            ctx.write(partial(state_set, key=f"reports:{name}", value=fingerprint))
            done.append(f"{month} → {name}")
    return "; ".join(done) or "没有新结算的月份 / no month newly settled"


def month_fingerprint(st: Any, month: str) -> str:
    """What a month's report was made from: its rows of the tables it reads, and the last
    import touching them."""
    from kaohe.engine.periods import parse_period

    period = parse_period(month)
    row = st.con.execute(
        "SELECT count(*), max(import_id) FROM messages WHERE time >= ? AND time < ?",
        [period.start, period.end + timedelta(days=1)],
    ).fetchone()
    extra = st.con.execute("SELECT count(*), max(import_id) FROM agents").fetchone()
    return f"{row[0]}:{row[1]}:{extra[0]}:{extra[1]}"


def month_report(
    st: Any, scheme: Any, plan: Any, params: Any, month: str, folder: Path
) -> tuple[str, str] | None:
    """Write the month's workbook when it has settled and its data changed since the last
    one: (file name, fingerprint), else None."""
    from kaohe.pay.fetch import pay_period
    from kaohe.pay.plan import with_params as plan_with
    from kaohe.reports.assessment import write_assessment
    from kaohe.schemes import with_params as scheme_with
    from kaohe.schemes.fetch import is_settled, score_period
    from kaohe.service.runs import state_get

    scheme = scheme_with(scheme, params.of(scheme))
    if not is_settled(scheme, month, params.engine):
        return None
    target = folder / report_name(month, scheme.id, plan.id if plan else None)
    fingerprint = month_fingerprint(st, month)
    if fingerprint.startswith("0:") or (
        target.exists() and state_get(st, f"reports:{target.name}") == fingerprint
    ):
        return None
    result = score_period(st, scheme, month, params.engine)
    payroll = None
    if plan is not None:
        payroll, _ = pay_period(
            st, plan_with(plan, params.of(plan)), month, None, False, params.engine
        )
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    write_assessment(partial, [result], payroll, settled=True)
    partial.replace(target)
    return target.name, fingerprint


def report_name(month: str, scheme: str, plan: str | None) -> str:
    return f"assessment-{month}-{scheme}{'-' + plan if plan else ''}.xlsx"


RUNNERS: dict[str, Callable[[JobContext, JobSettings], str]] = {
    "facts": run_facts,
    "qa": run_qa,
    "reports": run_reports,
    "alerts": run_alerts,
}
