"""How much an import may unpack, nest and hold per value (issue 16: hostile uploads).

The defaults fit real exports with room to spare; `[import]` in kaohe.toml overrides them
(`[web] max_upload_mb` caps an upload). docs/presets.md lists them, generated from here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from kaohe.errors import ConfigError

MB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    """Every bound an importer checks before or while reading a file."""

    max_unpacked_mb: int = 1024  # an xlsx (zip) may expand to this much in total
    max_zip_ratio: int = 200  # per member of at least ZIP_RATIO_FLOOR bytes
    max_cells: int = 30_000_000  # rows x columns of the sheet's used range
    max_parquet_mb: int = 4096  # uncompressed size the Parquet footer declares
    max_json_depth: int = 32  # nesting of arrays/objects in one JSON record
    max_record_kb: int = 1024  # one JSON Lines record (longer: rejected into quarantine)
    max_value_chars: int = 1000  # a value of an id, name or label column
    max_text_chars: int = 20_000  # a message text, comment or reason
    max_upload_mb: int = 100  # one upload on the web import page

    @property
    def unpacked_bytes(self) -> int:
        return self.max_unpacked_mb * MB

    @property
    def record_bytes(self) -> int:
        return self.max_record_kb * 1024

    @property
    def upload_bytes(self) -> int:
        return self.max_upload_mb * MB


ZIP_RATIO_FLOOR = 10 * MB  # smaller members cannot hurt whatever their ratio
DEFAULT_LIMITS = ImportLimits()
DESCRIPTIONS = {
    "max_unpacked_mb": "an .xlsx may unpack to at most this many MB in total",
    "max_zip_ratio": "a zip member of 10 MB or more may be at most this many times its "
    "compressed size",
    "max_cells": "the used range of the sheet read (rows × columns, from its first to its last "
    "cell) may hold at most this many cells",
    "max_parquet_mb": "a Parquet file may declare at most this many MB uncompressed",
    "max_json_depth": "arrays and objects in a JSON record may nest at most this deep",
    "max_record_kb": "a JSON Lines record longer than this is rejected into quarantine",
    "max_value_chars": "a value of an id, name or label column longer than this is rejected "
    "into quarantine",
    "max_text_chars": "a message text, comment or reason longer than this is rejected into "
    "quarantine",
    "max_upload_mb": "one upload on the web import page, all the files chosen at once "
    "([web] max_upload_mb); it is streamed to disk as it arrives",
}


def limits_from_config(config: Any) -> ImportLimits:
    """`[import]` (and `[web] max_upload_mb`) of a kaohe.Config; errors name the field."""
    if config is None:
        return DEFAULT_LIMITS
    given: dict[str, Any] = dict(config.section("import"))
    web = config.section("web")
    if "max_upload_mb" in web:
        given["max_upload_mb"] = web["max_upload_mb"]
    names = {f.name for f in fields(ImportLimits)}
    values: dict[str, int] = {}
    for key, value in given.items():
        if key not in names:
            continue  # [import] may hold other settings (mappings_dir)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(
                f"应为正整数 / expected a positive whole number, got {value!r}",
                file=config.path,
                field=f"import.{key}",
            )
        values[key] = value
    return ImportLimits(**values)
