"""The speed benchmark's report (benchmarks/bench_speed.py) on hand-made stage timings."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load():
    spec = importlib.util.spec_from_file_location(
        "bench_speed", ROOT / "benchmarks" / "bench_speed.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_speed"] = module
    spec.loader.exec_module(module)
    return module


bench = load()


def size(n: int, seconds: list[float], driver_mib: float) -> object:
    names = ["generate", "lake", "marts", "ML", "tests"]
    stages = [
        bench.Stage(name, seconds=s, peak_mib=2 * driver_mib, driver_mib=driver_mib)
        for name, s in zip(names, seconds, strict=True)
    ]
    return bench.Size(n, stages, measured_on="2026-12-01")


def test_report_has_a_row_per_size_and_the_growth() -> None:
    small = size(1_000_000, [5, 20, 10, 30, 15], 1024)  # 80 s
    large = size(10_000_000, [40, 150, 60, 200, 110], 6144)  # 560 s
    text = bench.report([small, large], [])
    assert (
        "| 1,000,000 | 2026-12-01 | 5 (2,048) | 20 (2,048) | 10 (2,048) | 30 (2,048) | 15 (2,048) "
        "| 80 |" in text
    )
    assert "| 10,000,000 | 2026-12-01 | 40 (12,288) |" in text and "| 560 |" in text
    assert "Growth 1,000,000 -> 10,000,000: 7.0x wall for 10x data" in text
    assert "1,000,000: 1.0 GiB, 10,000,000: 6.0 GiB" in text


def test_a_failed_stage_says_so() -> None:
    broken = size(1_000_000, [5, 20, 10, 30, 15], 100)
    broken.stages[3].ok = False
    assert "30 (200) FAILED" in bench.report([broken], [])


def test_partition_mtimes_lists_each_partition_folder(tmp_path: Path) -> None:
    lake = tmp_path / "warehouse" / "cartwheel.db" / "fct_interactions"
    for month in (1, 2):
        folder = lake / "event_year=2024" / f"event_month={month}"
        folder.mkdir(parents=True)
        (folder / "part-0.parquet").write_bytes(b"")
    times = bench.partition_mtimes(tmp_path)
    assert sorted(times) == ["event_year=2024/event_month=1", "event_year=2024/event_month=2"]


def test_sizes_measured_in_separate_runs_report_together(tmp_path: Path) -> None:
    small = size(1_000_000, [5, 20, 10, 30, 15], 1024)
    small.stages[1].slowest = [("fct_interactions", 12.0), ("stg_rees46__events", 4.0)]
    large = size(10_000_000, [40, 150, 60, 200, 110], 6144)
    large.stages[3].ok, large.stages[3].detail = False, "stopped after 200 s"
    bench.save(tmp_path, "size-10000000", large)  # the larger one first: sorted by size
    bench.save(tmp_path, "size-1000000", small)
    loaded = bench.saved_sizes(tmp_path)
    assert [s.interactions for s in loaded] == [1_000_000, 10_000_000]
    text = bench.report(loaded, [])
    assert text == bench.report([small, large], [])
    assert (
        "Slowest dbt nodes at 1,000,000 (s): lake (fct_interactions 12, stg_rees46__events 4)"
        in text
    )
    assert "ML (stopped after 200 s)" in text and "200 (12,288) FAILED" in text
    # no whole-pipeline growth when a stage failed: the stages both sizes finished
    assert "Growth 1,000,000 -> 10,000,000: for 10x data, the stages both finished: " in text
    assert "generate 8.0x, lake 7.5x, marts 6.0x, tests 7.3x." in text


def test_a_stage_past_its_timeout_is_stopped(tmp_path: Path) -> None:
    stage = bench.timed(["sleep", "60"], {}, tmp_path / "log", timeout=1)
    assert not stage.ok and stage.detail == "stopped after 1 s"
    assert stage.seconds < 30


def test_a_stage_killed_by_a_signal_says_so(tmp_path: Path) -> None:
    stage = bench.timed(["sh", "-c", "kill -9 $$"], {}, tmp_path / "log")
    assert not stage.ok and stage.detail == "killed by signal 9 SIGKILL (out of memory? see dmesg)"
    crashed = bench.timed(["sh", "-c", "kill -11 $$"], {}, tmp_path / "log")
    assert not crashed.ok and crashed.detail == "killed by signal 11 SIGSEGV"


def test_slowest_nodes_name_models_and_tests(tmp_path: Path) -> None:
    results = [
        {"unique_id": "model.cartwheel.fct_interactions", "execution_time": 12.04},
        {"unique_id": "test.cartwheel.unique_stg_rees46__events_event_id.12f823d2bb",
         "execution_time": 7.96},
        {"unique_id": "model.cartwheel.dim_users", "execution_time": 0.5},
    ]  # fmt: skip
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    assert bench.slowest_nodes(tmp_path, since=0, n=2) == [
        ("fct_interactions", 12.0),
        ("unique_stg_rees46__events_event_id", 8.0),
    ]
    assert bench.slowest_nodes(tmp_path, since=time.time() + 60) == []  # an older run's file
