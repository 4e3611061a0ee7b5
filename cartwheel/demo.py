"""`make demo`: the main job end to end on the embedded default, then a readable summary.

1. generate a synthetic shop under the raw root (unless raw files are already there);
2. `dbt build --target local` (in-process Spark, no server);
3. print what was built and the headline numbers, read from the tables themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from cartwheel.generate import generate_shop
from cartwheel.home import home, raw_root
from cartwheel.jvm import SMALL_DATA_JAVA_OPTIONS
from ml.tracking import ui_command

PROJECT = Path(__file__).resolve().parents[1]
SCHEMA = os.environ.get("CARTWHEEL_SCHEMA", "cartwheel")
DEFAULT_INTERACTIONS = 200_000
# The demo shop: 2 years of traffic from a fixed seed (the quality test uses the same shop).
DEMO_SHOP = {"seed": 42, "start": date(2023, 1, 1), "months": 24}
# Raw data up to this size (the 200k-event shop is ~4 MB) builds with two dbt threads and
# a C1-only JVM; each alone did not pay (two threads under the default JIT kept both cores
# busy compiling, C1 with one thread left a core idle). Larger raw data keeps the profile's
# defaults (C1 alone parses big drops slower). Figures: README, "How the figures got here".
SMALL_RAW_BYTES = 10 * 2**20
SMALL_DATA_ENV = {"CARTWHEEL_THREADS": "2", "CARTWHEEL_JAVA_OPTIONS": SMALL_DATA_JAVA_OPTIONS}


def dbt(*args: str) -> None:
    command = [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(PROJECT)]
    print("$ dbt " + " ".join(args), flush=True)
    subprocess.run(command, check=True, cwd=PROJECT)


def table(name: str) -> pd.DataFrame:
    return pq.read_table(home() / "warehouse" / f"{SCHEMA}.db" / name).to_pandas()


def ensure_shop() -> str:
    """Raw data to build from: what is already under the raw root, else a generated shop."""
    root = raw_root()
    if any(root.glob("*/*")):
        return f"existing raw files under {root}"
    n = int(os.environ.get("CARTWHEEL_DEMO_INTERACTIONS", DEFAULT_INTERACTIONS))
    summary = generate_shop(root, interactions=n, progress=True, **DEMO_SHOP)
    return (
        f"a generated shop under {root}: {summary.events:,} events, "
        f"{summary.reviews:,} reviews, {summary.users:,} users, {summary.products:,} products "
        f"({summary.seconds:.0f} s)"
    )


def raw_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def small_data_settings(root: Path) -> dict[str, str]:
    """Env vars for a small shop's build (``SMALL_DATA_ENV``), those the user set left out;
    none for raw data over ``SMALL_RAW_BYTES``."""
    if raw_bytes(root) > SMALL_RAW_BYTES:
        return {}
    return {key: value for key, value in SMALL_DATA_ENV.items() if key not in os.environ}


def print_summary(data: str, seconds: float) -> None:
    counts = table("audit_source_row_counts")
    events = table("fct_interactions")
    print()
    print(f"cartwheel demo: built in {seconds:.0f} s on the embedded Spark session")
    print(f"  data       {data}")
    print(f"  data home  {home()}")
    print("  sources    raw rows = staged + duplicates + rejected:")
    for row in counts.itertuples():
        print(
            f"    {row.source_name:<15} {row.raw_rows:>10,} = {row.staged_rows:,}"
            f" + {row.duplicate_rows:,} + {row.rejected_rows:,}"
        )
    by_type = events.groupby("event_type").size().sort_index()
    print(
        f"  lake       {len(events):,} events in "
        f"{events[['event_year', 'event_month']].drop_duplicates().shape[0]:,}"
        " partitions: " + ", ".join(f"{k} {v:,}" for k, v in by_type.items())
    )
    print_ml_summary()


def headline_leaderboard(metrics: pd.DataFrame, backtest: pd.DataFrame) -> pd.DataFrame:
    """The headline slice per model, with each figure's backtest mean and spread."""
    head = metrics[metrics["is_headline"]].set_index("model")
    target, protocol, k = head["target"].iloc[0], head["protocol"].iloc[0], int(head["k"].iloc[0])
    spread = backtest[
        (backtest["target"] == target)
        & (backtest["protocol"] == protocol)
        & (backtest["population"] == "all")
        & (backtest["k"] == k)
    ].pivot(index="model", columns="metric", values=["mean_value", "std_value"])
    spread.columns = [f"{metric}_{stat}" for stat, metric in spread.columns]
    board = head.join(spread, how="left")
    return board.sort_values("precision_at_k", ascending=False)


def _spread(row: pd.Series, metric: str) -> str:
    mean, std = row.get(f"{metric}_mean_value"), row.get(f"{metric}_std_value")
    if mean is None or pd.isna(mean):
        return "n/a"
    return f"{mean:.4f} ± {0.0 if pd.isna(std) else std:.4f}"


