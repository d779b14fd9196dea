"""The `kaohe` command line: a thin click layer over the library (spec: cli.md).

Commands live in `kaohe.commands`, one module each exposing `command`; they are found
here so that every feature adds its command without touching this file.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback
from typing import Any

import click

from kaohe import commands as commands_pkg
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
        self, read_only: bool = False, create: bool = False, need_data: bool = False
    ):
        """The store at --db. Only commands that write data (`create`) may create it; a read
        of a store with nothing imported (`need_data`) is an error naming the store."""
        from kaohe.store import Store

        limit = self.config.memory_limit
        if create:
            return Store(self.config.db, read_only=read_only, memory_limit=limit)
        store = Store.existing(self.config.db, read_only=read_only, memory_limit=limit)
        if need_data and store.is_empty():
            store.close()
            raise store.empty_error()
        return store

    def params(self, sets: Any = (), owners: Any = (), presets: Any = ()) -> Any:
        """The parameters of a run: defaults → kaohe.toml → `sets` (kaohe.params)."""
        from kaohe.params import resolve_params

        return resolve_params(
            self.config.params, sets, owners=owners, presets=presets, file=self.config.path
        )


class KaoheGroup(click.Group):
    """Turns KaoheError into one clear line on stderr and its exit code."""

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


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(commands_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"kaohe.commands.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            cli.add_command(command)


_register_commands()


def main() -> None:
    cli(prog_name="kaohe")
