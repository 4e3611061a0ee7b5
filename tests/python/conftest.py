"""Shared fixtures: one data home, one Spark server, real dbt runs.

Every test session gets its own `$CARTWHEEL_HOME` (so nothing touches the developer's
`.cartwheel`), one Thrift + Spark Connect server on free ports whose executors run on a
2-worker Spark standalone cluster (so the thrift target's build is also the proof that the
project runs on a cluster), and one classic local SparkSession for the `ml/` tests. dbt runs
as a subprocess, as users run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cartwheel.jvm import SMALL_DATA_JAVA_OPTIONS

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SHARED = ROOT.parent / "shared" / "data" / "real"
REES46_SAMPLE = SHARED / "rees46-2019oct-head5k" / "2019-Oct.csv.gz"  # 5,019 real events


@dataclass(frozen=True)
class DbtResult:
    returncode: int
    output: str
    run_results: dict

    def statuses(self) -> dict[str, str]:
        return {r["unique_id"]: r["status"] for r in self.run_results.get("results", [])}


# The test shop: small enough for CI, large enough that every evaluation slice has users.
TEST_SHOP = {"interactions": 30_000, "seed": 7, "months": 12}

# Every Spark JVM of the suite (embedded dbt commands, the test servers) runs small builds
# and compiles with C1 only: C2's work would not pay back on data this small (the profile's
# default, for real data, is the full tiered JIT).
os.environ.setdefault("CARTWHEEL_JAVA_OPTIONS", SMALL_DATA_JAVA_OPTIONS)


# Tests that use these fixtures run in one test worker, so each is made once per run.
SHARED_FIXTURES = {"spark_server", "built_local", "built_thrift"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`): the test modules that use the session's
    builds or server in one group, those of the classic Spark session in another, each
    module with a module-scoped fixture (a build on a data home of its own) in a group of
    its own, so that fixture is made once and not in both processes; the rest spread. By
    module, as a test may ask for a build by name (`request.getfixturevalue`)."""

    def uses(item: pytest.Item) -> set[str]:
        return set(getattr(item, "fixturenames", ()))

    def module_scoped(item: pytest.Item) -> bool:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info else ()
        return any(chain[-1].scope == "module" for chain in defs if chain)

    shared = {item.module for item in items if uses(item) & SHARED_FIXTURES}
    spark = {item.module for item in items if "spark" in uses(item)} - shared
    own = {item.module for item in items if module_scoped(item)} - shared - spark
    for item in items:
        if item.module in shared:
            item.add_marker(pytest.mark.xdist_group("shared"))
        elif item.module in spark:
            item.add_marker(pytest.mark.xdist_group("spark"))
        elif item.module in own:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


def pytest_collection_finish(session: pytest.Session) -> None:
    """In a test worker under `--dist loadgroup`: fail at once if pytest-xdist did not group
    the tests (its group suffix missing from their ids), as each worker would then build the
    shared DAG and start a cluster and server of its own."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    ungrouped = [
        item.nodeid
        for item in session.items
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
    ]
    if ungrouped:
        raise pytest.UsageError(
            f"pytest-xdist did not group {len(ungrouped)} tests (e.g. {ungrouped[0]}): "
            "this pytest and pytest-xdist do not work together; run with `-n 0`"
        )


@pytest.fixture(scope="session")
def shop_summary(tmp_path_factory: pytest.TempPathFactory):
    """The session's small generated shop: what the generator wrote (a `GenerateSummary`)
    into the raw root of the session's data home."""
    from datetime import date

    from cartwheel.generate import generate_shop

    raw = tmp_path_factory.mktemp("cartwheel_home") / "raw"
    return generate_shop(raw, start=date(2023, 1, 1), progress=False, **TEST_SHOP)


@pytest.fixture(scope="session")
def cartwheel_home(shop_summary) -> Iterator[Path]:
    """A data home for the session, with the small generated shop as its raw data."""
    home = Path(shop_summary.out).parent
    saved = {
        k: os.environ.get(k)
        for k in ("CARTWHEEL_HOME", "DBT_PROFILES_DIR", "CARTWHEEL_RAW_ROOT", "DBT_LOG_PATH")
    }
    os.environ["CARTWHEEL_HOME"] = str(home)
    os.environ["DBT_PROFILES_DIR"] = str(ROOT / "profiles")
    os.environ["DBT_LOG_PATH"] = str(home / "dbt_logs")  # not the project's, which both
    # test workers would rotate at once
    os.environ.pop("CARTWHEEL_RAW_ROOT", None)
    yield home
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@dataclass(frozen=True)
class ServerInfo:
    host: str
    thrift_port: int
    connect_port: int
    master_port: int  # the standalone cluster's master and its web UI
    ui_port: int

    @property
    def master(self) -> str:
        return f"spark://{self.host}:{self.master_port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.ui_port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "CARTWHEEL_THRIFT_HOST": self.host,
            "CARTWHEEL_THRIFT_PORT": str(self.thrift_port),
            "CARTWHEEL_CONNECT_URL": f"sc://{self.host}:{self.connect_port}",
        }


