"""The inbox folder (`[inbox] path` in kaohe.toml): files dropped there are imported by the
server one at a time, then moved to `done/` or `rejected/` with their report beside them
(`<file>.report.json`). This is how a shop wires its nightly exports in without code.

- A file is imported only once its size and modification time have not changed for
  `stable_s` seconds: a file still being written (copied in, downloaded) is left alone.
- Each file is one import: one transaction, all or nothing (kaohe.ingest.load).
- Idempotent: a file whose content (SHA-256) was imported before is not imported again; it
  moves to done/ with a report naming the earlier import. A server that stops between the
  import and the move finds the file again, and it is recognised the same way.
- A file that cannot be imported (no preset reads it, its rows do not validate as a whole …)
  goes to rejected/ with the reason; rows rejected one by one are in the report of a file
  that was imported (and in the quarantine).
- Hidden files (.name) and names of files in transit (.part, .tmp, .crdownload, ~) are
  skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kaohe.errors import ConfigError, KaoheError

log = logging.getLogger("kaohe.inbox")
DONE, REJECTED = "done", "rejected"
IN_TRANSIT = (".part", ".partial", ".tmp", ".crdownload", ".download", "~")
REPORT_SUFFIX = ".report.json"
REJECTS_IN_REPORT = 1000


class InboxSettings(BaseModel):
    """`[inbox]` of kaohe.toml."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="收件文件夹 / the folder watched for files to import")
    poll_s: float = Field(
        5, ge=0.2, le=3600, description="多久看一次文件夹（秒）/ seconds between looks"
    )
    stable_s: float = Field(
        10,
        ge=0,
        le=3600,
        description="文件大小与修改时间不变多久后才导入（秒）/ "
        "seconds a file's size and mtime must stay unchanged before it is imported",
    )
    table: str | None = Field(None, description="目标表（默认自动识别）/ target table")
    preset: str | None = Field(None, description="映射预设 / mapping preset id")
    platform: str | None = None
    shop: str | None = None


def inbox_settings(config: Any) -> InboxSettings | None:
    """[inbox] of the config (None without a path), validated; the folder is relative to the
    store's folder unless absolute."""
    raw = config.section("inbox") if config is not None else {}
    if not raw:
        return None
    try:
        settings = InboxSettings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(["inbox", *(str(p) for p in first["loc"])])
        raise ConfigError(first["msg"], file=getattr(config, "path", None), field=field) from None
    folder = Path(settings.path)
    if not folder.is_absolute() and str(config.db) != ":memory:":
        folder = Path(config.db).resolve().parent / folder
    settings.path = str(folder)
    return settings


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Hooks:
    """How the folder reaches the store: `imported(sha256)` → the import id of that content,
    if any; `import_file(path)` → the ImportResult (raises KaoheError when it cannot);
    `rejects(sha256)` → its quarantined rows."""

    imported: Callable[[str], int | None]
    import_file: Callable[[Path], Any]
    rejects: Callable[[str], list[dict[str, Any]]]