def print_ml_summary() -> None:
    metrics = table("ml_metrics")
    backtest = table("ml_backtest")
    protocol_row = table("ml_evaluation_protocol").iloc[0]
    board = headline_leaderboard(metrics, backtest)
    first = board.iloc[0]
    k = int(first["k"])
    runs = table("ml_runs")
    latest = runs[runs["run_id"] == runs.sort_values("trained_at")["run_id"].iloc[-1]]
    print(
        "  models     "
        + ", ".join(
            f"{r.model} ({r.backend}, {r.train_seconds:.1f} s + {r.score_seconds:.1f} s)"
            if pd.isna(r.note) or not r.note
            else f"{r.model} (skipped: {r.note})"
            for r in latest.sort_values("model").itertuples()
        )
    )
    print(
        f"  headline   target {first['target']}, protocol {first['protocol']} "
        f"({protocol_row['headline_protocol_reason']}), all {int(first['n_users']):,} "
        f"holdout users with truth, K={k}"
    )
    folds = int(backtest["n_folds"].max()) if len(backtest) else 0
    print(
        f"  leaderboard  Precision@{k} on the test window | backtest mean ± std over {folds}"
        f" folds | recall | NDCG | coverage | users without a list:"
    )
    for model, row in board.iterrows():
        print(
            f"    {model:<11} {row['precision_at_k']:.4f} | {_spread(row, 'precision_at_k')} |"
            f" {row['recall_at_k']:.3f} | {row['ndcg_at_k']:.3f} | {row['catalog_coverage']:.1%}"
            f" | {int(row['n_users_without_recs']):,}"
        )
    selection = table("ml_model_selection")
    chosen = selection[
        (selection["target"] == first["target"]) & (selection["protocol"] == first["protocol"])
    ]
    if len(chosen):
        print(
            f"  chosen     {chosen['chosen_model'].iloc[0]} (best NDCG@{k} on the validation "
            "window; the test window is never used to choose)"
        )
    revenue = table("ml_revenue_simulation").set_index("model")
    ab = table("ml_ab_test").set_index("arm")
    name = ab.loc["treatment", "model"]
    als, pop = revenue.loc[name], revenue.loc["popularity"]
    print(
        f"  revenue    {int(pop['impressions']):,} impressions x {pop['conversion_rate']:.1%}"
        f" x ${pop['average_order_value']:,.2f} x purchase Precision@{int(pop['k'])} "
        f"({pop['protocol']}): popularity ${pop['revenue_classic']:,.0f}, "
        f"{name} ${als['revenue_classic']:,.0f} (uplift {als['uplift_classic']:+.1%}, "
        f"{als['ci_level']:.0%} CI {als['uplift_classic_ci_low']:+.1%}"
        f" to {als['uplift_classic_ci_high']:+.1%})"
    )
    print(
        f"             price-aware: uplift {als['uplift_price_aware']:+.1%} "
        f"(CI {als['uplift_price_aware_ci_low']:+.1%} to {als['uplift_price_aware_ci_high']:+.1%})"
    )
    test = ab.loc["treatment_vs_control"]
    print(
        f"  A/B test   popularity vs {name}: CTR {ab.loc['control', 'ctr']:.2%} vs "
        f"{ab.loc['treatment', 'ctr']:.2%} (lift {test['ctr_lift']:+.1%},"
        f" p={test['ctr_p_value']:.2g}); purchase conversion"
        f" {ab.loc['control', 'conversion_rate']:.2%} vs "
        f"{ab.loc['treatment', 'conversion_rate']:.2%} (p={test['conversion_p_value']:.2g})"
    )
    mlflow = Path(sys.executable).parent / ui_command(home())
    print(f"  MLflow     every run and grid point: {mlflow}")
    print("  Dashboard  charts of every mart: make dashboard (or: cartwheel dashboard)")
    print(f"  Spark log  {home() / 'logs' / 'spark.log'}")


def main() -> int:
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT / "profiles"))
    started = time.perf_counter()
    data = ensure_shop()
    settings = small_data_settings(raw_root())
    os.environ.update(settings)
    if settings:
        print("demo: small data, so " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    try:
        # The demo tunes ALS. Unit tests check SQL logic on fixed inputs, not the shop's
        # data: dbt runs them in development and CI (`make test`), not in every build.
        dbt(
            "build",
            "--target",
            "local",
            "--vars",
            "{ml_tune: true}",
            "--exclude-resource-type",
            "unit_test",
        )
    except subprocess.CalledProcessError as exc:
        print(f"demo: dbt build failed (exit {exc.returncode}); see the output above")
        return exc.returncode
    print_summary(data, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
