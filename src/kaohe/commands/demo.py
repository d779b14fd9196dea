"""`kaohe demo`: a realistic sample, imported and reported end to end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from kaohe.demo.run import DemoResult


def _summary(result: DemoResult) -> list[str]:
    config = result.dir / "kaohe.toml"  # the demo's store and parameters (run.write_config)
    lines = ["", f"完成 / done in {result.seconds:.1f} s", "数据 / rows:"]
    lines += [f"  {table:<15} {n:>8,}" for table, n in result.counts.items() if n]
    if result.rejected:
        lines.append(
            f"拒收 / rejected: {result.rejected} 行 — 示例数据中故意放入的坏行"
            f"（时间无法解析、负金额、付款早于下单），已进入隔离区 / quarantine "
            "(intentional: the demo includes bad rows on purpose)"
        )
    for err in result.errors:
        lines.append(f"导入失败 / import failed: {err}")
    if result.kpi_rows is None:
        lines.append(f"指标 / KPIs: {result.kpi_note}")
    else:
        lines.append(f"指标 / KPIs: {len(result.kpi_rows)} 行 (per agent)")
    if result.assessment:
        lines.append("质检、考核与薪资 / QA, scores and pay:")
        lines += [f"  {line}" for line in result.assessment]
    if result.planted:
        lines.append("示例数据中故意放入 / planted on purpose (the failing rules below show them):")
        lines += [f"  {line}" for line in result.planted]
    if result.compliance:
        lines += result.compliance.splitlines()
    if result.alerts:
        lines += result.alerts.splitlines()
    lines += [
        "报告 / reports:",
        *(f"  {path}" for path in result.reports.values()),
        "下一步 / try next:",
        f"  kaohe --config {config} quarantine",
        f"  kaohe --config {config} kpi --by agent",
        f"  kaohe --config {config} kpi --by shop --format csv",
        f"  kaohe --config {config} score --period 2026-10",
        f"  kaohe --config {config} pay --period 2026-10 --payslip <客服>",
        f"  kaohe --config {config} check --period 2026-10",
        f"  kaohe --config {config} alerts list",
    ]
    return lines


DEMO_USER = "demo"


def demo_account(db: str) -> str:
    """Create (or refresh) the demo supervisor with a new random password; returns it."""
    import secrets

    from kaohe.store import Store
    from kaohe.web.users import add_user, get_user, set_password

    password = secrets.token_urlsafe(9)
    with Store(db) as st:
        if get_user(st, DEMO_USER) is None:
            add_user(st, DEMO_USER, "supervisor", password)
        else:
            set_password(st, DEMO_USER, password)
    return password


@click.command("demo")
@click.option(
    "--dir",
    "base_dir",
    type=click.Path(file_okay=False),
    default="kaohe_demo",
    show_default=True,
    help="where the sample, store and reports go",
)
@click.option("--seed", type=int, default=0, show_default=True, help="random seed")
@click.option("--serve", is_flag=True, help="then serve the web app on the demo store")
@click.option("--host", default="127.0.0.1", show_default=True, help="with --serve")
@click.option("--port", default=8000, show_default=True, type=int, help="with --serve")
@click.pass_obj
def command(obj: Any, base_dir: str, seed: int, serve: bool, host: str, port: int) -> None:
    """示例 — generate a sample, import it, compute KPIs and write the reports."""
    from kaohe.demo.run import run_demo

    result = run_demo(base_dir, seed=seed, say=click.echo, params=obj.params())
    for line in _summary(result):
        click.echo(line)
    if serve:
        from kaohe.commands.serve import serve_app
        from kaohe.demo.run import DEMO_PARAMS

        db = str(result.db)
        password = demo_account(db)
        click.echo(
            f"演示账号 / demo login: 用户名 username {DEMO_USER}  "
            f"密码 password {password}  (主管 supervisor)"
        )
        obj.config.db = db
        obj.config.params = {**DEMO_PARAMS, **obj.config.params}  # as the demo computed
        serve_app(db, obj.config, host, port)