# The cluster of the session's server: 2 workers x 1 core, 1 GiB (`cartwheel cluster start`).
CLUSTER_WORKERS = 2
# After the thrift build (the project's default vars), the recommenders and everything
# downstream of them are built again with the Spark ML backend and Spark ALS forced, so the
# distributed recommenders (ALS, item-kNN) and their evaluation run on the executors. A
# small ALS (rank 16, 5 iterations, not the vars' 64 and 15): what this run shows is
# where ALS runs and that it survives a lost worker, not its quality; at the vars' size
# Spark ALS took 41 s of the run's 152 s on the 1-core executors (2026-12-03).
ON_EXECUTORS = {"ml_backend": "spark", "als_backend": "spark", "als_rank": 16, "als_max_iter": 5}


@pytest.fixture(scope="session")
def spark_server(cartwheel_home: Path) -> Iterator[ServerInfo]:
    """One Thrift + Spark Connect server for the whole test session, on free ports, its
    executors on a 2-worker standalone cluster started under the session's home."""
    from cartwheel import processes, server

    info = ServerInfo("127.0.0.1", *(server.free_port() for _ in range(4)))
    started = cartwheel_cli(
        "cluster", "start", "--workers", str(CLUSTER_WORKERS), "--worker-cores", "1",
        "--worker-memory", "1g", "--port", str(info.master_port), "--ui-port", str(info.ui_port),
    )  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        start_server(info)
        yield info
    finally:
        stopped = cartwheel_cli("server", "stop")
        launched = json.loads((cartwheel_home / "cluster" / "cluster.json").read_text())
        ended = cartwheel_cli("cluster", "stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert ended.returncode == 0, ended.stdout + ended.stderr
        # every JVM `cluster start` launched is gone (a killed worker was already). A pid is
        # that JVM only if it also started when recorded: a long suite on a pid_max of 32,768
        # hands a killed worker's pid to another process (CI saw it)
        alive = [
            d for d in launched["daemons"]
            if processes.alive(d["pid"]) and processes.start_time(d["pid"]) == d["start_time"]
        ]  # fmt: skip
        assert not alive, alive


def start_server(info: ServerInfo) -> None:
    """The session's server on its cluster. Six JVMs share two cores: the driver and the
    executors compile with C1 only and the executors map the install's class archive."""
    from cartwheel import jvm

    proc = cartwheel_cli(
        "server", "start", "--master", info.master,
        "--thrift-port", str(info.thrift_port),
        "--connect-port", str(info.connect_port),
        "--driver-memory", "2g",
        "--conf", f"spark.driver.extraJavaOptions={SMALL_DATA_JAVA_OPTIONS}",
        "--conf", f"spark.executor.extraJavaOptions={SMALL_DATA_JAVA_OPTIONS} {jvm.java_options()}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def cartwheel_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "cartwheel"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        timeout=600,
    )


def dbt_target_path(target: str, project_dir: Path = ROOT) -> Path:
    """Where a test's dbt command on `target` writes: one folder per target and per test
    worker (two workers' commands must not share manifests and run results)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return project_dir / "target" / "-".join(filter(None, ("pytest", target, worker)))


def run_dbt(
    *args: str,
    target: str = "local",
    project_dir: Path = ROOT,
    env: dict[str, str] | None = None,
    vars: dict | None = None,
) -> DbtResult:
    """Run the dbt CLI; each target keeps its own target/ folder."""
    target_path = dbt_target_path(target, project_dir)
    command = [
        str(BIN / "dbt"),
        *args,
        "--target",
        target,
        "--project-dir",
        str(project_dir),
        "--target-path",
        str(target_path),
    ]
    if vars:
        command += ["--vars", json.dumps(vars)]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=project_dir,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", **(env or {})},
        timeout=1800,
    )
    results_file = target_path / "run_results.json"
    run_results = json.loads(results_file.read_text()) if results_file.exists() else {}
    return DbtResult(proc.returncode, proc.stdout + proc.stderr, run_results)


def dbt_process(*args: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A dbt command in the background, in its own process group (so a test can kill it
    with its Spark JVM), each output line written to `log` as dbt prints it."""
    with log.open("w") as out:
        return subprocess.Popen(
            [str(BIN / "dbt"), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={
                **os.environ,
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
                "PYTHONUNBUFFERED": "1",
                **(env or {}),
            },
            start_new_session=True,
        )


def wait_for(log: Path, text: str, proc: subprocess.Popen, timeout: float = 900) -> None:
    """Wait until `text` appears in the log of a running `dbt_process`."""
    import time

    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert proc.poll() is None, f"dbt ended before {text!r}:\n{log.read_text()[-5000:]}"
        assert time.monotonic() < deadline, f"no {text!r} within {timeout:.0f}s"
        time.sleep(0.2)


def rees46_data_lines(*paths: Path) -> int:
    """Lines of gzipped REES46 CSV files, header lines not counted (read by Python)."""
    import gzip

    total = 0
    for path in paths:
        with gzip.open(path, "rt") as f:
            total += sum(1 for line in f if not line.startswith("event_time,"))
    return total


def local_table(home: Path, table: str, schema: str = "cartwheel"):
    """A managed table of the `local` target, read straight from its Parquet files."""
    import pyarrow.parquet as pq

    path = home / "warehouse" / f"{schema}.db" / table
    assert path.is_dir(), f"no table folder {path}"
    return pq.read_table(path).to_pandas()


def thrift_query(server: ServerInfo, sql: str):
    """Rows of a query over the Thrift server, as a pandas DataFrame (empty for a statement
    that returns none, such as DDL)."""
    import pandas as pd
    from pyhive import hive

    conn = hive.connect(host=server.host, port=server.thrift_port, username="pytest")
    try:
        cursor = conn.cursor()
        cursor.execute(sql)
        if cursor.description is None:
            return pd.DataFrame()
        columns = [d[0].split(".")[-1] for d in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def built_local(cartwheel_home: Path) -> DbtResult:
    """`dbt build` on the embedded default, once per test session."""
    result = run_dbt("build", target="local")
    assert result.returncode == 0, result.output[-5000:]
    return result


@pytest.fixture(scope="session")
def built_thrift(spark_server: ServerInfo, cartwheel_home: Path) -> DbtResult:
    """`dbt build` against the test server on its cluster, once per test session, through
    two faults.

    The server is killed (SIGKILL, as a crash) while the build writes the lake; the build
    must fail saying the server is gone. The server is started again and `dbt retry`
    finishes the build. Then `ml_recommendations` and what depends on it are built again on
    the executors (`ON_EXECUTORS`), losing a worker (SIGKILL: the worker and its executor, a
    machine lost) while the recommenders train. The result holds the output of the runs and
    every node's final status; test_pipeline compares the marts with the uninterrupted local
    build, test_cluster checks the cluster's side.
    """
    import signal
    import time

    from cartwheel import cluster

    target_path = dbt_target_path("thrift")
    log = cartwheel_home / "thrift-build.log"
    build = dbt_process(
        "build", "--target", "thrift", "--target-path", str(target_path),
        log=log, env=spark_server.env,
    )  # fmt: skip
    wait_for(log, "START sql incremental model cartwheel.fct_interactions", build)
    time.sleep(1.0)
    pid = json.loads((cartwheel_home / "server" / "server.pid").read_text())["pid"]
    os.killpg(pid, signal.SIGKILL)  # the server crashes mid-node
    build.wait(timeout=900)
    output = log.read_text()
    assert build.returncode != 0, output[-3000:]
    gone = f"the Spark Thrift server at {spark_server.host}:{spark_server.thrift_port} is gone"
    assert gone in output, output[-5000:]
    first = json.loads((target_path / "run_results.json").read_text())

    start_server(spark_server)
    retry = run_dbt("retry", target="thrift", env=spark_server.env)
    assert retry.returncode == 0, retry.output[-5000:]

    executors_log = cartwheel_home / "thrift-executors.log"
    again = dbt_process(
        "build", "--target", "thrift", "--target-path", str(target_path),
        "--select", "ml_recommendations+", "--vars", json.dumps(ON_EXECUTORS),
        log=executors_log, env=spark_server.env,
    )  # fmt: skip
    wait_for(executors_log, "START python table model cartwheel.ml_recommendations", again, 1500)
    time.sleep(3)
    lost = cluster.kill_worker(cluster.read_state(), CLUSTER_WORKERS)
    assert lost.role == f"worker-{CLUSTER_WORKERS}"
    again.wait(timeout=1800)
    assert again.returncode == 0, executors_log.read_text()[-6000:]
    done = [r for r in first["results"] if r["status"] in ("success", "pass")]
    last = json.loads((target_path / "run_results.json").read_text())["results"]
    results = {"results": done + retry.run_results.get("results", []) + last}
    return DbtResult(retry.returncode, output + retry.output + executors_log.read_text(), results)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Debian's Chromium, headless, with a fresh user-data-dir (docs site, dashboard)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `bash scripts/ensure-chromium.sh`"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
            device_scale_factor=2,
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def spark():
    """One classic local SparkSession for tests of the `ml/` package (no Hive, no dbt)."""
    from pyspark.sql import SparkSession

    from cartwheel import jvm

    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.extraJavaOptions", jvm.java_options())
        .appName("cartwheel-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.catalogImplementation", "in-memory")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
