"""`cartwheel server start|stop|status` against real Spark processes."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from conftest import ServerInfo, cartwheel_cli, run_dbt


def test_status_reports_both_ports(spark_server: ServerInfo) -> None:
    proc = cartwheel_cli("server", "status")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"thrift  {spark_server.host}:{spark_server.thrift_port}: answers" in proc.stdout
    assert f"sc://{spark_server.host}:{spark_server.connect_port}: answers" in proc.stdout


def test_start_when_running_says_so(spark_server: ServerInfo) -> None:
    proc = cartwheel_cli(
        "server",
        "start",
        "--thrift-port",
        str(spark_server.thrift_port),
        "--connect-port",
        str(spark_server.connect_port),
    )
    assert proc.returncode == 0
    assert "already running" in proc.stdout


def test_status_and_stop_when_not_running(tmp_path: Path) -> None:
    env = {"CARTWHEEL_HOME": str(tmp_path)}
    status = cartwheel_cli("server", "status", "--thrift-port", "1", "--connect-port", "2", env=env)
    assert status.returncode == 3
    assert "not running" in status.stdout
    stop = cartwheel_cli("server", "stop", env=env)
    assert stop.returncode == 0
    assert "not running" in stop.stdout


def test_stop_ignores_a_pid_that_is_not_ours(tmp_path: Path) -> None:
    """A stale pid file naming some other process must not kill that process."""
    pid_file = tmp_path / "server" / "server.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(
        f'{{"pid": {os.getpid()}, "host": "127.0.0.1", "thrift_port": 1, '
        f'"connect_port": 2, "log": "x"}}'
    )
    proc = cartwheel_cli("server", "stop", env={"CARTWHEEL_HOME": str(tmp_path)})
    assert proc.returncode == 0
    assert "not running" in proc.stdout
    assert not pid_file.exists()


def test_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = cartwheel_cli(
            "server",
            "start",
            "--thrift-port",
            str(port),
            env={"CARTWHEEL_HOME": str(tmp_path)},
        )
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"cartwheel: error: Thrift port {port} on 127.0.0.1 is in use"


def test_no_java_is_a_clear_error(tmp_path: Path) -> None:
    bin_dir = Path(cartwheel_cli.__globals__["BIN"])
    env = {"CARTWHEEL_HOME": str(tmp_path), "PATH": str(bin_dir), "JAVA_HOME": ""}
    proc = cartwheel_cli("server", "start", env=env)
    assert proc.returncode == 1
    assert "no Java found" in proc.stderr


def test_server_that_dies_during_start_shows_its_log(tmp_path: Path) -> None:
    from cartwheel.server import free_port

    proc = cartwheel_cli(
        "server",
        "start",
        "--thrift-port",
        str(free_port()),
        "--connect-port",
        str(free_port()),
        "--driver-memory",
        "not-a-size",
        env={"CARTWHEEL_HOME": str(tmp_path)},
    )
    assert proc.returncode == 1
    assert "server died during start" in proc.stderr
    assert "log " in proc.stderr
    assert not (tmp_path / "server" / "server.pid").exists()


def test_a_non_loopback_bind_is_refused(tmp_path: Path) -> None:
    proc = cartwheel_cli(
        "server", "start", "--bind", "0.0.0.0", env={"CARTWHEEL_HOME": str(tmp_path)}
    )
    assert proc.returncode == 1
    assert "refusing to bind to 0.0.0.0" in proc.stderr and "--allow-remote" in proc.stderr
    assert "Spark Connect (which runs arbitrary code" in proc.stderr
    assert not (tmp_path / "server").exists()  # refused before anything was started


def test_allow_remote_binds_with_a_warning(tmp_path: Path) -> None:
    from cartwheel.server import free_port

    proc = cartwheel_cli(
        "server",
        "start",
        "--bind",
        "0.0.0.0",
        "--allow-remote",
        "--thrift-port",
        str(free_port()),
        "--connect-port",
        str(free_port()),
        "--driver-memory",
        "not-a-size",  # dies at once: the warning is what is tested here
        env={"CARTWHEEL_HOME": str(tmp_path)},
    )
    assert proc.stderr.startswith("cartwheel server: WARNING: binding to 0.0.0.0 exposes")
    assert "server died during start" in proc.stderr  # it did try to start


def test_the_connect_address_is_not_the_bind_address(monkeypatch) -> None:
    from cartwheel.server import ServerConfig

    monkeypatch.setenv("CARTWHEEL_THRIFT_HOST", "spark-master.example.com")
    monkeypatch.delenv("CARTWHEEL_SERVER_BIND", raising=False)
    assert ServerConfig.from_env().host == "127.0.0.1"
    monkeypatch.setenv("CARTWHEEL_SERVER_BIND", "::1")
    assert ServerConfig.from_env().host == "::1"


def spark_confs(command: list[str]) -> dict[str, list[str]]:
    """Every `--conf` value of a spark-submit command line, by key (each value it got)."""
    found: dict[str, list[str]] = {}
    for flag, value in itertools.pairwise(command):
        if flag == "--conf":
            key, _, setting = value.partition("=")
            found.setdefault(key, []).append(setting)
    return found


def test_an_operators_settings_win_and_the_checkpoints_follow_the_warehouse(
    monkeypatch, tmp_path: Path
) -> None:
    """`server start --master URL --conf ...`: the master from the env, each setting once,
    the operator's over ours, checkpoints under the operator's warehouse."""
    from cartwheel.cli import build_parser
    from cartwheel.server import ServerConfig, build_command

    monkeypatch.setenv("CARTWHEEL_HOME", str(tmp_path))
    monkeypatch.setenv("CARTWHEEL_SPARK_MASTER", "spark://10.0.0.1:7077")
    args = build_parser().parse_args(
        ["server", "start", "--conf", "spark.sql.warehouse.dir=s3a://shop/wh/",
         "--conf", "spark.executor.cores=4", "--conf", "spark.driver.host=10.0.0.5",
         "--conf", "spark.driver.extraJavaOptions=-XX:+UseParallelGC"]
    )  # fmt: skip
    config = ServerConfig.from_env(confs=tuple(args.conf), master=args.master)
    command = build_command(config)
    confs = spark_confs(command)
    assert command[command.index("--master") + 1] == "spark://10.0.0.1:7077"
    assert confs["spark.sql.warehouse.dir"] == ["s3a://shop/wh/"]
    assert confs["spark.checkpoint.dir"] == ["s3a://shop/wh/_cartwheel_checkpoints"]
    assert confs["spark.executor.cores"] == ["4"]
    assert confs["spark.driver.host"] == ["10.0.0.5"]
    assert confs["spark.driver.bindAddress"] == ["127.0.0.1"]  # ours, not overridden
    # JVM flags add to ours: the metastore's home stays where the server keeps it
    (java,) = confs["spark.driver.extraJavaOptions"]
    assert java.startswith(f"-Dderby.system.home={tmp_path / 'server'} ")
    assert java.endswith(" -XX:+UseParallelGC")
    # without settings: our warehouse under the home, checkpoints in it
    plain = spark_confs(build_command(ServerConfig.from_env()))
    assert plain["spark.sql.warehouse.dir"] == [str(tmp_path / "server" / "warehouse")]
    assert plain["spark.checkpoint.dir"] == [
        str(tmp_path / "server" / "warehouse" / "_cartwheel_checkpoints")
    ]
    with pytest.raises(SystemExit):  # argparse: "'spark.executor.cores' is not KEY=VALUE"
        build_parser().parse_args(["server", "start", "--conf", "spark.executor.cores"])


def lookalike(*args: str) -> subprocess.Popen:
    """A process whose command line looks like a Thrift server's (it only sleeps)."""
    code = "import time; time.sleep(120)"
    return subprocess.Popen([sys.executable, "-c", code, *args])


