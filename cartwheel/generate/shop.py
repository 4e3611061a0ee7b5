"""Generate a whole synthetic shop: catalog and users once, then events and reviews by month.

Output (under `out`), with product and user ids shared by all three:

    rees46/events-YYYY-MM.csv.gz            REES46 behaviour events, one file per month
    amazon_reviews/reviews-YYYY-MM.jsonl.gz Amazon Reviews 2023 reviews, by review month
    amazon_meta/meta.jsonl.gz               Amazon Reviews 2023 item metadata, one per product

Files are first written to a staging folder inside `out` and moved into place at the end, so
a failed run never leaves half a shop behind. Memory holds one month of events at a time.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from cartwheel.generate.calendar import Month, build_months, split_budget
from cartwheel.generate.catalog import Catalog, build_catalog, monthly_prices, monthly_weights
from cartwheel.generate.events import (
    EVENT_TYPES,
    Events,
    MonthContext,
    Samplers,
    Sessions,
    build_samplers,
    simulate_month,
)
from cartwheel.generate.meta import RatingTally, meta_records
from cartwheel.generate.replenish import (
    Restocks,
    add_owned,
    no_restocks,
    restock_sessions,
    schedule_restocks,
    split_restocks,
)
from cartwheel.generate.reviews import Reviews, month_reviews, no_reviews, review_records, split_due
from cartwheel.generate.taxonomy import LEAVES
from cartwheel.generate.users import Population, build_population, monthly_activity, tastes_at
from cartwheel.generate.writers import (
    dictionary,
    event_times,
    price_strings,
    session_uuids,
    write_events_csv,
    write_jsonl,
)
from cartwheel.progress import bar

FOLDERS = ("rees46", "amazon_reviews", "amazon_meta")
STAGING = ".cartwheel-generate.partial"
DEFAULT_START = date(2023, 1, 1)
DEFAULT_MONTHS = 24
EVENTS_PER_USER = 40
EVENTS_PER_PRODUCT = 100
MIN_USERS = 100
MIN_PRODUCTS = 200
MAX_INTERACTIONS = 200_000_000
MAX_MONTHS = 600
# bytes on disk per interaction (gzipped CSV and JSONL): 21,965,780 bytes measured for 1M
# interactions over 24 months; the check below asks for a quarter more
BYTES_PER_INTERACTION = 22
DEFAULT_MIN_FREE = 512 * 2**20  # left free for everything else ($CARTWHEEL_MIN_FREE_BYTES)


@dataclass(frozen=True)
class GenerateSummary:
    """What a generator run wrote."""

    out: Path
    events: int
    reviews: int
    verified_reviews: int
    products: int
    users: int  # distinct users with at least one event
    months: int
    seconds: float
    bytes_written: int

    def line(self) -> str:
        return (
            f"cartwheel generate: {self.events:,} REES46 events, {self.reviews:,} reviews "
            f"({self.verified_reviews:,} verified), {self.products:,} products, "
            f"{self.users:,} users, {self.months} months, "
            f"{self.bytes_written / 1e6:,.1f} MB in {self.seconds:.1f}s -> {self.out}"
        )


@dataclass(frozen=True)
class Labels:
    """Per-product strings as dictionary values plus each product's index into them."""

    codes: pa.Array
    code_index: np.ndarray
    brands: pa.Array
    brand_index: np.ndarray
    event_types: pa.Array


def validate(interactions: int, seed: int, start: date, months: int) -> None:
    """Raise ValueError for arguments that make no sense."""
    if isinstance(interactions, bool) or not isinstance(interactions, int | np.integer):
        raise ValueError(f"interactions must be a whole number, got {interactions!r}")
    if not 0 < interactions <= MAX_INTERACTIONS:
        raise ValueError(
            f"interactions must be between 1 and {MAX_INTERACTIONS:,}, got {interactions:,}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")
    if isinstance(months, bool) or not isinstance(months, int | np.integer):
        raise ValueError(f"months must be a whole number, got {months!r}")
    if not 0 < months <= MAX_MONTHS:
        raise ValueError(f"months must be between 1 and {MAX_MONTHS}, got {months}")
    if not isinstance(start, date) or start.day != 1:
        raise ValueError(
            f"start date must be the first day of a month (files are per calendar month), "
            f"got {start}"
        )


def existing_folders(out: Path) -> list[str]:
    return [name for name in FOLDERS if (out / name).exists()]


