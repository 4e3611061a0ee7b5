"""`cartwheel generate`: a synthetic shop in REES46 and Amazon Reviews 2023 formats.

    cartwheel generate --interactions 1000000 --seed 7 [--out DIR] [--start-date 2023-01-01]
                       [--months 24] [--force] [--quiet]

writes `DIR/rees46/events-YYYY-MM.csv.gz`, `DIR/amazon_reviews/reviews-YYYY-MM.jsonl.gz`
and `DIR/amazon_meta/meta.jsonl.gz` with shared product and user ids. The same arguments
always give the same bytes. From Python: `generate_shop(...)`.

Calibration. The shop is tuned to published figures of a real shop, never to make a model
win. tests/python/test_generate.py recomputes each figure from the written CSV of a 60k-event,
24-month shop and checks it lies in the range below.

  figure                  target  test range    source
  views_share             96.1%   95.5-96.5%    [1] 40,779,399 views / 42,448,764 events
  carts_per_view          2.27%   2.0-2.6%      [1] 926,516 carts / 40,779,399 views
  purchases_per_view      1.82%   1.6-2.05%     [1] 742,849 purchases / 40,779,399 views
  purchases_without_cart  ~56%    45-70%        estimate [1][2][3], see below
  removes_share           ~0.1%   0-0.5%        [1] has no remove_from_cart; see below
  repeat_consumables      ~55%    30-80%        design value, no published figure
  repeat_durables         ~3%     0-8%          design value, no published figure
  taste_drift             ~0.86   0.70-0.92     design value, no published figure
  launched_in_span        ~35%    25-60%        design value, no published figure
  faded_in_span           ~23%    12-45%        design value, no published figure

  [1] REES46 "eCommerce behavior data from multi category store", file 2019-Oct.csv
      (Kaggle mkechinov/ecommerce-behavior-data-from-multi-category-store, REES46 Open
      CDP): event_type counts view 40,779,399, cart 926,516, purchase 742,849, no other
      type (as counted by public groupBy runs over the whole file).
  [2] Baymard Institute, "Cart Abandonment Rate Statistics" (baymard.com/lists/
      cart-abandonment-rate): about 70% of online carts are abandoned.
  [3] The first 5,019 rows of [1] (shared/data/real/rees46-2019oct-head5k: 00:00-02:28
      UTC of 1 Oct 2019; view 4,915, cart 50, purchase 54): 42 of 54 purchases (78%) have
      no cart of the product in their session, and every purchase follows a view of it.
      Views are 97.9%, carts 1.0% and purchases 1.1% of views there (2.5 hours only).

What the figures mean and where the generator sets them:
- views_share, carts_per_view, purchases_per_view: shares of all event rows; set by
  `events.CARTS_PER_VIEW` and `events.PURCHASES_PER_VIEW`.
- purchases_without_cart: share of purchases with no cart of that product earlier in the
  same user_session (`events.PURCHASES_WITHOUT_CART` = 0.6; the measured share is a little
  lower, as some products are carted and also bought directly). No source states it: if
  every purchase of [1] were carted first, 80% of carts would be bought, against the ~30%
  that [2] implies; at 30%, 1 - 0.3 x 926,516 / 742,849 = 63% of purchases have no cart.
  [3] shows 78% on a tiny sample. 60% is an estimate, kept at or below both.
- removes_share: remove_from_cart rows / all rows. [1] has none (REES46's cosmetics-shop
  files do log them); a few (`events.REMOVE_RATE` = 10% of carts left unbought) are kept so
  the pipeline's remove_from_cart path stays exercised.
- repeat_consumables / repeat_durables: share of purchases of consumable leaves (beauty.*,
  kids.fmcg.diapers, stationery.cartrige) / of all other leaves that buy again a product
  the same user bought in an earlier session. Consumables are restocked after about their
  leaf's cycle (`replenish.REPLENISH_SHARE` = 0.6 chance each time); durables are rarely
  bought twice (`events.DURABLE_REBUY`).
- taste_drift: how often a user's views in two months >= 9 apart share a category_code,
  relative to months 1-3 apart (1.0 = stable tastes). Each user's taste mix turns from one
  mix to another over `users.TASTE_DRIFT_MONTHS` = 18 months.
- launched_in_span / faded_in_span: among products with >= 20 events, the share first seen
  after the first quarter of the span / last seen before its last quarter. Launches run
  evenly through time, popularity fades with a median time scale of
  `catalog.FADE_MONTHS` = 12 months and products are delisted at `catalog.DELIST_AT`.
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
    cmd.add_argument(
        "--quiet", action="store_true", help="no progress bar (drawn on a terminal only)"
    )
    cmd.set_defaults(handler=run)
