"""The same project on a Spark standalone cluster: executors in other JVMs, sharing nothing
with the driver but the network and the warehouse path; one worker lost mid-build.

`cartwheel cluster start` (2 workers x 1 core, 1 GiB), `cartwheel server start --master`,
then the whole `dbt build --target thrift` on a small generated shop (20,000 events, every
source: REES46 events, Amazon reviews and metadata) with the Spark ML backend and Spark ALS
forced, so the distributed recommenders (ALS, item-kNN) and their evaluation run end to end
through dbt and Spark Connect on the executors.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from cartwheel import cluster, jvm, processes
from cartwheel.generate import GenerateSummary, generate_shop
from cartwheel.server import free_port
from conftest import (
    C1_ONLY,
    ROOT,
    ServerInfo,
    cartwheel_cli,
    dbt_process,
    thrift_query,
    wait_for,
)

pytestmark = pytest.mark.cluster
VARS = {"ml_backend": "spark", "als_backend": "spark", "ml_backtest_folds": 1}


# Six JVMs share CI's two cores for one build: the driver and the executors compile with C1
# only and the executors map the install's class archive.
SHORT_LIVED_JVMS = (
    "--conf", f"spark.driver.extraJavaOptions={C1_ONLY}",
    "--conf", f"spark.executor.extraJavaOptions={C1_ONLY} {jvm.java_options()}",
)  # fmt: skip
SHOP: dict = {"interactions": 20_000, "seed": 3, "start": date(2023, 1, 1), "months": 6}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    home = tmp_path_factory.mktemp("cluster_home")
    return home, generate_shop(home / "raw", **SHOP)


@pytest.fixture(scope="module")
def on_cluster(shop: tuple[Path, GenerateSummary]) -> Iterator[dict[str, str]]:
    """A data home with a small generated shop, a 2-worker cluster and a server on it; the env."""
    home, _ = shop
    port, ui_port, thrift, connect = (free_port() for _ in range(4))
    env = {
        "CARTWHEEL_HOME": str(home),
        "CARTWHEEL_RAW_ROOT": str(home / "raw"),
        "CARTWHEEL_THRIFT_HOST": "127.0.0.1",
        "CARTWHEEL_THRIFT_PORT": str(thrift),
        "CARTWHEEL_CONNECT_URL": f"sc://127.0.0.1:{connect}",
        "CARTWHEEL_UI_URL": f"http://127.0.0.1:{ui_port}",
    }
    started = cartwheel_cli(
        "cluster", "start", "--workers", "2", "--worker-cores", "1", "--worker-memory", "1g",
        "--port", str(port), "--ui-port", str(ui_port), env=env,
    )  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        server = cartwheel_cli(
            "server", "start", "--master", f"spark://127.0.0.1:{port}",
            "--thrift-port", str(thrift), "--connect-port", str(connect),
            "--driver-memory", "2g", *SHORT_LIVED_JVMS, env=env,
        )  # fmt: skip
        assert server.returncode == 0, server.stdout + server.stderr
        yield env
    finally:
        cartwheel_cli("server", "stop", env=env)
        launched = json.loads((home / "cluster" / "cluster.json").read_text())["daemons"]
        stopped = cartwheel_cli("cluster", "stop", env=env)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        # every JVM `cluster start` launched is gone (a killed worker was already)
        assert not [d for d in launched if processes.alive(d["pid"])], launched


def master_status(env: dict[str, str]) -> dict:
    return cluster.master_json(env["CARTWHEEL_UI_URL"])


ROWS = 2_000_000
CHECKPOINT_SCRIPT = """
import sys
from pyspark.sql import SparkSession, functions as F
from ml.checkpoint import checkpoint, reliable

spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
n = int(sys.argv[2])
frame = checkpoint(spark.range(0, n, 1, 8).withColumn("x", F.sha2(F.col("id").cast("string"), 256)))
print("reliable" if reliable(spark) else "local", flush=True)
sys.stdin.readline()  # the test kills an executor meanwhile
print(frame.agg(F.sum("id")).first()[0], flush=True)
"""


def executor_pids(worker: cluster.Daemon) -> list[int]:
    """The executor JVMs a worker launched (its process group, by command line)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if (
                b"CoarseGrainedExecutorBackend" in cmdline
                and os.getpgid(int(proc.name)) == worker.pid
            ):
                found.append(int(proc.name))
        except (ValueError, OSError):
            continue
    return found


def app_cores(env: dict[str, str]) -> int:
    apps = [a for a in master_status(env)["activeapps"] if a["name"] == "cartwheel-server"]
    return apps[0]["cores"] if apps else 0


