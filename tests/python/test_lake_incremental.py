"""The landing lake: adding a month rewrites only its partitions; incremental = full refresh."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from cartwheel.generate import generate_shop
from conftest import local_table, run_dbt

SCHEMA = "t_lake"
LAST_MONTH = "2023-04"


def lake_files(home: Path) -> dict[str, float]:
    lake = home / "warehouse" / f"{SCHEMA}.db" / "fct_interactions"
    return {str(p.relative_to(lake)): p.stat().st_mtime for p in lake.rglob("*.parquet")}


def sorted_events(home: Path) -> pd.DataFrame:
    events = local_table(home, "fct_interactions", SCHEMA).drop(columns=["source_file_modified_at"])
    return events.sort_values("event_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A four-month shop; the last month's files are held back in `later/`."""
    raw = tmp_path_factory.mktemp("lake_raw")
    generate_shop(raw, interactions=4000, seed=11, start=date(2023, 1, 1), months=4)
    later = tmp_path_factory.mktemp("later")
    for folder in ("rees46", "amazon_reviews"):
        for path in (raw / folder).glob(f"*{LAST_MONTH}*"):
            (later / folder).mkdir(exist_ok=True)
            shutil.move(path, later / folder / path.name)
    assert list(later.rglob("*")), "the generator wrote no files for the last month"
    return raw, later


def test_new_month_rewrites_only_its_partitions_and_matches_full_refresh(
    shop: tuple[Path, Path], cartwheel_home: Path
) -> None:
    raw, later = shop
    env = {"CARTWHEEL_RAW_ROOT": str(raw), "CARTWHEEL_SCHEMA": SCHEMA}
    first = run_dbt("run", "--select", "+fct_interactions", "--full-refresh", env=env)
    assert first.returncode == 0, first.output[-5000:]
    before = lake_files(cartwheel_home)
    rows_before = len(sorted_events(cartwheel_home))
    assert not any("event_month=4/" in f for f in before)

    for folder in later.iterdir():  # a new month of raw data arrives
        for path in folder.iterdir():
            shutil.copy(path, raw / folder.name / path.name)
    incremental = run_dbt("run", "--select", "+fct_interactions", env=env)
    assert incremental.returncode == 0, incremental.output[-5000:]
    after = lake_files(cartwheel_home)

    new = {f for f in after if f not in before}
    assert new and all("event_month=4/" in f or "event_month=3/" in f for f in new), new
    untouched = {f: t for f, t in before.items() if "event_month=1/" in f}
    assert untouched and all(after.get(f) == t for f, t in untouched.items())

    incremental_rows = sorted_events(cartwheel_home)
    full = run_dbt("run", "--select", "fct_interactions", "--full-refresh", env=env)
    assert full.returncode == 0, full.output[-5000:]
    full_rows = sorted_events(cartwheel_home)
    assert len(full_rows) > rows_before and set(full_rows["event_month"]) == {1, 2, 3, 4}
    pd.testing.assert_frame_equal(incremental_rows, full_rows)
