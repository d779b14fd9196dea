"""The `kaohe` command line: a thin click layer over the library (spec: cli.md).

Commands live in `kaohe.commands`, one module each exposing `command`. COMMANDS names them
and a command's module is imported only when that command runs (click's lazy-group pattern),
so `kaohe --help` starts without importing ibis, polars or pyarrow; tests/test_cli_lazy.py
checks the map against the modules.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

import click

from kaohe.config import load_config
from kaohe.errors import KaoheError


class Context:
    """What every command receives: the settings and where the store is."""

    def __init__(
        self,
        db: str | None,
        config_path: str | None,
        lang: str | None,
        debug: bool,
    ) -> None:
        self.debug = debug
        self.config = load_config(config_path, db=db, lang=lang)

    @property
    def lang(self) -> str:
        return self.config.lang

    def open_store(  # noqa: ANN201
        self,
        read_only: bool = False,
        create: bool = False,
        need_data: bool = False,
        reads: bool = False,
    ):
        """The store at --db. Only commands that write data (`create`) may create it; a read
        of a store with nothing imported (`need_data`) is an error naming the store.

        While `kaohe serve` holds the store (one writer), a command that only reads
        (`read_only`, or `reads`: it may cache computed facts, nothing else) opens a snapshot
        the server makes (kaohe.service.client.snapshot) — the same code on a consistent
        copy —; any other command is refused in one line (exit 4)."""
        from kaohe.store import Store

        path = self._served_snapshot() if (read_only or reads) else None
        if path is None:
            from kaohe.service.client import refuse_if_served

            refuse_if_served(self.config.db)  # one writer: a running server holds the store
        db = path or self.config.db
        limit = self.config.memory_limit
        if create and path is None:
            return Store(db, read_only=read_only, memory_limit=limit)
        store = Store.existing(db, read_only=read_only, memory_limit=limit)
        if path is not None:  # messages name the store asked for, not its temporary copy
            store.path = str(self.config.db)
        if need_data and store.is_empty():
            store.close()
            raise store.empty_error()
        return store

    def _served_snapshot(self) -> Any:
        """A snapshot of the store when a server holds it (deleted when the command ends),
        else None."""
        from kaohe.service.client import discard, snapshot

        client = self.server()
        if client is None:
            return None
        click.echo(
            f"读取服务器生成的快照 / reading a snapshot made by the server at {client.info.url}",
            err=True,
        )
        path, folder = snapshot(client)
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            ctx.find_root().call_on_close(lambda: discard(folder))
        else:
            import atexit

            atexit.register(discard, folder)
        return path

    def server(self) -> Any:
        """An API client of the `kaohe serve` holding the store, or None when none runs
        (kaohe.service.client): commands that can go through it do."""
        from kaohe.service.client import ApiClient, running_server

        info = running_server(self.config.db)
        return None if info is None else ApiClient(info)

    def params(self, sets: Any = (), owners: Any = (), presets: Any = ()) -> Any:
        """The parameters of a run: defaults → kaohe.toml → `sets` (kaohe.params)."""
        from kaohe.params import resolve_params

        return resolve_params(
            self.config.params, sets, owners=owners, presets=presets, file=self.config.path
        )


# command name → ("module:attribute", its one-line help as `kaohe --help` lists it); a new
# command adds its line here (tests/test_cli_lazy.py checks both against the module)
COMMANDS: dict[str, tuple[str, str]] = {
    "alerts": (
        "kaohe.commands.alerts:command",
        "预警 / live alerts: the inbox, evaluation, channels.",
    ),
    "backup": (
        "kaohe.commands.backup:command",
        "备份 — a consistent copy of the store into FOLDER (also while kaohe serve runs).",
    ),
    "check": (
        "kaohe.commands.check:command",
        "平台合规检查 / platform compliance: pass, at risk or fail per shop and cycle.",
    ),
    "credit": (
        "kaohe.commands.credit:command",
        "订单归属 / which agent an order was credited to, the touches, assists and why.",
    ),
    "demo": (
        "kaohe.commands.demo:command",
        "示例 — generate a sample, import it, compute KPIs and write the reports.",
    ),
    "explain": ("kaohe.commands.explain:command", "指标说明 / how a metric value comes about."),
    "generate": (
        "kaohe.commands.generate:command",
        "合成数据 — write synthetic chats, orders, refunds, ratings … (deterministic).",
    ),
    "import": (
        "kaohe.commands.import_:command",
        "导入数据文件 / import export files (CSV, XLSX, JSON Lines, Parquet, chat text).",
    ),
    "kpi": ("kaohe.commands.kpi:command", "指标 / metric values for a period."),
    "pay": ("kaohe.commands.pay:command", "薪资核算 / payslips, line by line."),
    "qa": (
        "kaohe.commands.qa:command",
        "质检 / quality inspection: run a rule pack, list findings, sample, import reviews.",
    ),
    "quarantine": (
        "kaohe.commands.quarantine:command",
        "隔离区：导入时被拒绝的行 / rows rejected on import.",
    ),
    "refunds": (
        "kaohe.commands.refunds:command",
        "退款原因分析 / refund cases by reason category, per shop or agent.",
    ),
    "report": (
        "kaohe.commands.report:command",
        "老板月报 / the monthly boss report: KPIs, grades, top and bottom, pay, compliance.",
    ),
    "restore": (
        "kaohe.commands.backup:restore_command",
        "恢复 — check a backup and put it in place of the store (the old one is kept beside).",
    ),
    "schemes": (
        "kaohe.commands.schemes:command",
        "考核方案 / assessment schemes: the presets, one in full, or check a file.",
    ),
    "score": (
        "kaohe.commands.score:command",
        "考核评分 / scheme results: points per item, total, grade, rank, consequences.",
    ),
    "serve": (
        "kaohe.commands.serve:command",
        "网页 — serve the web app (overview, ranking, agents, imports, reviews…).",
    ),
    "users": (
        "kaohe.commands.users:command",
        "网页用户 — web users and roles (admin, supervisor, lead, agent).",
    ),
}


def load_command(name: str) -> click.Command:
    """The command called `name`, importing its module (COMMANDS)."""
    module_name, attribute = COMMANDS[name][0].split(":")
    command = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{COMMANDS[name][0]} is not a click command")
    return command


class KaoheGroup(click.Group):
    """Commands loaded when they run (COMMANDS); KaoheError becomes one clear line on stderr
    and its exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            return load_command(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help` from the help texts in COMMANDS, so that showing it
        imports no command module."""
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        debug = "--debug" in sys.argv
        try:
            return super().invoke(ctx)
        except KaoheError as exc:
            if debug:
                traceback.print_exc()
            click.echo(f"错误 / error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # `kaohe kpi | head`: the reader stopped early, no error
            _silence_stdout()
            ctx.exit(141)
        except Exception as exc:  # noqa: BLE001 - last resort: no traceback without --debug
            if debug:
                raise
            known = _store_problem(exc, ctx)
            if known is not None:
                click.echo(f"错误 / error: {known}", err=True)
                ctx.exit(known.exit_code)
            click.echo(
                f"内部错误 / internal error: {type(exc).__name__}: {exc} "
                "(run with --debug for details)",
                err=True,
            )
            ctx.exit(70)


def _store_problem(exc: Exception, ctx: click.Context) -> KaoheError | None:
    """A DuckDB failure of the store itself (busy, read-only, damaged) met after opening it:
    the same one line and exit code as on opening (kaohe.store.store_error)."""
    if not type(exc).__module__.lstrip("_").startswith("duckdb"):
        return None
    from kaohe.store import store_error

    config = getattr(ctx.obj, "config", None)
    return store_error(exc, getattr(config, "db", "") or "")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the exit's flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test runner's stdout)


@click.group(cls=KaoheGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="KAOHE_DB",
    default=None,
    help="DuckDB store (default ./kaohe.duckdb or $KAOHE_DB)",
)
@click.option("--config", "config_path", default=None, help="settings file (default ./kaohe.toml)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="label language")
@click.option("--debug", is_flag=True, help="show tracebacks")
@click.version_option(package_name="kaohe")
@click.pass_context
def cli(
    ctx: click.Context, db: str | None, config_path: str | None, lang: str | None, debug: bool
) -> None:
    """kaohe 考核 — 电商客服绩效考核 / customer-service assessment."""
    try:
        ctx.obj = Context(db, config_path, lang, debug)
    except KaoheError as exc:
        click.echo(f"错误 / error: {exc}", err=True)
        ctx.exit(exc.exit_code)


def main() -> None:
    cli(prog_name="kaohe")
