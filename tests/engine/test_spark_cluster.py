"""`kaohe kpi --engine spark` on a real Spark standalone cluster (a master and one worker on
the loopback, started from the pyspark package as a user would start theirs): the same rows as
DuckDB, computed by the cluster's executor."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kaohe.store import Store
from tests.engine import fixtures as F
from tests.engine.conftest import fill

pytestmark = [pytest.mark.spark, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
# two counts over messages: the cluster path (export, executors, Python workers) without the
# conversation blocks, whose every metric the parity test already runs on Spark
METRICS = "agent_messages,buyer_messages"
# the cluster's own settings, as an operator keeps them: kilobytes of data are evaluated
# without compiling Java for every plan (the parity test's session does the same)
SPARK_DEFAULTS = "spark.sql.codegen.wholeStage false\nspark.sql.codegen.factoryMode NO_CODEGEN\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cluster_env(tmp: Path) -> dict[str, str]:
    pyspark = pytest.importorskip("pyspark")
    (tmp / "conf").mkdir()
    (tmp / "conf" / "spark-defaults.conf").write_text(SPARK_DEFAULTS, encoding="utf-8")
    return {
        **os.environ,
        "SPARK_HOME": str(Path(pyspark.__file__).parent),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_CONF_DIR": str(tmp / "conf"),
        "SPARK_WORKER_DIR": str(tmp / "work"),
        "SPARK_LOG_DIR": str(tmp / "logs"),
        "PYSPARK_PYTHON": sys.executable,
        "PYTHONPATH": str(ROOT / "src"),
    }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict[str, str]]]:
    """spark://127.0.0.1:<port> with one registered worker (1 core, 1 GiB), the master's
    status page, and the environment a command runs in."""
    tmp = tmp_path_factory.mktemp("spark-cluster")
    env = _cluster_env(tmp)
    spark_class = str(Path(env["SPARK_HOME"]) / "bin" / "spark-class")
    port, ui = _free_port(), _free_port()
    url = f"spark://127.0.0.1:{port}"
    master_args = ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui)]
    worker_args = ["--cores", "1", "--memory", "1g", "--webui-port", str(_free_port())]
    procs = [
        subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.master.Master", *master_args],
            env=env,
            stdout=(tmp / "master.log").open("w"),
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.worker.Worker", *worker_args, url],
            env=env,
            stdout=(tmp / "worker.log").open("w"),
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                state = httpx.get(f"http://127.0.0.1:{ui}/json/", timeout=5).json()
                if state.get("aliveworkers", 0) >= 1:
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(1)
        else:
            pytest.fail(f"no Spark worker registered in 180 s: see {tmp}/*.log")
        yield url, f"http://127.0.0.1:{ui}/json/", env
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _kpi(db: Path, env: dict[str, str], *extra: str) -> list[dict]:
    args = ["kpi", "--period", "2026-10", "--metrics", METRICS, "--format", "json", *extra]
    done = subprocess.run(
        [sys.executable, "-m", "kaohe", "--db", str(db), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return sorted(json.loads(done.stdout)["rows"], key=lambda r: r["agent"])


def test_kpi_on_a_standalone_cluster_equals_duckdb(
    cluster: tuple[str, str, dict[str, str]], tmp_path: Path
) -> None:
    url, status, env = cluster
    db = tmp_path / "k.duckdb"
    with Store(db) as store:
        fill(store, F.ALL, F.ROSTER)
    shared = tmp_path / "shared"
    shared.mkdir()
    on_cluster = _kpi(db, env, "--engine", "spark", "--master", url, "--spark-dir", str(shared))
    assert on_cluster == _kpi(db, env, "--no-facts")
    sent = {r["agent"]: r["agent_messages"] for r in on_cluster}
    by_hand = {  # valid replies: the agent's own, not automatic (no withdrawn ones in F.ALL)
        a: sum(r["agent"] == a and r["sender"] == "agent" and not r["auto_reply"] for r in F.ALL)
        for a in sent
    }
    assert sent == by_hand and sum(sent.values()) > 0
    assert not list(shared.iterdir())  # the exported tables are gone after the run
    apps = httpx.get(status, timeout=10).json()["completedapps"]
    assert [a["name"] for a in apps] == ["kaohe"]  # computed by the cluster, not in-process
