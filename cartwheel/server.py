"""A local Spark server from the pyspark wheel's own jars.

One Spark application serves the Hive Thrift protocol (for dbt's `thrift` method) and
Spark Connect (for dbt Python models), sharing one catalog. It keeps its warehouse, Derby
metastore, log and pid file under `$CARTWHEEL_HOME/server/`.

Neither protocol has authentication here, and Spark Connect runs arbitrary code as this
user: the server binds to 127.0.0.1 (`--bind`, `$CARTWHEEL_SERVER_BIND`) and refuses any
other address unless `--allow-remote` is given. The bind address is not the address dbt
connects to (`$CARTWHEEL_THRIFT_HOST`, which may name a remote cluster's server).

`stop` ends only the process `start` launched: the pid file records the pid, its start
time (from `/proc/<pid>/stat`) and this home, and all three must match a live process.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from cartwheel import jvm, processes
from cartwheel.home import server_dir

THRIFT_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
CONNECT_PLUGIN = "org.apache.spark.sql.connect.SparkConnectPlugin"
CHECKPOINT_FOLDER = "_cartwheel_checkpoints"  # under the warehouse, beside ml.upload's uploads


LOOPBACK = "127.0.0.1"


class ServerError(RuntimeError):
    """A one-line, user-facing server problem."""


class UnsafeBind(ServerError):
    """A non-loopback bind address without `--allow-remote`."""


@dataclass(frozen=True)
class ServerConfig:
    host: str = LOOPBACK
    thrift_port: int = 10000
    connect_port: int = 15002
    driver_memory: str = "4g"
    cores: str = "*"
    start_timeout: float = 240.0
    allow_remote: bool = False
    master: str | None = None  # None: local[cores]; else spark://..., yarn, k8s://...
    executor_memory: str = "1g"
    # `--conf KEY=VALUE` of `server start`: applied last, so they win over the defaults
    confs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls, **overrides: object) -> ServerConfig:
        """`host` is the bind address: `$CARTWHEEL_SERVER_BIND`, never `$CARTWHEEL_THRIFT_HOST`."""
        env = os.environ
        values: dict[str, object] = {
            "host": env.get("CARTWHEEL_SERVER_BIND", cls.host),
            "thrift_port": int(env.get("CARTWHEEL_THRIFT_PORT", cls.thrift_port)),
            "connect_port": int(env.get("CARTWHEEL_CONNECT_PORT", cls.connect_port)),
            "driver_memory": env.get("CARTWHEEL_SERVER_MEMORY", cls.driver_memory),
            "cores": env.get("CARTWHEEL_SERVER_CORES", cls.cores),
            "master": env.get("CARTWHEEL_SPARK_MASTER") or None,
            "executor_memory": env.get("CARTWHEEL_EXECUTOR_MEMORY", cls.executor_memory),
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
    start_time: int | None = None  # field 22 of /proc/<pid>/stat: ticks after boot
    home: str | None = None  # server_dir() of the home that started it


def pid_file() -> Path:
    return server_dir() / "server.pid"


def log_file() -> Path:
    return server_dir() / "logs" / "server.log"


def java_binary() -> str:
    found = jvm.java_binary()
    if found is None:
        raise ServerError("no Java found: install Java 17 or set JAVA_HOME")
    return str(found)


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


def bind_warning(host: str, allow_remote: bool) -> str | None:
    """None for a loopback address; a warning naming the risk when remote binds are allowed.

    Raises UnsafeBind for any other address without `allow_remote`.
    """
    if is_loopback(host):
        return None
    risk = (
        f"binding to {host} exposes an unauthenticated Thrift server (any SQL, any table) "
        "and Spark Connect (which runs arbitrary code as this user) to every machine that "
        f"can reach {host}"
    )
    if not allow_remote:
        raise UnsafeBind(
            f"refusing to bind to {host}: {risk}. Bind to 127.0.0.1 (the default) and reach "
            "it through an SSH tunnel, or pass --allow-remote behind a firewall you control"
        )
    return f"WARNING: {risk}; allow only trusted networks to reach its ports"


def is_loopback(host: str) -> bool:
    """True if every address `host` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        raise ServerError(f"cannot resolve bind address {host!r}: {exc}") from exc
    return all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def connect_host(host: str) -> str:
    """Where to reach a server bound to `host` from this machine."""
    return LOOPBACK if host in ("0.0.0.0", "::", "") else host