def check_room(out: Path, interactions: int) -> None:
    """Refuse to start when the disk of `out` lacks room for the estimated size."""
    needed = int(interactions * BYTES_PER_INTERACTION * 1.25)
    keep_free = int(os.environ.get("CARTWHEEL_MIN_FREE_BYTES", DEFAULT_MIN_FREE))
    probe = next(p for p in (out, *out.parents) if p.exists())
    free = shutil.disk_usage(probe).free
    if free < needed + keep_free:
        raise ValueError(
            f"not enough disk space for {out}: {interactions:,} interactions need about "
            f"{_mib(needed)} and {_mib(keep_free)} is kept free ($CARTWHEEL_MIN_FREE_BYTES), "
            f"but only {_mib(free)} is free on the disk of {probe}"
        )


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def prepare_output(out: Path, force: bool) -> Path:
    """Check `out` and return a fresh staging folder inside it."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a folder")
    taken = existing_folders(out)
    if taken and not force:
        raise ValueError(f"{out} already contains {', '.join(taken)}; pass --force to replace them")
    staging = out / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def publish(staging: Path, out: Path) -> None:
    """Replace the three output folders with the staged ones."""
    for name in FOLDERS:
        if (out / name).exists():
            shutil.rmtree(out / name)
        (staging / name).rename(out / name)
    staging.rmdir()


def leaf_seasons(rng: np.random.Generator) -> np.ndarray:
    """(leaves, 12) multipliers: each leaf peaks in its own calendar month."""
    amplitude = rng.uniform(0.0, 0.35, len(LEAVES))
    peak = rng.integers(0, 12, len(LEAVES))
    month = np.arange(12)
    return 1.0 + amplitude[:, None] * np.cos(2 * np.pi * (month[None, :] - peak[:, None]) / 12)


def build_labels(catalog: Catalog) -> Labels:
    n_leaves, n_brands = len(LEAVES), len(catalog.brand_names)
    return Labels(
        codes=pa.array([leaf.code for leaf in LEAVES] + [""]),
        code_index=np.where(catalog.coded, catalog.leaf, n_leaves),
        brands=pa.array(list(catalog.brand_names) + [""]),
        brand_index=np.where(catalog.has_brand, catalog.brand, n_brands),
        event_types=pa.array(EVENT_TYPES),
    )


def month_context(
    month: Month,
    catalog: Catalog,
    population: Population,
    samplers: Samplers,
    seasons: np.ndarray,
    deal_norm: float = 1.0,
    owned: np.ndarray | None = None,
) -> MonthContext:
    """Reweight the samplers for `month` and bundle what sessions are drawn from."""
    samplers.reweight(monthly_weights(catalog, month.index))
    activity = monthly_activity(population, month.index)
    if activity.sum() <= 0:
        activity = population.activity
    return MonthContext(
        month=month,
        user_cdf=np.cumsum(activity),
        leaf_season=seasons[:, month.first_day.month - 1],
        population=tastes_at(population, month.index),
        catalog=catalog,
        samplers=samplers,
        deal_norm=deal_norm,
        owned=np.zeros(0, dtype=np.int64) if owned is None else owned,
    )


def rees46_table(
    rng: np.random.Generator,
    ctx: MonthContext,
    sessions: Sessions,
    events: Events,
    labels: Labels,
) -> pa.Table:
    """The month's events as a table with exactly the REES46 columns."""
    catalog, product = ctx.catalog, events.product
    prices = price_strings(monthly_prices(catalog, ctx.month.index, ctx.month.first_day.month))
    return pa.table(
        {
            "event_time": event_times(events.time, ctx.month),
            "event_type": dictionary(events.kind, labels.event_types),
            "product_id": catalog.product_id[product],
            "category_id": catalog.category_id[product],
            "category_code": dictionary(labels.code_index[product], labels.codes),
            "brand": dictionary(labels.brand_index[product], labels.brands),
            "price": dictionary(product, prices),
            "user_id": ctx.population.user_id[sessions.user[events.session]],
            "user_session": dictionary(events.session, session_uuids(rng, len(sessions))),
        }
    )


class Progress:
    """A bar of events written so far (rich, on a terminal only), the month in writing."""

    def __init__(self, advance: Callable[[int, str], None]) -> None:
        self.advance = advance

    def month(self, label: str, events: int, done: int, reviews: int) -> None:
        self.advance(events, f"{label}, {reviews:,} reviews")


def folder_bytes(root: Path) -> int:
    return sum(
        f.stat().st_size for name in FOLDERS for f in (root / name).rglob("*") if f.is_file()
    )


def generate_shop(
    out: Path,
    interactions: int,
    seed: int,
    start: date = DEFAULT_START,
    months: int = DEFAULT_MONTHS,
    progress: bool = False,
    force: bool = False,
) -> GenerateSummary:
    """Write a synthetic shop with `interactions` REES46 events (plus reviews and metadata)."""
    validate(interactions, seed, start, months)
    out = Path(out).expanduser().resolve()
    check_room(out, interactions)
    began = time.perf_counter()
    staging = prepare_output(out, force)
    try:
        with bar(interactions, "generate", enabled=progress) as advance:
            counts = write_shop(staging, interactions, seed, start, months, Progress(advance))
        publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return GenerateSummary(
        out=out,
        months=months,
        seconds=time.perf_counter() - began,
        bytes_written=folder_bytes(out),
        **counts,
    )


