"""`kaohe backup DIR` and `kaohe restore FILE` (issue 18.6): a consistent copy of the store
while it is in use — through the running server when it holds the store — and putting one
back (refused while a server holds the store). kaohe.service.backup does the work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kaohe.commands.serve import require_store


@click.command("backup")
@click.argument("folder")
@click.pass_obj
def command(obj: Any, folder: str) -> None:
    """备份 — a consistent copy of the store into FOLDER (also while kaohe serve runs)."""
    from kaohe.service.backup import backup_into

    require_store(obj.config.db)
    client = obj.server()
    if client is not None:
        made = client.post("/backups", {"folder": str(Path(folder).resolve())})
        path, imports, last = made["path"], made["imports"], made["last_import"]
        via = f" — 经由服务器 / through the server at {client.info.url}"
    else:
        with obj.open_store() as st:
            target, manifest = backup_into(st.con, folder)
        path, imports, last = str(target), manifest.imports, manifest.last_import
        via = ""
    click.echo(
        f"已备份 / backed up: {path} (导入 {imports} 次，最后一次 #{last} / {imports} imports, "
        f"the last #{last}){via}"
    )


@click.command("restore")
@click.argument("backup")
@click.option("--yes", is_flag=True, help="replace the store without asking")
@click.pass_obj
def restore_command(obj: Any, backup: str, yes: bool) -> None:
    """恢复 — check a backup and put it in place of the store (the old one is kept beside)."""
    from kaohe.service.backup import restore
    from kaohe.service.client import refuse_if_served

    refuse_if_served(obj.config.db)
    if not yes and Path(obj.config.db).exists():
        click.confirm(f"用备份替换 / replace {obj.config.db} with {backup}?", abort=True)
    counts = restore(backup, obj.config.db)
    click.echo(
        f"已恢复 / restored: {obj.config.db} ← {backup} "
        f"({len(counts)} 张表，完整性检查通过 / {len(counts)} tables, integrity checked)"
    )