def _is_our_process(state: ServerState) -> bool:
    """True if the pid file's process is alive and is the server this home started.

    All of it must match: a Thrift server's command line, this home's path in it, and the
    start time recorded at launch (a recycled pid has another start time). Raises
    ServerError where /proc is missing: then nothing can be checked, and nothing is done.
    """
    if state.home is not None and state.home != str(server_dir()):
        return False  # a pid file copied from another home
    try:
        return processes.is_ours(state.pid, state.start_time, [THRIFT_CLASS, str(server_dir())])
    except processes.NoProc as exc:
        raise ServerError(
            f"cannot check that pid {state.pid} is this home's server: {exc}. The pid file "
            f"{pid_file()} is kept; stop the server by hand (kill {state.pid}) after "
            "checking that it is the Spark Thrift server"
        ) from None


def running_state() -> ServerState | None:
    """The state of the server we started, if it is still alive; clears a stale pid file."""
    state = read_state()
    if state is None:
        return None
    if _is_our_process(state):
        return state
    pid_file().unlink(missing_ok=True)
    return None


def log_tail(lines: int = 25) -> str:
    path = log_file()
    if not path.exists():
        return "(no log written)"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


DRIVER_JAVA_OPTIONS = "spark.driver.extraJavaOptions"


def build_command(config: ServerConfig) -> list[str]:
    base = server_dir()
    metastore = base / "metastore_db"
    submit = jvm.spark_home() / "bin" / "spark-submit"
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
        # Spark Connect caches each session's last 16 resolved plans, and a plan built from
        # a pandas table holds its rows: with the ML models' uploads that pinned 5M rows
        # (2.9 GB) in the driver at 1M interactions and ran it out of heap. dbt runs each
        # Python model once, so the cache saves nothing here.
        "spark.connect.session.planCache.enabled": "false",
        # A driver out of heap dies (dbt then says the server is gone) instead of hanging
        # with its scheduler thread dead and every client waiting.
        DRIVER_JAVA_OPTIONS: (
            f"-Dderby.system.home={base} -XX:+ExitOnOutOfMemoryError {jvm.java_options()}"
        ).strip(),
    }
    if config.master:  # executors in other JVMs: they need only the warehouse path
        confs["spark.executor.memory"] = config.executor_memory
        confs["spark.cleaner.referenceTracking.cleanCheckpoints"] = "true"
    for key, value in config.confs:  # the operator's settings (warehouse, metastore, ...)
        # JVM flags add to ours (the metastore's home, exit on OOM), later ones winning
        joined = key == DRIVER_JAVA_OPTIONS and confs.get(key)
        confs[key] = f"{confs[key]} {value}" if joined else value
    if config.master and "spark.checkpoint.dir" not in confs:
        # An executor can be lost: the ML code's checkpoints go to files every executor
        # shares (ml/checkpoint.py), removed once the driver drops the DataFrame.
        warehouse = confs["spark.sql.warehouse.dir"].rstrip("/")
        confs["spark.checkpoint.dir"] = f"{warehouse}/{CHECKPOINT_FOLDER}"
    command = [
        str(submit),
        "--class",
        THRIFT_CLASS,
        "--name",
        "cartwheel-server",
        "--master",
        config.master or f"local[{config.cores}]",
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
    bind_warning(config.host, config.allow_remote)  # refuses an unsafe bind before anything
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
        SPARK_HOME=str(jvm.spark_home()),
        JAVA_HOME=env.get("JAVA_HOME") or str(Path(java).resolve().parent.parent),
        SPARK_LOCAL_IP=config.host,
        SPARK_LOG_DIR=str(log.parent),
    )
    process = processes.launch(build_command(config), log, server_dir(), env)
    state = ServerState(
        pid=process.pid,
        host=config.host,
        thrift_port=config.thrift_port,
        connect_port=config.connect_port,
        log=str(log),
        start_time=processes.start_time(process.pid),
        home=str(server_dir()),
    )
    pid_file().write_text(json.dumps(asdict(state)))
    deadline = time.monotonic() + config.start_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pid_file().unlink(missing_ok=True)
            raise ServerError(
                f"server died during start (exit {process.returncode}); log {log}:\n{log_tail()}"
            )
        reach = connect_host(config.host)
        if port_answers(reach, config.thrift_port) and port_answers(reach, config.connect_port):
            return state
        time.sleep(0.5)
    processes.terminate(process.pid)
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


def stop() -> ServerState | None:
    """Stop the server this home started (by its pid file); None if none was running."""
    state = running_state()
    if state is None:
        return None
    processes.terminate(state.pid)
    pid_file().unlink(missing_ok=True)
    return state


def status(config: ServerConfig) -> dict[str, object]:
    state = running_state()
    host = connect_host(state.host if state else config.host)
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
