"""Run the same Ibis metric definitions on PySpark, over Parquet exported from the store."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaohe.engine.compute import Request, run
from kaohe.engine.registry import SOURCES, all_metrics

if TYPE_CHECKING:
    from kaohe.store import Store

EXPORTED = ("messages", "agents", "qa_findings", "qa_dismissals")


def exported_tables() -> tuple[str, ...]:
    """The store tables the registered metrics read."""
    all_metrics()  # registers the sources
    tables = [t for source in SOURCES.values() for t in source.tables]
    return tuple(dict.fromkeys([*EXPORTED, *tables]))


def spark_session(master: str = "local[2]", adaptive: bool = True, codegen: bool = True) -> Any:
    """A SparkSession for kaohe: no UI, 2 shuffle partitions, UTC session time zone (stored
    times are local and naive, so no conversion may happen).

    `adaptive=False` turns off adaptive query execution. It changes no result, only the plan:
    on kilobytes of data the catalogue's many stages are re-planned for nothing (measured on
    the parity fixtures: 128 s with it, 31 s without). `codegen=False` evaluates plans
    without compiling Java for each: on kilobytes, compiling costs more than it saves
    (the parity fixtures by agent: 157–206 s with it, 102–122 s without, load 9–11)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if not codegen:  # otherwise Spark's default, or the cluster's spark-defaults.conf
        builder = builder.config("spark.sql.codegen.wholeStage", "false").config(
            "spark.sql.codegen.factoryMode", "NO_CODEGEN"
        )
    session = (
        builder.master(master)
        .appName("kaohe")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.adaptive.enabled", str(adaptive).lower())
        .config("spark.driver.memory", "4g")
        .config("spark.driver.extraJavaOptions", "-Xss16m")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def export_parquet(store: Store, directory: str | Path) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    for name in exported_tables():
        path = Path(directory) / f"{name}.parquet"
        store.con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{path}' (FORMAT parquet)")
        paths[name] = path
    return paths


def spark_connection(session: Any, paths: dict[str, Path]) -> Any:
    import ibis

    con = ibis.pyspark.connect(session)
    for name, path in paths.items():
        con.read_parquet(str(path), table_name=name)
    return con


def run_on_spark(
    store: Store,
    request: Request,
    master: str = "local[2]",
    session: Any = None,
    shared_dir: str | Path | None = None,
) -> list[dict[str, Any]]:
    """The request computed by Spark on the store's tables, exported as Parquet into a new
    folder under `shared_dir` (a place every worker of the cluster can read; this machine's
    temporary folder when None, enough for `local[n]` and a cluster on this machine)."""
    session = session or spark_session(master)
    with tempfile.TemporaryDirectory(prefix="kaohe-spark-", dir=shared_dir) as tmp:
        con = spark_connection(session, export_parquet(store, tmp))
        return run(con, request)
