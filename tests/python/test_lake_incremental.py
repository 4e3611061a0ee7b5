"""The landing lake: adding a month rewrites only its partitions; incremental = full refresh,
even after a run killed mid-way; a second run on the same home is refused while one runs; a
folder a stopped create left where a table goes is cleared."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from cartwheel.generate import generate_shop
from conftest import BIN, ROOT, dbt_process, local_table, rees46_data_lines, run_dbt, wait_for

SCHEMA = "t_lake"
LAST_MONTH = "2023-04"
PARSED = "base_rees46__parsed_events"
LANDED = "int_landed_file_months"


def lake_files(home: Path, table: str = "fct_interactions") -> dict[str, float]:
    """The table's data files (Spark ignores folders starting with `.` or `_`)."""
    lake = home / "warehouse" / f"{SCHEMA}.db" / table
    files = {str(p.relative_to(lake)): p.stat().st_mtime for p in lake.rglob("*.parquet")}
    return {f: t for f, t in files.items() if not any(part[0] in "._" for part in f.split("/"))}


def kill_mid_way(env: dict[str, str], home: Path, logs: Path) -> None:
    """Start an incremental run, check it holds the home's lock, kill it in the lake."""
    first = dbt_process(
        "run", "--select", "+fct_interactions", "--target", "local",
        "--target-path", str(logs / "target"), log=logs / "killed.log", env=env,
    )  # fmt: skip
    try:
        wait_for(logs / "killed.log", "START hook", first)  # the lock is held by then
        assert (home / "dbt.lock").read_text().startswith(f"pid {first.pid} ")
        with (home / "dbt.lock").open() as lock, pytest.raises(BlockingIOError):
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        wait_for(logs / "killed.log", "START sql incremental model t_lake.fct_interactions", first)
        time.sleep(0.5)
        os.killpg(first.pid, signal.SIGKILL)  # dbt and its Spark JVM, mid-way in the lake
        first.wait(timeout=60)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    killed = (logs / "killed.log").read_text()
    assert "OK created sql incremental model t_lake.fct_interactions" not in killed


def second_run_is_refused(env: dict[str, str], home: Path, logs: Path) -> None:
    """While another process holds the home's lock, a dbt run fails at once naming it."""
    with (home / "dbt.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again: the killed run let go
        lock.seek(0)
        lock.truncate()
        lock.write("pid 4242 (a run started elsewhere)\n")
        lock.flush()
        second = subprocess.run(
            [str(BIN / "dbt"), "run", "--select", "stg_rees46__events", "--target", "local",
             "--target-path", str(logs / "second")],
            capture_output=True, text=True, cwd=ROOT, timeout=300,
            env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", **env},
        )  # fmt: skip
    assert second.returncode != 0
    assert f"{home / 'dbt.lock'} is locked by pid 4242" in second.stdout, second.stdout[-3000:]


def landed_months(home: Path) -> pd.DataFrame:
    landed = local_table(home, LANDED, SCHEMA)
    landed["source_file_key"] = landed["source_file_key"].astype(str)  # a partition column
    keys = ["source_file_key", "event_year", "event_month"]
    return landed.sort_values(keys).reset_index(drop=True)[sorted(landed.columns)]


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
    shop: tuple[Path, Path], cartwheel_home: Path, tmp_path: Path
) -> None:
    raw, later = shop
    env = {"CARTWHEEL_RAW_ROOT": str(raw), "CARTWHEEL_SCHEMA": SCHEMA}
    first = run_dbt("run", "--select", "+fct_interactions", "--full-refresh", env=env)
    assert first.returncode == 0, first.output[-5000:]
    before = lake_files(cartwheel_home)
    parsed_before = lake_files(cartwheel_home, PARSED)
    rows_before = len(sorted_events(cartwheel_home))
    assert not any("event_month=4/" in f for f in before)

    for folder in later.iterdir():  # a new month of raw data arrives
        for path in folder.iterdir():
            shutil.copy(path, raw / folder.name / path.name)
    kill_mid_way(env, cartwheel_home, tmp_path)
    second_run_is_refused(env, cartwheel_home, tmp_path)
    incremental = run_dbt("run", "--select", "+fct_interactions", env=env)
    assert incremental.returncode == 0, incremental.output[-5000:]
    after = lake_files(cartwheel_home)

    new = {f for f in after if f not in before}
    assert new and all("event_month=4/" in f or "event_month=3/" in f for f in new), new
    untouched = {f: t for f, t in before.items() if "event_month=1/" in f}
    assert untouched and all(after.get(f) == t for f, t in untouched.items())

    # the raw files parsed before are not parsed again: their partitions keep their files,
    # the one new REES46 file got a partition of its own, and every data line is there once
    parsed_after = lake_files(cartwheel_home, PARSED)
    assert all(parsed_after.get(f) == t for f, t in parsed_before.items())
    new_partitions = {f.split("/")[0] for f in parsed_after if f not in parsed_before}
    assert len(new_partitions) == len(list(later.glob(f"rees46/*{LAST_MONTH}*"))) == 1
    parsed = local_table(cartwheel_home, PARSED, SCHEMA)
    assert (
        len(parsed) == rees46_data_lines(*(raw / "rees46").glob("*.csv.gz"))
        and parsed["line_id"].is_unique
    )

    incremental_rows = sorted_events(cartwheel_home)
    incremental_landed = landed_months(cartwheel_home)
    # a create stopped mid-way left a folder where a table goes, unknown to the catalog
    # (planted: a file that is no Parquet); the run clears it, names it, builds the table
    orphan = cartwheel_home / "warehouse" / f"{SCHEMA}.db" / "funnel_conversion"
    orphan.mkdir(parents=True)
    (orphan / "part-00000-left-by-a-killed-create.parquet").write_text("not parquet")
    full = run_dbt(
        "run", "--select", "fct_interactions", LANDED, "funnel_conversion", "--full-refresh",
        env=env,
    )  # fmt: skip
    assert full.returncode == 0, full.output[-5000:]
    assert f"removed file:{orphan}" in full.output, full.output[-5000:]
    assert not list(orphan.glob("*left-by-a-killed-create*"))
    assert len(local_table(cartwheel_home, "funnel_conversion", SCHEMA)) > 0
    full_rows = sorted_events(cartwheel_home)
    assert len(full_rows) > rows_before and set(full_rows["event_month"]) == {1, 2, 3, 4}
    pd.testing.assert_frame_equal(incremental_rows, full_rows)
    # the file versions' months too, though the incremental run read only the new files'
    pd.testing.assert_frame_equal(incremental_landed, landed_months(cartwheel_home))

    # a raw file removed: the next run drops its file version from the parsed events and
    # from the landed months (they hold the same file versions as before, less that one)
    gone = next((raw / "rees46").glob(f"*{LAST_MONTH}*"))
    gone.unlink()
    again = run_dbt("run", "--select", f"+{LANDED}", env=env)
    assert again.returncode == 0, again.output[-5000:]
    landed = landed_months(cartwheel_home)
    kept = set(local_table(cartwheel_home, PARSED, SCHEMA)["source_file_key"].astype(str))
    assert len(kept) == len(new_partitions | {f.split("/")[0] for f in parsed_before}) - 1
    assert set(landed.loc[landed["source_system"] == "rees46", "source_file_key"]) == kept
    assert len(landed) < len(incremental_landed)
