"""`kaohe --help` starts light: command modules are imported only when their command runs,
and they import the heavy libraries only inside the functions that need them."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

from click.testing import CliRunner

import kaohe.commands
from kaohe.cli import COMMANDS, cli, load_command

HEAVY = ("ibis", "polars", "pyarrow", "pandas", "duckdb", "fastapi", "xlsxwriter")


def test_the_command_map_names_every_command_module():
    modules = {info.name for info in pkgutil.iter_modules(kaohe.commands.__path__)}
    mapped = {target.split(":")[0].rsplit(".", 1)[1] for target, _ in COMMANDS.values()}
    assert mapped == modules


def test_each_mapped_command_has_its_name_and_help():
    for name, (_, help_text) in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        assert command.get_short_help_str(limit=200) == help_text


def _loaded_after(code: str) -> dict[str, list[str]]:
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps({'heavy': sorted({m.split('.')[0] for m in sys.modules} & set(heavy)),"
        " 'kaohe': sorted(m for m in sys.modules if m.startswith('kaohe'))}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_help_imports_no_command_module_and_no_heavy_library():
    loaded = _loaded_after(
        "from kaohe.cli import cli\n"
        "try:\n"
        "    cli.main(['--help'], prog_name='kaohe', standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass"
    )
    assert loaded["heavy"] == []
    assert not [m for m in loaded["kaohe"] if m.startswith("kaohe.commands.")]


def test_command_modules_import_heavy_libraries_only_when_they_run():
    imports = "\n".join(f"import {target.split(':')[0]}" for target, _ in COMMANDS.values())
    loaded = _loaded_after(imports)
    assert loaded["heavy"] == []


def test_help_lists_every_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:")[1]
    for name in COMMANDS:
        assert f"\n  {name} " in listed