def write_pid_file(home: Path, **state: object) -> Path:
    path = home / "server" / "server.pid"
    path.parent.mkdir(parents=True, exist_ok=True)
    base = {"host": "127.0.0.1", "thrift_port": 1, "connect_port": 2, "log": "x"}
    path.write_text(json.dumps({**base, **state}))
    return path


@pytest.mark.parametrize("case", ["another_home", "recycled_pid"])
def test_stop_spares_a_thrift_server_that_is_not_ours(tmp_path: Path, case: str) -> None:
    from cartwheel.processes import start_time as process_start_time
    from cartwheel.server import THRIFT_CLASS

    home = tmp_path / "home"
    if case == "another_home":  # a real-looking server of another home
        proc = lookalike(THRIFT_CLASS, str(tmp_path / "other" / "server"))
        state = {"pid": proc.pid, "start_time": process_start_time(proc.pid)}
    else:  # this home's command line, but not the process start recorded (pid reused)
        proc = lookalike(THRIFT_CLASS, str(home / "server"))
        state = {"pid": proc.pid, "start_time": process_start_time(proc.pid) - 1}
    try:
        write_pid_file(home, **state)
        out = cartwheel_cli("server", "stop", env={"CARTWHEEL_HOME": str(home)})
        assert out.returncode == 0 and "not running" in out.stdout
        time.sleep(0.5)
        assert proc.poll() is None, "stop killed a process it did not start"
    finally:
        proc.kill()
        proc.wait()