@dataclass(frozen=True)
class World:
    """What stays fixed for the whole span: products, users and their samplers."""

    catalog: Catalog
    population: Population
    seasons: np.ndarray
    samplers: Samplers
    labels: Labels


def build_world(
    catalog_rng: np.random.Generator, users_rng: np.random.Generator, interactions: int, months: int
) -> World:
    """Catalog and users scaled to the number of interactions."""
    n_products = max(MIN_PRODUCTS, interactions // EVENTS_PER_PRODUCT)
    catalog = build_catalog(catalog_rng, n_products, months)
    seasons = leaf_seasons(catalog_rng)
    n_users = max(MIN_USERS, interactions // EVENTS_PER_USER)
    population = build_population(users_rng, n_users, catalog, months)
    return World(catalog, population, seasons, build_samplers(catalog), build_labels(catalog))


class ShopWriter:
    """Writes month after month under `root`, carrying reviews and restocks due later and
    the durables each user has bought."""

    def __init__(self, root: Path, world: World, progress: Progress, deal_norm: float) -> None:
        self.root, self.world, self.progress = root, world, progress
        self.deal_norm = deal_norm
        self.pending = no_reviews()
        self.restocks: Restocks = no_restocks()
        self.owned = np.zeros(0, dtype=np.int64)
        self.tally = RatingTally(world.catalog.size)
        self.seen_users = np.zeros(world.population.size, dtype=bool)
        self.events = self.reviews = self.verified = 0

    def write_month(self, rng: np.random.Generator, month: Month, budget: int) -> None:
        w = self.world
        ctx = month_context(
            month, w.catalog, w.population, w.samplers, w.seasons, self.deal_norm, self.owned
        )
        due, self.restocks = split_restocks(self.restocks, month.end)
        restock = restock_sessions(rng, ctx, due, budget)
        sessions, events = simulate_month(rng, ctx, budget, restock)
        self.restocks = Restocks.concat(
            [self.restocks, schedule_restocks(rng, ctx, sessions, events)]
        )
        self.owned = add_owned(self.owned, ctx, sessions, events)
        table = rees46_table(rng, ctx, sessions, events, w.labels)
        write_events_csv(self.root / "rees46" / f"events-{month.label}.csv.gz", table)
        self.seen_users[sessions.user[events.session]] = True
        self.events += len(events)
        self.pending = Reviews.concat([self.pending, month_reviews(rng, ctx, sessions, events)])
        due, self.pending = split_due(self.pending, month.end * 1000)
        self.write_reviews(month, due)
        self.progress.month(month.label, len(events), self.events, self.reviews)

    def write_reviews(self, month: Month, due: Reviews) -> None:
        path = self.root / "amazon_reviews" / f"reviews-{month.label}.jsonl.gz"
        write_jsonl(path, review_records(due, self.world.catalog, self.world.population))
        self.tally.add(due.product, due.stars)
        self.reviews += len(due)
        self.verified += int(due.verified.sum())

    def finish(self, rng: np.random.Generator, start: date) -> dict[str, int]:
        """Write the item metadata; reviews due after the span are dropped."""
        records = meta_records(rng, self.world.catalog, self.tally, start)
        write_jsonl(self.root / "amazon_meta" / "meta.jsonl.gz", records)
        return {
            "events": self.events,
            "reviews": self.reviews,
            "verified_reviews": self.verified,
            "products": self.world.catalog.size,
            "users": int(self.seen_users.sum()),
        }


def mean_deal(calendar: list[Month]) -> float:
    """The traffic-weighted mean purchase multiplier of holiday deals over the span."""
    weights = np.concatenate([m.day_weights for m in calendar])
    deals = np.concatenate([m.deal_factor for m in calendar])
    return float((weights * deals).sum() / weights.sum())


def write_shop(
    root: Path, interactions: int, seed: int, start: date, months: int, progress: Progress
) -> dict[str, int]:
    """Generate and write everything under `root`; returns the counts for the summary."""
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3 + months)]
    catalog_rng, users_rng, meta_rng, month_rngs = rngs[0], rngs[1], rngs[2], rngs[3:]
    calendar = build_months(start, months)
    world = build_world(catalog_rng, users_rng, interactions, months)
    writer = ShopWriter(root, world, progress, mean_deal(calendar))
    budgets = split_budget(interactions, np.array([m.day_weights.sum() for m in calendar]))
    for month, budget, rng in zip(calendar, budgets, month_rngs, strict=True):
        writer.write_month(rng, month, int(budget))
    return writer.finish(meta_rng, start)
