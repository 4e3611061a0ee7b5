"""A Spark standalone cluster from the pyspark wheel's own classes, on this machine.

    cartwheel cluster start --workers N [--worker-cores C] [--worker-memory M]
    cartwheel cluster status
    cartwheel cluster stop

One master (`org.apache.spark.deploy.master.Master`) and N workers
(`org.apache.spark.deploy.worker.Worker`), each a JVM launched through the wheel's
`bin/spark-class` (the wheel has no `sbin/start-*.sh`), bound to 127.0.0.1. State, logs,
pid records and the workers' work dirs live under `$CARTWHEEL_HOME/cluster/`. `stop` ends
only the processes `start` launched: each is checked against its recorded start time, its
Java class and this home's path in its command line, never found by name.

A server joins it with `cartwheel server start --master spark://127.0.0.1:7077`.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cartwheel import jvm, processes
from cartwheel.home import home

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
HOST = "127.0.0.1"


class ClusterError(RuntimeError):
    """A one-line, user-facing cluster problem."""


@dataclass
class Daemon:
    """One JVM `start` launched: what identifies it and where it logs."""

    role: str
    pid: int
    start_time: int | None
    log: str


@dataclass
class ClusterState:
    master_url: str
    ui_url: str
    daemons: list[Daemon] = field(default_factory=list)


def cluster_dir() -> Path:
    return home() / "cluster"


def state_file() -> Path:
    return cluster_dir() / "cluster.json"


def spark_class() -> Path:
    return jvm.spark_home() / "bin" / "spark-class"


def read_state() -> ClusterState | None:
    path = state_file()
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text())
        daemons = [Daemon(**d) for d in raw.pop("daemons")]
        return ClusterState(daemons=daemons, **raw)
    except (ValueError, TypeError, KeyError) as exc:
        raise ClusterError(f"unreadable cluster state {path}: {exc}; remove it by hand") from exc


def _ours(daemon: Daemon) -> bool:
    cls = MASTER_CLASS if daemon.role == "master" else WORKER_CLASS
    try:
        return processes.is_ours(daemon.pid, daemon.start_time, [cls, str(cluster_dir())])
    except processes.NoProc as exc:
        raise ClusterError(
            f"cannot check which processes this home started: {exc}; {state_file()} is kept"
        ) from None


def _launch(role: str, args: list[str], env: dict[str, str]) -> Daemon:
    log = cluster_dir() / "logs" / f"{role}.log"
    proc = processes.launch([str(spark_class()), *args], log, cluster_dir(), env)
    return Daemon(role, proc.pid, processes.start_time(proc.pid), str(log))


def master_json(ui_url: str, timeout: float = 2.0) -> dict:
    with urllib.request.urlopen(f"{ui_url}/json/", timeout=timeout) as answer:
        return json.loads(answer.read())


def alive_workers(ui_url: str) -> list[dict]:
    try:
        return [w for w in master_json(ui_url)["workers"] if w.get("state") == "ALIVE"]
    except OSError:
        return []


def start(
    workers: int,
    worker_cores: int = 1,
    worker_memory: str = "1g",
    port: int = 7077,
    ui_port: int = 8077,
    timeout: float = 120.0,
) -> ClusterState:
    """Start a master and `workers` workers; wait until every worker is ALIVE."""
    from cartwheel.server import port_free

    if workers < 1:
        raise ClusterError(f"--workers must be at least 1, got {workers}")
    existing = running_state()
    if existing is not None:
        raise ClusterError(f"already running: {existing.master_url} (ui {existing.ui_url})")
    for name, p in (("master", port), ("master UI", ui_port)):
        if not port_free(HOST, p):
            raise ClusterError(f"{name} port {p} on {HOST} is in use")
    base = cluster_dir()
    base.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(spark_class().parent.parent),
        SPARK_LOCAL_IP=HOST,
        SPARK_LOG_DIR=str(base / "logs"),
        SPARK_WORKER_DIR=str(base / "work"),
        # this home, in the command line (`stop` checks it); the install's class archive
        SPARK_DAEMON_JAVA_OPTS=f"-Dcartwheel.cluster={base} {jvm.java_options()}".strip(),
    )
    state = ClusterState(f"spark://{HOST}:{port}", f"http://{HOST}:{ui_port}")
    master_args = [MASTER_CLASS, "--host", HOST, "--port", str(port), "--webui-port", str(ui_port)]
    state.daemons.append(_launch("master", master_args, env))
    state_file().write_text(json.dumps(asdict(state)))
    for i in range(1, workers + 1):
        work = base / "work" / f"worker-{i}"
        work.mkdir(parents=True, exist_ok=True)
        worker_args = [
            WORKER_CLASS, "--host", HOST, "--cores", str(worker_cores),
            "--memory", worker_memory, "--work-dir", str(work), "--webui-port", "0",
            state.master_url,
        ]  # fmt: skip
        state.daemons.append(_launch(f"worker-{i}", worker_args, env))
        state_file().write_text(json.dumps(asdict(state)))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [d for d in state.daemons if not processes.alive(d.pid)]
        if dead:
            stop()
            logs = ", ".join(d.log for d in dead)
            raise ClusterError(f"{', '.join(d.role for d in dead)} died during start; see {logs}")
        if len(alive_workers(state.ui_url)) == workers:
            return state
        time.sleep(0.5)
    stop()
    raise ClusterError(f"{workers} workers did not register within {timeout:.0f}s; see {base}/logs")


def running_state() -> ClusterState | None:
    """The cluster this home started, if any of it is alive; clears a stale state file."""
    state = read_state()
    if state is None:
        return None
    if any(_ours(d) for d in state.daemons):
        return state
    state_file().unlink(missing_ok=True)
    return None


def stop() -> ClusterState | None:
    """Stop the workers, then the master, that this home's `start` launched."""
    state = read_state()
    if state is None:
        return None
    for daemon in reversed(state.daemons):
        if _ours(daemon):
            processes.terminate(daemon.pid)
    state_file().unlink(missing_ok=True)
    return state


def kill_worker(state: ClusterState, index: int) -> Daemon:
    """SIGKILL worker `index` (1-based) and its executors: a machine lost, for fault tests."""
    daemon = next(d for d in state.daemons if d.role == f"worker-{index}")
    if not _ours(daemon):
        raise ClusterError(f"worker-{index} (pid {daemon.pid}) is not running")
    import signal

    os.killpg(daemon.pid, signal.SIGKILL)
    return daemon
