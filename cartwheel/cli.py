"""The `cartwheel` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cartwheel import server
from cartwheel.progress import waiting


def _server(args: argparse.Namespace) -> int:
    config = server.ServerConfig.from_env(
        host=args.bind,
        allow_remote=args.allow_remote or None,
        thrift_port=args.thrift_port,
        connect_port=args.connect_port,
        driver_memory=args.driver_memory,
        cores=args.cores,
        master=args.master,
        confs=tuple(args.conf) or None,
    )
    if args.action == "start":
        warning = server.bind_warning(config.host, config.allow_remote)
        if warning:
            print(f"cartwheel server: {warning}", file=sys.stderr)
        try:
            with waiting("starting the Spark Thrift + Connect server"):
                state = server.start(config)
        except server.AlreadyRunning as exc:
            print(f"cartwheel server: {exc}")
            return 0
        print(
            f"cartwheel server started (pid {state.pid}): thrift {state.host}:{state.thrift_port}, "
            f"connect sc://{state.host}:{state.connect_port}, master "
            f"{config.master or f'local[{config.cores}]'}; log {state.log}"
        )
        return 0
    if args.action == "stop":
        stopped = server.stop()
        if stopped is None:
            print("cartwheel server: not running")
        else:
            print(f"cartwheel server stopped (pid {stopped.pid})")
        return 0
    info = server.status(config)
    state = "running" if info["running"] else "not running"
    pid = f" (pid {info['pid']})" if info["pid"] else ""
    print(f"cartwheel server: {state}{pid}")
    print(f"  thrift  {info['thrift']}: {'answers' if info['thrift_answers'] else 'no answer'}")
    print(f"  connect {info['connect']}: {'answers' if info['connect_answers'] else 'no answer'}")
    print(f"  log     {info['log']}")
    return 0 if info["running"] else 3


def _cluster(args: argparse.Namespace) -> int:
    from cartwheel import cluster

    try:
        if args.action == "start":
            with waiting(f"starting a master and {args.workers} workers"):
                state = cluster.start(
                    args.workers, args.worker_cores, args.worker_memory, args.port, args.ui_port
                )
            print(
                f"cartwheel cluster started: {state.master_url} with {args.workers} workers "
                f"({args.worker_cores} core, {args.worker_memory} each); ui {state.ui_url}; "
                f"logs {cluster.cluster_dir() / 'logs'}"
            )
            return 0
        if args.action == "stop":
            stopped = cluster.stop()
            print(
                "cartwheel cluster: not running" if stopped is None else "cartwheel cluster stopped"
            )
            return 0
        state = cluster.running_state()
        if state is None:
            print("cartwheel cluster: not running")
            return 3
        workers = cluster.alive_workers(state.ui_url)
        alive = f"{len(workers)} workers ALIVE"
        print(f"cartwheel cluster: {state.master_url}, {alive}; ui {state.ui_url}")
        return 0
    except cluster.ClusterError as exc:
        raise server.ServerError(str(exc)) from None


def _dashboard(args: argparse.Namespace) -> int:
    """Serve the Streamlit dashboard on 127.0.0.1 (the marts of the profile's target)."""
    import subprocess
    from pathlib import Path

    app = Path(__file__).resolve().parent / "dashboard" / "app.py"
    command = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", "127.0.0.1", "--server.port", str(args.port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    print(f"cartwheel dashboard: http://127.0.0.1:{args.port} (Ctrl-C stops it)", flush=True)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def _conf(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE (e.g. spark.executor.cores=2)")
    return key.strip(), value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cartwheel", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    srv = commands.add_parser("server", help="a local Spark Thrift + Spark Connect server")
    srv.add_argument("action", choices=["start", "stop", "status"])
    srv.add_argument(
        "--bind",
        help="address the server listens on (default 127.0.0.1, env CARTWHEEL_SERVER_BIND); "
        "not the address dbt connects to (CARTWHEEL_THRIFT_HOST)",
    )
    srv.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --bind: exposes an unauthenticated Thrift server and "
        "Spark Connect (arbitrary code) to the network",
    )
    srv.add_argument("--thrift-port", type=int, help="default 10000 (CARTWHEEL_THRIFT_PORT)")
    srv.add_argument("--connect-port", type=int, help="default 15002 (CARTWHEEL_CONNECT_PORT)")
    srv.add_argument("--driver-memory", help="default 4g (CARTWHEEL_SERVER_MEMORY)")
    srv.add_argument("--cores", help="local[N] cores, default * (CARTWHEEL_SERVER_CORES)")
    srv.add_argument(
        "--master",
        help="run on a cluster: spark://host:7077 (standalone; `cartwheel cluster start`), "
        "yarn or k8s://... (env CARTWHEEL_SPARK_MASTER; default local[--cores])",
    )
    srv.add_argument(
        "--conf",
        action="append",
        default=[],
        type=_conf,
        metavar="KEY=VALUE",
        help="a Spark setting of the server, repeatable, over the defaults: e.g. "
        "spark.sql.warehouse.dir, spark.hadoop.javax.jdo.option.ConnectionURL, "
        "spark.executor.cores, spark.driver.host (a cluster operator's settings: README)",
    )
    srv.set_defaults(handler=_server)

    clu = commands.add_parser("cluster", help="a Spark standalone cluster on this machine")
    clu.add_argument("action", choices=["start", "stop", "status"])
    clu.add_argument("--workers", type=int, default=2, help="number of workers (default 2)")
    clu.add_argument("--worker-cores", type=int, default=1, help="cores per worker (default 1)")
    clu.add_argument("--worker-memory", default="1g", help="memory per worker (default 1g)")
    clu.add_argument("--port", type=int, default=7077, help="master port (default 7077)")
    clu.add_argument("--ui-port", type=int, default=8077, help="master web UI (default 8077)")
    clu.set_defaults(handler=_cluster)

    dash = commands.add_parser("dashboard", help="the Streamlit dashboard over the marts")
    dash.add_argument("--port", type=int, default=8501, help="default 8501 (on 127.0.0.1)")
    dash.set_defaults(handler=_dashboard)

    _add_extra_commands(commands)
    return parser


def _add_extra_commands(commands: argparse._SubParsersAction) -> None:
    """Commands that live in their own modules register here."""
    try:
        from cartwheel import convert, generate
    except ImportError:  # pragma: no cover - during bootstrap
        return
    generate.register(commands)
    convert.register(commands)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except server.ServerError as exc:
        print(f"cartwheel: error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"cartwheel: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
