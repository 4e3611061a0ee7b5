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

PROJECT = Path(__file__).resolve().parents[1]
SCHEMA = os.environ.get("CARTWHEEL_SCHEMA", "cartwheel")
DEFAULT_INTERACTIONS = 200_000
# The demo shop: 2 years of traffic from a fixed seed (the quality test uses the same shop).
DEMO_SHOP = {"seed": 42, "start": date(2023, 1, 1), "months": 24}


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


def print_summary(data: str, seconds: float) -> None:
    counts = table("audit_source_row_counts")
    events = table("int_events")
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
        f"{events[['category', 'event_year', 'event_month']].drop_duplicates().shape[0]:,}"
        " partitions: " + ", ".join(f"{k} {v:,}" for k, v in by_type.items())
    )
    print_ml_summary()


def print_ml_summary() -> None:
    metrics = table("ml_metrics").set_index("model")
    runs = table("ml_runs")
    als_run = runs[runs["model"] == "als"].sort_values("trained_at").iloc[-1]
    print(
        f"  ALS        backend {als_run['backend']}, trained in {als_run['train_seconds']:.1f} s,"
        f" scored in {als_run['score_seconds']:.1f} s"
    )
    print("  quality    Precision@10 (recall, NDCG, coverage) on the holdout:")
    for name in ("als", "popularity", "random"):
        row = metrics.loc[name]
        print(
            f"    {name:<11} {row['precision_at_k']:.4f}  ({row['recall_at_k']:.3f},"
            f" {row['ndcg_at_k']:.3f}, {row['catalog_coverage']:.1%})"
            f"  users {int(row['n_users_evaluated']):,}"
        )
    ratio = metrics.loc["als", "precision_at_k"] / max(
        metrics.loc["popularity", "precision_at_k"], 1e-12
    )
    print(f"    ALS / popularity = {ratio:.2f}x")
    revenue = table("ml_revenue_simulation").set_index("model")
    als, pop = revenue.loc["als"], revenue.loc["popularity"]
    print(
        f"  revenue    1,000,000 impressions x 5% x $40 x P@10: popularity "
        f"${pop['revenue_classic']:,.0f}, ALS ${als['revenue_classic']:,.0f} "
        f"(uplift {als['uplift_classic']:+.1%}, 95% CI {als['uplift_classic_ci_low']:+.1%}"
        f" to {als['uplift_classic_ci_high']:+.1%})"
    )
    print(
        f"             price-aware: uplift {als['uplift_price_aware']:+.1%} "
        f"(CI {als['uplift_price_aware_ci_low']:+.1%} to {als['uplift_price_aware_ci_high']:+.1%})"
    )
    ab = table("ml_ab_test").set_index("arm")
    test = ab.loc["treatment_vs_control"]
    print(
        f"  A/B test   CTR control {ab.loc['control', 'ctr']:.2%} vs treatment "
        f"{ab.loc['treatment', 'ctr']:.2%} (lift {test['ctr_lift']:+.1%},"
        f" p={test['ctr_p_value']:.2g});"
        f" conversion {ab.loc['control', 'conversion_rate']:.2%} vs "
        f"{ab.loc['treatment', 'conversion_rate']:.2%} (p={test['conversion_p_value']:.2g})"
    )


def main() -> int:
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT / "profiles"))
    started = time.perf_counter()
    data = ensure_shop()
    try:
        dbt("build", "--target", "local")
    except subprocess.CalledProcessError as exc:
        print(f"demo: dbt build failed (exit {exc.returncode}); see the output above")
        return exc.returncode
    print_summary(data, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
