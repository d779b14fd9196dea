"""A guard on the test app's read connections: any statement that would write the database
file (INSERT, UPDATE, DELETE, CREATE, DROP, ALTER … on anything but a TEMP table or view of
that connection) raises ReaderWrote and is recorded. The server's readers must hand every
write to the one writer (kaohe.store.Store.write); the engine's blocks on a reader are TEMP
tables."""

from __future__ import annotations

import re
from typing import Any

COMMENTS = re.compile(r"^(?:\s+|--[^\n]*\n|/\*.*?\*/)+", re.S)
WRITES = re.compile(
    r"(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|MERGE|UPSERT|CHECKPOINT|"
    r"FORCE\s+CHECKPOINT|VACUUM|ATTACH|DETACH|IMPORT|EXPORT|COPY\s+[\w\".]+\s+FROM)\b",
    re.I,
)
TEMP_CREATE = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+(?:TABLE|VIEW|SEQUENCE|MACRO)\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?([\w\".]+)",
    re.I,
)
TARGET = re.compile(
    r"(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|"
    r"DROP\s+(?:TABLE|VIEW|SEQUENCE|MACRO)\s+(?:IF\s+EXISTS\s+)?|ALTER\s+TABLE)\s*([\w\".]+)",
    re.I,
)


class ReaderWrote(AssertionError):
    """A read connection of the server wrote to the database."""


def _parts(name: str) -> list[str]:
    return [p.strip('"').lower() for p in name.split(".")]


class GuardedConnection:
    """A DuckDB connection that refuses writes outside its own TEMP objects (everything else
    is passed through)."""

    def __init__(self, con: Any, violations: list[str]) -> None:
        self._con = con
        self._violations = violations
        self._temps: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def _check(self, sql: Any) -> None:
        text = COMMENTS.sub("", str(sql))
        temp = TEMP_CREATE.match(text)
        if temp:
            self._temps.add(_parts(temp.group(1))[-1])
            return
        if not WRITES.match(text):
            return
        target = TARGET.match(text)
        if target:
            parts = _parts(target.group(1))
            if parts[0] == "temp" or parts[-1] in self._temps:
                return
        statement = " ".join(text.split())[:200]
        self._violations.append(statement)
        raise ReaderWrote(f"a reader connection wrote to the store: {statement}")

    def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        self._check(sql)
        self._con.execute(sql, *args, **kwargs)
        return self

    def executemany(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        self._check(sql)
        self._con.executemany(sql, *args, **kwargs)
        return self

    def sql(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        self._check(sql)
        return self._con.sql(sql, *args, **kwargs)

    query = sql

    def append(self, table: str, *args: Any, **kwargs: Any) -> Any:
        self._check(f"INSERT INTO {table}")
        return self._con.append(table, *args, **kwargs)

    def cursor(self) -> GuardedConnection:
        return GuardedConnection(self._con.cursor(), self._violations)


def guard_readers(pool: Any) -> list[str]:
    """Wrap every connection the pool (kaohe.web.workers.ReadPool) lends — its own and the
    extra ones made later — in a GuardedConnection; returns the list violations go to."""
    violations: list[str] = []
    for store in pool._pooled:
        store.con = GuardedConnection(store.con, violations)
    make = pool._reader

    def guarded() -> Any:
        store = make()
        store.con = GuardedConnection(store.con, violations)
        return store

    pool._reader = guarded
    return violations
