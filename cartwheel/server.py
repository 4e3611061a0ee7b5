"""A local Spark server from the pyspark wheel's own jars.

One Spark application serves the Hive Thrift protocol (for dbt's `thrift` method) and
Spark Connect (for dbt Python models), sharing one catalog. It binds to 127.0.0.1 by
default and keeps its warehouse, Derby metastore, log and pid file under
`$CARTWHEEL_HOME/server/`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from cartwheel.home import server_dir

THRIFT_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
CONNECT_PLUGIN = "org.apache.spark.sql.connect.SparkConnectPlugin"


class ServerError(RuntimeError):
    """A one-line, user-facing server problem."""


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    thrift_port: int = 10000
    connect_port: int = 15002
    driver_memory: str = "4g"
    cores: str = "*"
    start_timeout: float = 240.0

    @classmethod
    def from_env(cls, **overrides: object) -> ServerConfig:
        env = os.environ
        values: dict[str, object] = {
            "host": env.get("CARTWHEEL_THRIFT_HOST", cls.host),
            "thrift_port": int(env.get("CARTWHEEL_THRIFT_PORT", cls.thrift_port)),
            "connect_port": int(env.get("CARTWHEEL_CONNECT_PORT", cls.connect_port)),
            "driver_memory": env.get("CARTWHEEL_SERVER_MEMORY", cls.driver_memory),
            "cores": env.get("CARTWHEEL_SERVER_CORES", cls.cores),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ServerState:
    """What `start` wrote to the pid file."""

    pid: int
    host: str
    thrift_port: int
    connect_port: int
    log: str


def pid_file() -> Path:
    return server_dir() / "server.pid"


def log_file() -> Path:
    return server_dir() / "logs" / "server.log"


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def java_binary() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise ServerError("no Java found: install Java 17 or set JAVA_HOME")
    return found


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (for tests and parallel servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def read_state() -> ServerState | None:
    path = pid_file()
    if not path.exists():
        return None
    try:
        return ServerState(**json.loads(path.read_text()))
    except (ValueError, TypeError) as exc:
        raise ServerError(f"unreadable pid file {path}: {exc}; remove it by hand") from exc


def _is_our_process(pid: int) -> bool:
    """True if `pid` is alive and is a Spark Thrift server (not a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return THRIFT_CLASS in cmdline


def running_state() -> ServerState | None:
    """The state of the server we started, if it is still alive; clears a stale pid file."""
    state = read_state()
    if state is None:
        return None
    if _is_our_process(state.pid):
        return state
    pid_file().unlink(missing_ok=True)
    return None


def log_tail(lines: int = 25) -> str:
    path = log_file()
    if not path.exists():
        return "(no log written)"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def build_command(config: ServerConfig) -> list[str]:
    base = server_dir()
    metastore = base / "metastore_db"
    submit = spark_home() / "bin" / "spark-submit"
    confs = {
        "spark.plugins": CONNECT_PLUGIN,
        "spark.connect.grpc.binding.address": config.host,
        "spark.connect.grpc.binding.port": str(config.connect_port),
        "spark.driver.host": config.host,
        "spark.driver.bindAddress": config.host,
        "spark.ui.enabled": "false",
        "spark.sql.warehouse.dir": str(base / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore};create=true"
        ),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={base}",
    }
    command = [
        str(submit),
        "--class",
        THRIFT_CLASS,
        "--name",
        "cartwheel-server",
        "--master",
        f"local[{config.cores}]",
        "--driver-memory",
        config.driver_memory,
    ]
    for key, value in confs.items():
        command += ["--conf", f"{key}={value}"]
    command += [
        "spark-internal",
        "--hiveconf",
        f"hive.server2.thrift.port={config.thrift_port}",
        "--hiveconf",
        f"hive.server2.thrift.bind.host={config.host}",
    ]
    return command


def start(config: ServerConfig) -> ServerState:
    """Start the server and wait until both ports answer."""
    existing = running_state()
    if existing is not None:
        raise AlreadyRunning(existing)
    java = java_binary()
    for name, port in (("Thrift", config.thrift_port), ("Spark Connect", config.connect_port)):
        if not port_free(config.host, port):
            raise ServerError(f"{name} port {port} on {config.host} is in use")
    log = log_file()
    log.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(spark_home()),
        JAVA_HOME=env.get("JAVA_HOME") or str(Path(java).resolve().parent.parent),
        SPARK_LOCAL_IP=config.host,
        SPARK_LOG_DIR=str(log.parent),
    )
    with log.open("w") as out:
        process = subprocess.Popen(
            build_command(config),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=server_dir(),
            env=env,
            start_new_session=True,
        )
    state = ServerState(
        pid=process.pid,
        host=config.host,
        thrift_port=config.thrift_port,
        connect_port=config.connect_port,
        log=str(log),
    )
    pid_file().write_text(json.dumps(asdict(state)))
    deadline = time.monotonic() + config.start_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pid_file().unlink(missing_ok=True)
            raise ServerError(
                f"server died during start (exit {process.returncode}); log {log}:\n{log_tail()}"
            )
        if port_answers(config.host, config.thrift_port) and port_answers(
            config.host, config.connect_port
        ):
            return state
        time.sleep(0.5)
    _terminate(process.pid)
    pid_file().unlink(missing_ok=True)
    raise ServerError(
        f"server did not answer within {config.start_timeout:.0f}s; log {log}:\n{log_tail()}"
    )


class AlreadyRunning(ServerError):
    def __init__(self, state: ServerState) -> None:
        super().__init__(
            f"already running (pid {state.pid}, thrift {state.host}:{state.thrift_port}, "
            f"connect sc://{state.host}:{state.connect_port})"
        )
        self.state = state


def _terminate(pid: int, timeout: float = 30.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def stop() -> ServerState | None:
    """Stop the server this home started (by its pid file); None if none was running."""
    state = running_state()
    if state is None:
        return None
    _terminate(state.pid)
    pid_file().unlink(missing_ok=True)
    return state


def status(config: ServerConfig) -> dict[str, object]:
    state = running_state()
    host = state.host if state else config.host
    thrift = state.thrift_port if state else config.thrift_port
    connect = state.connect_port if state else config.connect_port
    return {
        "running": state is not None,
        "pid": state.pid if state else None,
        "thrift": f"{host}:{thrift}",
        "thrift_answers": port_answers(host, thrift),
        "connect": f"sc://{host}:{connect}",
        "connect_answers": port_answers(host, connect),
        "log": state.log if state else str(log_file()),
    }
