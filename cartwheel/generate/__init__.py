"""`cartwheel generate`: a synthetic shop in REES46 and Amazon Reviews 2023 formats.

    cartwheel generate --interactions 1000000 --seed 7 [--out DIR] [--start-date 2023-01-01]
                       [--months 24] [--force] [--quiet]

writes `DIR/rees46/events-YYYY-MM.csv.gz`, `DIR/amazon_reviews/reviews-YYYY-MM.jsonl.gz`
and `DIR/amazon_meta/meta.jsonl.gz` with shared product and user ids. Users have planted,
stable tastes, so personalised recommenders beat popularity on the later months. The same
arguments always give the same bytes. From Python: `generate_shop(...)`.
"""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

from cartwheel.generate.shop import (
    DEFAULT_MONTHS,
    DEFAULT_START,
    FOLDERS,
    GenerateSummary,
    generate_shop,
)
from cartwheel.home import raw_root

__all__ = ["FOLDERS", "GenerateSummary", "generate_shop", "parse_count", "register"]

_COUNT = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]*)?(?:e[0-9]+)?)(?P<suffix>[km]?)")


def parse_count(option: str, text: str) -> int:
    """A positive whole number from "1000000", "1_000_000", "1e6" or "1M"."""
    cleaned = str(text).strip().lower().replace("_", "").replace(",", "")
    match = _COUNT.fullmatch(cleaned)
    value = None
    if match:
        scale = {"": 1, "k": 1_000, "m": 1_000_000}[match["suffix"]]
        number = float(match["number"]) * scale
        value = int(number) if number.is_integer() else None
    if value is None or value <= 0:
        raise ValueError(
            f"{option} must be a positive whole number (e.g. 2000, 1e6 or 10M), got {text!r}"
        )
    return value


def parse_seed(text: str) -> int:
    try:
        seed = int(str(text).strip())
    except ValueError:
        seed = -1
    if seed < 0:
        raise ValueError(f"--seed must be a non-negative whole number, got {text!r}")
    return seed


def parse_start(text: str) -> date:
    try:
        start = date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"--start-date must be a date like 2023-01-01, got {text!r}") from None
    if start.day != 1:
        raise ValueError(
            f"--start-date must be the first day of a month (files are per calendar month), "
            f"got {text!r}"
        )
    return start


def run(args: argparse.Namespace) -> int:
    """The `cartwheel generate` handler."""
    summary = generate_shop(
        out=Path(args.out) if args.out else raw_root(),
        interactions=parse_count("--interactions", args.interactions),
        seed=parse_seed(args.seed),
        start=parse_start(args.start_date),
        months=parse_count("--months", args.months),
        progress=not args.quiet,
        force=args.force,
    )
    print(summary.line())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `generate` subcommand to the `cartwheel` CLI."""
    cmd = subparsers.add_parser(
        "generate",
        help="write a synthetic shop (REES46 events + Amazon reviews and metadata)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument(
        "--interactions",
        required=True,
        metavar="N",
        help="REES46 event rows to write, e.g. 1000000, 1e6 or 10M (reviews come on top)",
    )
    cmd.add_argument("--seed", default="0", help="random seed (default 0)")
    cmd.add_argument(
        "--out",
        help="output folder (default: $CARTWHEEL_RAW_ROOT, else $CARTWHEEL_HOME/raw)",
    )
    cmd.add_argument(
        "--start-date",
        default=DEFAULT_START.isoformat(),
        help=f"first day of the span, a month start (default {DEFAULT_START})",
    )
    cmd.add_argument(
        "--months", default=str(DEFAULT_MONTHS), help=f"span length (default {DEFAULT_MONTHS})"
    )
    cmd.add_argument(
        "--force",
        action="store_true",
        help=f"replace existing {', '.join(FOLDERS)} folders in --out",
    )
    cmd.add_argument("--quiet", action="store_true", help="no per-month progress on stderr")
    cmd.set_defaults(handler=run)