class DropFolder:
    def __init__(self, settings: InboxSettings, hooks: Hooks) -> None:
        self.settings = settings
        self.folder = Path(settings.path)
        self.hooks = hooks
        self._seen: dict[str, tuple[int, int, float]] = {}  # name -> size, mtime_ns, since

    def ensure(self) -> None:
        for sub in ("", DONE, REJECTED):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)

    def candidates(self) -> list[Path]:
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return []
        return sorted(
            (
                Path(e.path)
                for e in entries
                if e.is_file(follow_symlinks=False)
                and not e.name.startswith(".")
                and not e.name.endswith(IN_TRANSIT)
                and not e.name.endswith(REPORT_SUFFIX)
            ),
            key=lambda p: p.name,
        )

    def ready(self, now: float | None = None) -> list[Path]:
        """Files whose size and mtime held for stable_s seconds, oldest first."""
        now = time.monotonic() if now is None else now
        out, present = [], set()
        for path in self.candidates():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            present.add(path.name)
            seen = self._seen.get(path.name)
            if seen is None or seen[:2] != (stat.st_size, stat.st_mtime_ns):
                self._seen[path.name] = (stat.st_size, stat.st_mtime_ns, now)
                if self.settings.stable_s > 0:
                    continue
            if now - self._seen[path.name][2] >= self.settings.stable_s:
                out.append((stat.st_mtime_ns, path))
        for name in set(self._seen) - present:
            del self._seen[name]
        return [p for _, p in sorted(out)]

    def poll(self, now: float | None = None) -> str | None:
        """Import every file that is ready, one at a time; a line of what was done, or None
        when nothing was."""
        self.ensure()
        done = [self.process(path) for path in self.ready(now)]
        return "; ".join(done) if done else None

    def process(self, path: Path) -> str:
        """Import one file and move it with its report; a line saying what happened."""
        self._seen.pop(path.name, None)
        sha = file_sha256(path)
        earlier = self.hooks.imported(sha)
        if earlier is not None:
            report = {"status": "duplicate", "import_id": earlier, "sha256": sha}
            report["message"] = (
                f"内容与第 {earlier} 次导入相同，未再导入 / same content as import #{earlier}: "
                "not imported again"
            )
            where = self._move(path, DONE, report)
            return f"{path.name}: 重复 / duplicate of import #{earlier} → {where}"
        try:
            result = self.hooks.import_file(path)
        except KaoheError as exc:
            report = {"status": "rejected", "sha256": sha, "error": str(exc)}
            where = self._move(path, REJECTED, report)
            log.warning("inbox file rejected", extra={"file": path.name, "error": str(exc)})
            return f"{path.name}: 拒收 / rejected → {where}"
        except Exception as exc:  # noqa: BLE001 - never retried forever: moved aside, logged
            error = f"内部错误 / internal error: {type(exc).__name__}: {exc}"
            where = self._move(path, REJECTED, {"status": "failed", "sha256": sha, "error": error})
            log.error("inbox file failed", extra={"file": path.name, "error": error})
            return f"{path.name}: 失败 / failed → {where}"
        report = {"status": "imported", **_result_fields(result)}
        report["rejected_rows"] = self.hooks.rejects(sha)[:REJECTS_IN_REPORT]
        where = self._move(path, DONE, report)
        log.info(
            "inbox file imported",
            extra={
                "file": path.name,
                "table": result.table,
                "inserted": result.inserted,
                "rejected": result.rejected,
            },
        )
        return (
            f"{path.name}: {result.table} 新增 {result.inserted} 更新 {result.updated} 拒绝 "
            f"{result.rejected} / inserted {result.inserted}, updated {result.updated}, "
            f"rejected {result.rejected} → {where}"
        )

    def _move(self, path: Path, where: str, report: dict[str, Any]) -> str:
        """Move the file into done/ or rejected/ (a new name when one is taken) and write its
        report beside it."""
        target = self.folder / where / path.name
        if target.exists():
            stem, dot, ext = path.name.partition(".")
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            target = target.with_name(f"{stem}-{stamp}{dot}{ext}")
        report = {"file": path.name, "at": datetime.now().isoformat(timespec="seconds"), **report}
        text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
        report_path = target.with_name(target.name + REPORT_SUFFIX)
        report_path.write_text(text, "utf-8")
        os.replace(path, target)
        return f"{where}/{target.name}"


def _result_fields(result: Any) -> dict[str, Any]:
    fields = (
        "table",
        "preset",
        "sha256",
        "import_id",
        "read",
        "inserted",
        "updated",
        "rejected",
        "skipped",
        "skips",
        "ignored_columns",
        "period",
        "period_source",
        "notes",
        "new_agents",
    )
    return {name: getattr(result, name, None) for name in fields}
