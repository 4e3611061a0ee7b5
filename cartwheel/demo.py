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
    summary = generate_shop(
        root, interactions=n, seed=42, start=date(2023, 1, 1), months=24, progress=True
    )
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
