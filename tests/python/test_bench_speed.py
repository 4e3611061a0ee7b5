"""The speed benchmark's report (benchmarks/bench_speed.py) on hand-made stage timings."""

from __future__ import annotations

import importlib.util
import sys
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
    return bench.Size(n, stages)


def test_report_has_a_row_per_size_and_the_growth() -> None:
    small = size(1_000_000, [5, 20, 10, 30, 15], 1024)  # 80 s
    large = size(10_000_000, [40, 150, 60, 200, 110], 6144)  # 560 s
    text = bench.report([small, large], [])
    assert (
        "| 1,000,000 | 5 (2,048) | 20 (2,048) | 10 (2,048) | 30 (2,048) | 15 (2,048) | 80 |" in text
    )
    assert "| 10,000,000 | 40 (12,288) |" in text and "| 560 |" in text
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
