"""The same project on a Spark standalone cluster: executors in other JVMs, sharing nothing
with the driver but the network and the warehouse path; one worker lost mid-build.

The session's server (conftest: `cartwheel cluster start`, 2 workers x 1 core, 1 GiB, then
`cartwheel server start --master`) is the thrift target of every test. Its build
(`built_thrift`) is the whole `dbt build --target thrift` of the test shop (every source:
REES46 events, Amazon reviews and metadata), then `ml_recommendations+` again with the Spark
ML backend and Spark ALS forced, so the distributed recommenders (ALS, item-kNN) and their
evaluation run end to end through dbt and Spark Connect on the executors; that second run
loses a worker while the recommenders train.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cartwheel import cluster
from conftest import CLUSTER_WORKERS, ROOT, DbtResult, ServerInfo, thrift_query

pytestmark = pytest.mark.cluster


def master_status(server: ServerInfo) -> dict:
    return cluster.master_json(server.ui_url)


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


def app_cores(server: ServerInfo) -> int:
    apps = [a for a in master_status(server)["activeapps"] if a["name"] == "cartwheel-server"]
    return apps[0]["cores"] if apps else 0


def test_a_checkpoint_outlives_the_executor_that_computed_it(spark_server: ServerInfo) -> None:
    """The recommenders compute each list once (`ml.checkpoint`) and read it again later. On a
    cluster those rows go to files under the warehouse: after an executor holding some of
    them is killed they are still read (a local checkpoint lost them: the build failed with
    "Checkpoint block ... not found"). Runs before the thrift build (which loses a worker)."""
    assert app_cores(spark_server) == CLUSTER_WORKERS
    script = subprocess.Popen(
        [sys.executable, "-c", CHECKPOINT_SCRIPT, spark_server.env["CARTWHEEL_CONNECT_URL"],
         str(ROWS)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT,
    )  # fmt: skip
    try:
        assert script.stdout.readline().strip() == "reliable", script.stderr.read()[-3000:]
        warehouse = Path(os.environ["CARTWHEEL_HOME"]) / "server" / "warehouse"
        assert any((warehouse / "_cartwheel_checkpoints").rglob("part-*"))  # files, not blocks
        worker = next(d for d in cluster.read_state().daemons if d.role == "worker-2")
        (executor,) = executor_pids(worker)
        os.kill(executor, signal.SIGKILL)
        out, err = script.communicate("go\n", timeout=300)
    finally:
        script.kill()
    assert script.returncode == 0, err[-3000:]
    assert int(out.strip()) == ROWS * (ROWS - 1) // 2  # the sum of 0 .. ROWS - 1
    # the worker launches a new executor: the build starts on two again
    deadline = time.monotonic() + 120
    while app_cores(spark_server) != CLUSTER_WORKERS and time.monotonic() < deadline:
        time.sleep(1)
    assert app_cores(spark_server) == CLUSTER_WORKERS


def test_the_whole_build_runs_on_the_cluster_and_survives_a_lost_worker(
    built_thrift: DbtResult, spark_server: ServerInfo, shop_summary
) -> None:
    """The thrift build (conftest) ran on the cluster's executors; its run of the
    recommenders on the executors lost worker 2 and its executor while `ml_recommendations`
    trained, and finished on the other worker."""
    statuses = built_thrift.statuses()  # each node's last status
    ok = ("success", "pass", "no-op")  # the README exposure is a no-op
    failed = {node: status for node, status in statuses.items() if status not in ok}
    assert not failed and len(statuses) > 200, failed
    for model in ("ml_recommendations", "ml_metrics", "ml_ab_test", "ml_runs"):
        assert statuses[f"model.cartwheel.{model}"] == "success"

    status = master_status(spark_server)
    states = sorted(w["state"] for w in status["workers"])
    assert states == ["ALIVE", "DEAD"], states  # the build finished on the other worker
    (app,) = [a for a in status["activeapps"] if a["name"] == "cartwheel-server"]
    assert app["cores"] == 1  # the executor left, on the worker that is alive

    runs = thrift_query(
        spark_server, "select distinct model, backend from cartwheel.ml_recommendations"
    )
    by_model = runs.drop_duplicates("model").set_index("model")["backend"]
    assert by_model["popularity"] == "sql", by_model  # Spark SQL, not the local backend's pandas
    assert by_model["als"] == "spark", by_model  # MLlib on the executors
    assert by_model["item_knn"] == "spark", by_model  # co-occurrence on the executors
    # every line the generator wrote is staged (it writes no duplicate, nothing to reject)
    counts = thrift_query(spark_server, "select * from cartwheel.audit_source_row_counts")
    staged = counts.set_index("source_name")["staged_rows"].astype(int).to_dict()
    written = {
        "rees46": shop_summary.events,
        "amazon_reviews": shop_summary.reviews,
        "amazon_meta": shop_summary.products,
    }
    assert {source: staged[source] for source in written} == written
    assert counts["is_reconciled"].astype(bool).all(), counts
