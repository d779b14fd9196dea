"""Importing exports into the store: read a file, map its headers, validate, load."""

from __future__ import annotations

from kaohe.ingest.load import ImportResult, import_file, import_files
from kaohe.ingest.readers import RawFile, read_raw

__all__ = ["ImportResult", "RawFile", "import_file", "import_files", "read_raw"]
