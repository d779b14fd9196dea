"""Errors a user can act on, each with the exit code of the CLI contract (spec: cli.md)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 1
EXIT_NOT_FOUND = 2
EXIT_REJECTED = 3
EXIT_STORE_BUSY = 4  # another process holds the store (a second import, a running server)
EXIT_STORE_READ_ONLY = 5  # the store cannot be written (read-only file or file system)
EXIT_STORE_DAMAGED = 6  # the store or its write-ahead log is truncated or corrupt


class KaoheError(Exception):
    """An error shown to the user as one clear line, never as a traceback."""

    exit_code = EXIT_USAGE


class UsageError(KaoheError):
    exit_code = EXIT_USAGE


class ConfigError(KaoheError):
    """A configuration or data-file error; the message names file, line and field."""

    exit_code = EXIT_USAGE

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        where = ":".join(str(p) for p in (file, line) if p is not None)
        parts = [p for p in (where, f"field {field!r}" if field else None) if p]
        super().__init__(f"{', '.join(parts)}: {message}" if parts else message)
        self.file, self.line, self.field = file, line, field


class NotFoundError(KaoheError):
    exit_code = EXIT_NOT_FOUND


class StoreError(KaoheError):
    """The store cannot be opened or used as asked: busy, read-only or damaged (each with its
    own exit code, set per instance)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code