def test_stop_where_proc_is_missing_keeps_the_pid_file(tmp_path: Path, monkeypatch) -> None:
    from cartwheel import processes, server

    monkeypatch.setenv("CARTWHEEL_HOME", str(tmp_path))
    monkeypatch.setattr(processes, "PROC", tmp_path / "no-proc")
    pid_file = write_pid_file(tmp_path, pid=os.getpid(), start_time=1)
    with pytest.raises(server.ServerError, match="no-proc is not available"):
        server.stop()
    assert pid_file.exists()


UPLOAD_SCRIPT = """
import json, sys
import pandas as pd
from pyspark.sql import SparkSession
from ml.upload import UPLOAD_FOLDER, to_spark

spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
frame = pd.DataFrame({"user_id": [f"u{i}" for i in range(2500)], "rank": range(2500)})
sliced = to_spark(spark, frame, "user_id string, rank int", "test", rows=1000)
whole = to_spark(spark, frame.head(900), "user_id string, rank int", "test", rows=1000)
plans = [df._plan.__class__.__name__ for df in (sliced, whole)]
rows = sorted((r.user_id, r.rank) for r in sliced.collect())
print(json.dumps({"rows": rows, "n_whole": whole.count(), "plans": plans}))
"""


def test_a_large_table_reaches_spark_connect_in_slices(spark_server: ServerInfo) -> None:
    """`ml.upload.to_spark` over Connect: a table above the slice size is written in
    slices to the warehouse and read back whole; a small one stays a local relation."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", UPLOAD_SCRIPT, spark_server.env["CARTWHEEL_CONNECT_URL"]],
        capture_output=True, text=True, cwd=root, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rows"] == sorted([f"u{i}", i] for i in range(2500))
    assert result["n_whole"] == 900
    sliced, whole = result["plans"]
    assert sliced == "DataSource" and whole != "DataSource"  # read back / a local relation


def test_a_running_statement_is_asked_about_again_at_once(
    spark_server: ServerInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement still running when the Thrift server's long poll gives up (5 s) is asked
    about again after 20 ms, not after the profile's `poll_interval` (dbt-spark slept 5 s
    there: a 6 s statement took 10 s)."""
    from dbt.adapters.cartwheel.thrift import CartwheelPyhiveConnectionWrapper
    from dbt.adapters.spark import connections as spark_connections
    from pyhive import hive

    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    # dbt-spark's poll loop sleeps through its module's `time`: only its sleeps are
    # recorded (patching time.sleep itself caught other threads' sleeps too)
    clock = types.SimpleNamespace(sleep=sleep, time=time.time)
    monkeypatch.setattr(spark_connections, "time", clock)
    handle = hive.connect(host=spark_server.host, port=spark_server.thrift_port, username="t")
    wrapper = CartwheelPyhiveConnectionWrapper(handle, poll_interval=5)
    try:
        cursor = wrapper.cursor()
        # runs 6 s on the server: the first state request returns "running" after 5 s
        cursor.execute("select 7 as n, java_method('java.lang.Thread', 'sleep', 6000L) as slept")
        assert cursor.fetchall()[0][0] == 7
        assert slept == [0.02]  # then one short delay, and the next request sees it end
        cursor.execute("select 1 + 1")  # short: answered by the first request
        assert cursor.fetchall() == [(2,)]
    finally:
        wrapper.close()
    assert slept == [0.02]
    assert wrapper.poll_interval == 5  # between statements: the profile's value


def test_a_relative_raw_root_is_refused_over_thrift(spark_server: ServerInfo) -> None:
    """The server resolves a relative table location against its own folders (the embedded
    session's build found no file there and reconciled zero rows): over Thrift a relative
    raw root stops the run, naming it, before any raw table is dropped."""
    relative = {"CARTWHEEL_RAW_ROOT": "drops/raw", "CARTWHEEL_SCHEMA": "t_relative_root"}
    env = {**spark_server.env, **relative}
    done = run_dbt("run-operation", "create_raw_sources", target="thrift", env=env)
    assert done.returncode != 0, done.output[-3000:]
    assert "the raw root 'drops/raw' is a relative path" in done.output, done.output[-3000:]
