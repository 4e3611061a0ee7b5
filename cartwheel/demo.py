"""`make demo`: run the main job end to end on the embedded default and summarise it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from cartwheel.home import home

PROJECT = Path(__file__).resolve().parents[1]
SCHEMA = os.environ.get("CARTWHEEL_SCHEMA", "cartwheel")


def dbt(*args: str) -> None:
    command = [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(PROJECT)]
    print("$ dbt " + " ".join(args), flush=True)
    subprocess.run(command, check=True, cwd=PROJECT)


def table(name: str):
    return pq.read_table(home() / "warehouse" / f"{SCHEMA}.db" / name).to_pandas()


def main() -> int:
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT / "profiles"))
    started = time.perf_counter()
    try:
        dbt("build", "--target", "local")
    except subprocess.CalledProcessError as exc:
        print(f"demo: dbt build failed (exit {exc.returncode}); see the output above")
        return exc.returncode
    seconds = time.perf_counter() - started
    scores = table("fixture_user_product_scores")
    recs = table("fixture_als_recommendations")
    first_user = sorted(recs["user_id"].unique())[0]
    top = recs[recs["user_id"] == first_user].sort_values("rank")["product_id"].tolist()
    print()
    print(f"cartwheel demo: done in {seconds:.0f} s on the embedded Spark session")
    print(f"  data home          {home()}")
    print(f"  user-product pairs {len(scores)} (from the fixture shop)")
    print(f"  ALS recommendations {len(recs)} for {recs['user_id'].nunique()} users")
    print(f"  e.g. {first_user}: {', '.join(top)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
