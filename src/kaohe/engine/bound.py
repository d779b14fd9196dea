"""Ibis queries compiled to SQL once and run many times with bound values.

Compiling the conversation model or the attribution of one thread takes Ibis about a second
of CPU, where DuckDB runs the compiled SQL in milliseconds: the viewer and the credit lookup
answer for one thread at a time, so they build their query once with a placeholder for each
value that changes between calls (`placeholder(name)` as a string literal), keep the SQL,
and bind the values as parameters of the prepared statement on every later call."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import ibis.expr.types as ir

MAX_QUERIES = 64  # kept per process: one per query and parameter set
_lock = threading.Lock()
_compiled: OrderedDict[tuple[Any, ...], str] = OrderedDict()


def placeholder(name: str) -> str:
    """The string literal standing for the value `name` in a query that `run` binds."""
    return f"kaohe-bound-{name}-7c1e"


def compiled_sql(
    con: Any, key: tuple[Any, ...], build: Callable[[], ir.Table], names: tuple[str, ...]
) -> str:
    """The SQL of `build()` on the Ibis connection `con`, compiled once per key, with the
    placeholder of each of `names` turned into a named parameter ($name)."""
    with _lock:
        sql = _compiled.get(key)
        if sql is not None:
            _compiled.move_to_end(key)
            return sql
    sql = str(con.compile(build()))
    for name in names:
        sql = sql.replace(f"'{placeholder(name)}'", f"${name}")
    with _lock:
        _compiled[key] = sql
        while len(_compiled) > MAX_QUERIES:
            _compiled.popitem(last=False)
    return sql


def run(
    store: Any, key: tuple[Any, ...], build: Callable[[], ir.Table], values: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Rows of the query `build()` (placeholders for `values`) with `values` bound."""
    # the SQL names the store's tables: kept per store
    sql = compiled_sql(store.ibis(), (str(store.path), *key), build, tuple(values))
    used = {name: value for name, value in values.items() if f"${name}" in sql}
    rows: list[dict[str, Any]] = store.con.execute(sql, used).fetch_arrow_table().to_pylist()
    return rows
