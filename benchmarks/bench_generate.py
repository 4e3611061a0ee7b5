"""Benchmark `cartwheel generate`: wall time, rows/s, peak RSS and output size.

    .venv/bin/python benchmarks/bench_generate.py [N] [--seed S] [--months M] [--progress]

N defaults to 10_000_000 (accepts 1e6, 10M, ...). Output goes to a temporary folder that is
deleted afterwards. Target on a 2-core machine: 10M events in under 5 minutes, < 4 GiB RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from cartwheel.generate import generate_shop, parse_count

TARGET_SECONDS = 300
TARGET_RSS_MIB = 4096


def peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("interactions", nargs="?", default="10_000_000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--progress", action="store_true", help="per-month lines on stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    interactions = parse_count("interactions", args.interactions)
    with tempfile.TemporaryDirectory(prefix="bench_generate_") as tmp:
        started = time.perf_counter()
        summary = generate_shop(
            Path(tmp),
            interactions=interactions,
            seed=args.seed,
            months=args.months,
            progress=args.progress,
        )
        seconds = time.perf_counter() - started
    rss = peak_rss_mib()
    print(f"interactions   {summary.events:,}")
    print(f"reviews        {summary.reviews:,} ({summary.verified_reviews:,} verified)")
    print(f"products       {summary.products:,}")
    print(f"users          {summary.users:,}")
    print(f"wall seconds   {seconds:.1f}")
    print(f"rows/s         {summary.events / seconds:,.0f}")
    print(f"peak RSS MiB   {rss:,.0f}")
    print(f"output MB      {summary.bytes_written / 1e6:,.1f}")
    budget = TARGET_SECONDS * interactions / 10_000_000
    ok = seconds < budget and rss < TARGET_RSS_MIB
    verdict = "met" if ok else "MISSED"
    print(f"target ({TARGET_SECONDS}s per 10M rows, < {TARGET_RSS_MIB} MiB): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
