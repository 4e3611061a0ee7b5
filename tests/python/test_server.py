"""`cartwheel server start|stop|status` against real Spark processes."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from conftest import ServerInfo, cartwheel_cli


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
