"""The same project on a Spark standalone cluster: executors in other JVMs, sharing nothing
with the driver but the network and the warehouse path; one worker lost mid-build.

`cartwheel cluster start` (2 workers x 1 core, 1 GiB), `cartwheel server start --master`,
then the whole `dbt build --target thrift` on a small generated shop with the Spark ML
backend and Spark ALS forced, so recommenders train on the executors.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from cartwheel import cluster
from cartwheel.generate import generate_shop
from cartwheel.server import free_port
from conftest import ROOT, cartwheel_cli, dbt_process, wait_for

pytestmark = pytest.mark.cluster
VARS = {"ml_backend": "spark", "als_backend": "spark", "ml_backtest_folds": 1}


@pytest.fixture(scope="module")
def on_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A data home with a small shop, a 2-worker cluster and a server on it; the env."""
    home = tmp_path_factory.mktemp("cluster_home")
    generate_shop(home / "raw", interactions=20_000, seed=3, start=date(2023, 1, 1), months=6)
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
            "--driver-memory", "2g", env=env,
        )  # fmt: skip
        assert server.returncode == 0, server.stdout + server.stderr
        yield env
    finally:
        cartwheel_cli("server", "stop", env=env)
        stopped = cartwheel_cli("cluster", "stop", env=env)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def master_status(env: dict[str, str]) -> dict:
    return cluster.master_json(env["CARTWHEEL_UI_URL"])


def test_the_whole_build_runs_on_the_cluster_and_survives_a_lost_worker(
    on_cluster: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = on_cluster
    status = master_status(env)
    (app,) = [a for a in status["activeapps"] if a["name"] == "cartwheel-server"]
    assert app["cores"] == 2  # one executor on each worker
    assert sorted(w["coresused"] for w in status["workers"]) == [1, 1]

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
