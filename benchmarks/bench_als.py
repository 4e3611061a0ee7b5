"""Benchmark the ALS backends against popularity (and random) on a synthetic shop.

    .venv/bin/python benchmarks/bench_als.py [N] [--seed S] [--months M] [--k K]
        [--max-candidates C] [--backends spark,implicit] [--keep DIR]

N (REES46 events, default 1M; accepts 200k, 1e6, ...) is generated with
``cartwheel.generate.generate_shop`` into a temporary folder (or ``--keep DIR``), read with
pandas (weights: view 1, cart 3, purchase 5, remove_from_cart 0 and dropped), split at a
global cutoff at 90 % of the time span: training = events before the cutoff summed per
(user, product); holdout = (user, product) pairs at/after the cutoff whose user and product
are in training and that are not training pairs. Runs on its own local[2] SparkSession and
prints, per backend, training seconds, scoring seconds and Precision@K, plus popularity's
and random's Precision@K.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


from cartwheel.generate import generate_shop, parse_count  # noqa: E402
from ml.offline import read_events, split  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("interactions", nargs="?", default="1M")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--max-candidates", type=int, default=20_000)
    parser.add_argument("--backends", default="spark,implicit")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    return parser.parse_args(argv)


def spark_session(driver_memory: str):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("bench-als")
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.catalogImplementation", "in-memory")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def timed(label: str, func):
    started = time.perf_counter()
    value = func()
    print(f"  {label:<28} {time.perf_counter() - started:8.1f} s", flush=True)
    return value


def run(root: Path, args: argparse.Namespace, n: int) -> None:
    from pyspark.sql import functions as F

    from ml.als import train_and_recommend
    from ml.metrics import ranking_metrics
    from ml.popularity import recommend_popularity
    from ml.random_baseline import recommend_random
    from ml.settings import from_project

    events = timed("read events (pandas)", lambda: read_events(root))
    train_pd, holdout_pd, cutoff = timed("split", lambda: split(events))
    n_items = train_pd["product_id"].nunique()
    print(
        f"N={n:,} events ({len(events):,} with weight > 0), cutoff {cutoff}, "
        f"train {len(train_pd):,} pairs / {train_pd['user_id'].nunique():,} users / "
        f"{n_items:,} products, holdout {len(holdout_pd):,} pairs / "
        f"{holdout_pd['user_id'].nunique():,} users",
        flush=True,
    )
    spark = timed("spark session", lambda: spark_session(args.driver_memory))
    train = timed("train to spark", lambda: spark.createDataFrame(train_pd).localCheckpoint())
    truth = spark.createDataFrame(holdout_pd).localCheckpoint()
    users = truth.select("user_id").distinct()
    k = args.k
    results: list[tuple[str, float, float]] = []
    recs = []
    for name, func in (
        ("popularity", lambda: recommend_popularity(train, users, k)),
        ("random", lambda: recommend_random(train, users, k, seed=args.seed)),
    ):
        started = time.perf_counter()
        frame = func().localCheckpoint()
        results.append((name, 0.0, time.perf_counter() - started))
        recs.append(frame.withColumn("model", F.lit(name)))
    params = from_project(Path(__file__).resolve().parents[1]).als
    for backend in args.backends.split(","):
        frame, report = train_and_recommend(
            train, users, k, params, backend=backend, max_candidates=args.max_candidates
        )
        results.append((f"als_{backend}", report.train_seconds, report.score_seconds))
        recs.append(frame.withColumn("model", F.lit(f"als_{backend}")))
        print(f"  als {backend}: {report}", flush=True)
    union = recs[0]
    for frame in recs[1:]:
        union = union.unionByName(frame)
    metrics = timed("metrics", lambda: ranking_metrics(union, truth, k, n_items)).set_index("model")
    print(f"\nN={n:,} interactions, {params}, K={k}, max_candidates={args.max_candidates:,}")
    print(
        f"{'model':<14}{'train s':>10}{'score s':>10}{f'P@{k}':>10}{f'R@{k}':>10}"
        f"{'coverage':>10}{'users':>8}"
    )
    for name, train_s, score_s in results:
        row = metrics.loc[name]
        trained = f"{train_s:.1f}" if name.startswith("als_") else "-"
        print(
            f"{name:<14}{trained:>10}{score_s:>10.1f}{row.precision_at_k:>10.4f}"
            f"{row.recall_at_k:>10.4f}{row.catalog_coverage:>10.3f}"
            f"{int(row.n_users_evaluated):>8,}"
        )
    spark.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    n = parse_count("interactions", args.interactions)
    with tempfile.TemporaryDirectory(prefix="bench_als_") as tmp:
        root = args.keep or Path(tmp)
        summary = timed(
            "generate",
            lambda: generate_shop(
                root,
                interactions=n,
                seed=args.seed,
                start=date(2023, 1, 1),
                months=args.months,
                progress=False,
                force=True,
            ),
        )
        print(summary.line(), flush=True)
        run(root, args, n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
