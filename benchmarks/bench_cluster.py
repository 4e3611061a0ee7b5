"""The cluster benchmark: the whole build on a 2-worker standalone cluster next to `local[2]`.

    .venv/bin/python benchmarks/bench_cluster.py [--interactions 1M] [--work DIR]
        [--workers 2 --worker-cores 1 --worker-memory 2g]

One generated shop (24 months), built twice with ``dbt build --target thrift --full-refresh``
(the default ML backend), each build in its own data home over the same raw files:

- ``local[2]``: ``cartwheel server start --cores 2`` (one JVM: driver and executors);
- cluster: ``cartwheel cluster start --workers 2 --worker-cores 1`` and ``cartwheel server
  start --master spark://...`` (the driver in one JVM, an executor in each worker's JVM).

It prints each build's wall time, node count and failures, then times MLlib ALS
(``ml.als.spark_backend``, default parameters) on the build's training window over Spark
Connect on the same server (``--als-only`` reuses the homes' tables and times ALS alone).
The point is correctness and overhead, not speed: on one 2-core machine both run on the
same two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_speed import Stage, env_for, machine, timed  # noqa: E402
from cartwheel.generate import parse_count  # noqa: E402
from cartwheel.server import free_port  # noqa: E402


def cli(*args: str, env: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        out.write(f"\n$ cartwheel {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(
            [str(BIN / "cartwheel"), *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    if done.returncode != 0:
        raise SystemExit(f"cartwheel {' '.join(args)} failed: see {log}")


ALS_SCRIPT = """
import json, sys, time
from pyspark.sql import SparkSession
from ml.als.params import AlsParams
from ml.als.spark_backend import recommend_spark

spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
train = spark.table("cartwheel.ml_train_interactions")
users = spark.table("cartwheel.ml_holdout_interactions").select("user_id").distinct()
result = recommend_spark(train, users, 10, AlsParams())
print(json.dumps({"pairs": train.count(), "train": result.train_seconds,
                  "score": result.score_seconds, "recs": result.recs.count()}))
"""


def spark_als(env: dict[str, str], log: Path) -> dict:
    """MLlib ALS (`ml.als.spark_backend`, default parameters) on the build's training
    window, over Spark Connect: its training and scoring seconds."""
    with log.open("a") as out:
        done = subprocess.run(
            [str(BIN / "python"), "-c", ALS_SCRIPT, env["CARTWHEEL_CONNECT_URL"]],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=out, text=True,
        )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"Spark ALS failed: see {log}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def build(name: str, raw: Path, work: Path, master: str | None, args: argparse.Namespace) -> dict:
    """The full build (unless ``--als-only``, which reuses the home's tables), then Spark
    ALS on its training window, on a server of its own (on a cluster of its own)."""
    home = work / name
    if not args.als_only:
        shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    thrift, connect, port, ui_port = (free_port() for _ in range(4))
    env = {
        **env_for(home),
        "CARTWHEEL_RAW_ROOT": str(raw),
        "CARTWHEEL_THRIFT_HOST": "127.0.0.1",
        "CARTWHEEL_THRIFT_PORT": str(thrift),
        "CARTWHEEL_CONNECT_URL": f"sc://127.0.0.1:{connect}",
        "CARTWHEEL_EXECUTOR_MEMORY": args.executor_memory,
    }
    log = home / "bench.log"
    server = ["server", "start", "--thrift-port", str(thrift), "--connect-port", str(connect)]
    if master == "cluster":
        cli(
            "cluster", "start", "--workers", str(args.workers),
            "--worker-cores", str(args.worker_cores), "--worker-memory", args.worker_memory,
            "--port", str(port), "--ui-port", str(ui_port), env=env, log=log,
        )  # fmt: skip
        server += ["--master", f"spark://127.0.0.1:{port}"]
    else:
        server += ["--cores", str(args.workers * args.worker_cores)]
    row: dict = {"name": name, "log": str(log)}
    try:
        cli(*server, "--driver-memory", args.driver_memory, env=env, log=log)
        if not args.als_only:
            target = home / "target"
            command = [
                str(BIN / "dbt"), "build", "--full-refresh", "--target", "thrift",
                "--target-path", str(target),
            ]  # fmt: skip
            stage: Stage = timed(command, env, log)
            results = json.loads((target / "run_results.json").read_text())["results"]
            ok = ("success", "pass", "no-op")
            row |= {
                "seconds": stage.seconds,
                "ok": stage.ok,
                "nodes": len(results),
                "failed": sorted(r["unique_id"] for r in results if r["status"] not in ok),
            }
        row["als"] = spark_als(env, log)
    finally:
        subprocess.run([str(BIN / "cartwheel"), "server", "stop"], env=env, capture_output=True)
        if master == "cluster":
            subprocess.run(
                [str(BIN / "cartwheel"), "cluster", "stop"], env=env, capture_output=True
            )
    return row


def report(rows: list[dict], interactions: int, args: argparse.Namespace) -> str:
    lines = [
        f"`benchmarks/bench_cluster.py` on {time.strftime('%Y-%m-%d')}, {machine()}: "
        f"`dbt build --full-refresh --target thrift` of a generated shop of {interactions:,} "
        f"interactions (24 months), then MLlib ALS (default parameters, k = 10) on its "
        f"training window over Spark Connect; cluster = {args.workers} workers x "
        f"{args.worker_cores} core, {args.worker_memory} each (executors "
        f"{args.executor_memory}); driver {args.driver_memory}.",
        "",
        "| server | build s | nodes | failed | ALS pairs | Spark ALS train s | score s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        als = r.get("als", {})
        build = (
            f"{r['seconds']:.0f} | {r['nodes']} | {len(r['failed'])}"
            if "seconds" in r
            else "not run | | "
        )
        lines.append(
            f"| {r['name']} | {build} | {als.get('pairs', 0):,} | "
            f"{als.get('train', 0):.1f} | {als.get('score', 0):.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", default="1M")
    parser.add_argument("--work", type=Path, default=ROOT / "target" / "bench-cluster")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-cores", type=int, default=1)
    parser.add_argument("--worker-memory", default="2g")
    parser.add_argument("--executor-memory", default="1536m")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=["local", "cluster"], default=None)
    parser.add_argument(
        "--als-only", action="store_true", help="reuse the homes' tables: time Spark ALS only"
    )
    args = parser.parse_args(argv)
    interactions = parse_count("interactions", args.interactions)
    args.work.mkdir(parents=True, exist_ok=True)
    raw = args.work / "raw"
    if not raw.is_dir():
        subprocess.run(
            [
                str(BIN / "cartwheel"), "generate", "--interactions", str(interactions),
                "--months", "24", "--seed", str(args.seed), "--out", str(raw),
            ],
            check=True, env=os.environ,
        )  # fmt: skip
    rows = []
    for name, master in (("local[2]", None), ("cluster", "cluster")):
        if args.only and args.only != ("local" if master is None else "cluster"):
            continue
        row = build(name.replace("[", "-").replace("]", ""), raw, args.work, master, args)
        row["name"] = name
        rows.append(row)
        print(json.dumps(row), flush=True)
    text = report(rows, interactions, args)
    print(text)
    (args.work / "figures.md").write_text(text + "\n")
    return 0 if all(r.get("ok", True) and not r.get("failed") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