def test_a_checkpoint_outlives_the_executor_that_computed_it(
    on_cluster: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recommenders compute each list once (`ml.checkpoint`) and read it again later. On a
    cluster those rows go to files under the warehouse: after an executor holding some of
    them is killed they are still read (a local checkpoint lost them: the build failed with
    "Checkpoint block ... not found")."""
    env = on_cluster
    assert app_cores(env) == 2
    script = subprocess.Popen(
        [sys.executable, "-c", CHECKPOINT_SCRIPT, env["CARTWHEEL_CONNECT_URL"], str(ROWS)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT,
    )  # fmt: skip
    try:
        assert script.stdout.readline().strip() == "reliable", script.stderr.read()[-3000:]
        warehouse = Path(env["CARTWHEEL_HOME"]) / "server" / "warehouse"
        assert any((warehouse / "_cartwheel_checkpoints").rglob("part-*"))  # files, not blocks
        monkeypatch.setenv("CARTWHEEL_HOME", env["CARTWHEEL_HOME"])
        worker = next(d for d in cluster.read_state().daemons if d.role == "worker-2")
        (executor,) = executor_pids(worker)
        os.kill(executor, signal.SIGKILL)
        out, err = script.communicate("go\n", timeout=300)
    finally:
        script.kill()
    assert script.returncode == 0, err[-3000:]
    assert int(out.strip()) == ROWS * (ROWS - 1) // 2  # the sum of 0 .. ROWS - 1
    # the worker launches a new executor: the build below starts on two again
    deadline = time.monotonic() + 120
    while app_cores(env) != 2 and time.monotonic() < deadline:
        time.sleep(1)
    assert app_cores(env) == 2


def test_the_whole_build_runs_on_the_cluster_and_survives_a_lost_worker(
    on_cluster: dict[str, str],
    shop: tuple[Path, GenerateSummary],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = on_cluster
    assert app_cores(env) == 2  # one executor on each worker
    assert sorted(w["coresused"] for w in master_status(env)["workers"]) == [1, 1]

    target = Path(env["CARTWHEEL_HOME"]) / "target"
    log = Path(env["CARTWHEEL_HOME"]) / "build.log"
    build = dbt_process(
        "build", "--target", "thrift", "--target-path", str(target), "--vars", json.dumps(VARS),
        log=log, env={**env, "DBT_PROFILES_DIR": str(ROOT / "profiles")},
    )  # fmt: skip
    # lose a worker (and its executor) while the recommenders train on the executors
    wait_for(log, "START python table model cartwheel.ml_recommendations", build, timeout=1500)
    time.sleep(3)
    monkeypatch.setenv("CARTWHEEL_HOME", env["CARTWHEEL_HOME"])
    lost = cluster.kill_worker(cluster.read_state(), 2)  # SIGKILL: worker and its executor
    build.wait(timeout=1800)
    output = log.read_text()
    assert build.returncode == 0, output[-6000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    ok = ("success", "pass", "no-op")  # the README exposure is a no-op
    failed = {r["unique_id"]: r["status"] for r in results if r["status"] not in ok}
    assert not failed and len(results) > 200, failed

    status = master_status(env)
    states = sorted(w["state"] for w in status["workers"])
    assert states == ["ALIVE", "DEAD"], states  # the build finished on the other worker
    assert lost.role == "worker-2"
    recs = [r for r in results if r["unique_id"] == "model.cartwheel.ml_recommendations"]
    assert recs and recs[0]["status"] == "success"

    server = ServerInfo("127.0.0.1", int(env["CARTWHEEL_THRIFT_PORT"]), 0)
    runs = thrift_query(server, "select distinct model, backend from cartwheel.ml_recommendations")
    by_model = runs.drop_duplicates("model").set_index("model")["backend"]
    assert by_model["popularity"] == "sql", by_model  # Spark SQL, not the local backend's pandas
    assert by_model["als"] == "spark", by_model  # MLlib on the executors
    assert by_model["item_knn"] == "spark", by_model  # co-occurrence on the executors
    # every line the generator wrote is staged (it writes no duplicate, nothing to reject)
    _, summary = shop
    counts = thrift_query(server, "select * from cartwheel.audit_source_row_counts")
    staged = counts.set_index("source_name")["staged_rows"].astype(int).to_dict()
    written = {
        "rees46": summary.events,
        "amazon_reviews": summary.reviews,
        "amazon_meta": summary.products,
    }
    assert {source: staged[source] for source in written} == written
    assert counts["is_reconciled"].astype(bool).all(), counts
