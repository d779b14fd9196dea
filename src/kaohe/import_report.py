"""One imported file as the upload page, the API (POST /api/v1/imports) and `kaohe import`
through the server report it. Light on purpose (pydantic only): the web app imports it at
start, kaohe.imports (the importer, polars) only when a file is imported."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from kaohe.ingest.load import ImportResult


class FileReport(BaseModel):
    """One file: the import's counts, or the error that stopped it (nothing of it was
    imported)."""

    file: str
    table: str | None = None
    preset: str | None = None
    read: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    skipped: int = 0
    error: str | None = None
    new_agents: list[str] = Field(default_factory=list)
    rejects: list[dict[str, Any]] = Field(
        default_factory=list, description="被拒绝的行 / rejected rows (file, row, column …)"
    )
    ignored: list[str] = Field(default_factory=list, description="未读取的列 / columns not read")
    skips: list[dict[str, Any]] = Field(
        default_factory=list, description="跳过的原因 / skip reasons: reason, count, rows"
    )
    period: str | None = None
    period_source: str | None = None
    notes: list[str] = Field(default_factory=list)
    # the upload page's import wizard can map this file's layout (not part of the API)
    map_token: str | None = Field(None, exclude=True)

    def fill(self, result: ImportResult) -> None:
        """Take the counts of an import (kaohe.ingest's ImportResult)."""
        self.table, self.preset = result.table, result.preset
        self.read, self.inserted = result.read, result.inserted
        self.updated, self.rejected = result.updated, result.rejected
        self.skipped, self.skips = result.skipped, list(result.skips)
        self.ignored = list(result.ignored_columns)
        self.period, self.period_source = result.period, result.period_source
        self.notes = list(result.notes)
        self.new_agents = list(result.new_agents)
