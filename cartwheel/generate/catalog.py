"""The product catalog: products in a category tree with brands, prices, tiers and popularity.

Products are numbered leaf by leaf (ids 1000000+i), so like REES46 ids they cluster by
category. Popularity is heavy-tailed (lognormal within a leaf times the leaf's traffic),
prices are lognormal around the leaf's median with a brand premium, and each product lands
in a price tier (budget / mid / premium tertile within its leaf) that users have tastes for.

Products have a life cycle: launches are spread evenly from `PRE_SPAN_MONTHS` before the span
to its end, a product is busiest in the months after its launch (a launch buzz), then fades
with its own time scale (median `FADE_MONTHS`) and is delisted once it has faded to
`DELIST_AT` of its launch level; so new products keep replacing old ones. The first product
of each leaf is a staple that stays listed, so no leaf ever runs empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartwheel.generate.taxonomy import BRANDS, LEAVES, MODEL_SERIES, MODEL_SUFFIXES, TOPS

PRODUCT_ID_BASE = 1_000_000
CATEGORY_ID_BASE = 2_053_013_552_000_000_000
LEGACY_CATEGORY_ID_BASE = 2_103_807_459_500_000_000
UNCODED_SHARE = 0.10  # products filed under a legacy category id without a category_code
UNBRANDED_SHARE = 0.10
PRE_SPAN_MONTHS = 36.0  # launches run evenly from this many months before the span to its end
FADE_MONTHS = 12.0  # median e-folding time of a product's popularity after launch
DELIST_AT = 0.15  # a product is delisted when its popularity has faded to this share
FADE_SPREAD = 0.5  # lognormal sigma of the fade time across products
BUZZ = 1.5  # extra popularity right after launch, decaying over ~2 months
N_TIERS = 3


@dataclass(frozen=True)
class Catalog:
    """Column arrays, one row per product (index = product number)."""

    product_id: np.ndarray  # int64
    leaf: np.ndarray  # int64 index into LEAVES
    brand: np.ndarray  # int64 index into brand_names
    has_brand: np.ndarray  # bool: brand shown (REES46 brand / Amazon store)
    category_id: np.ndarray  # int64
    coded: np.ndarray  # bool: category_code shown
    price: np.ndarray  # float64 base price
    tier: np.ndarray  # int64 0 budget, 1 mid, 2 premium
    popularity: np.ndarray  # float64 base popularity weight
    quality: np.ndarray  # float64 latent quality (drives ratings)
    launch: np.ndarray  # float64 launch time in months from the span start (< 0: before)
    fade: np.ndarray  # float64 months for popularity to fall by 1/e after launch
    delist: np.ndarray  # float64 months from the span start when it leaves (inf: staple)
    drift: np.ndarray  # float64 monthly log price drift
    on_sale: np.ndarray  # bool: discounted in November
    model: np.ndarray  # str model name
    brand_names: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.product_id)


def brand_table() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """All (top, brand) pairs: names, the top index of each, and its rank within the top."""
    names, tops, ranks = [], [], []
    for top_index, top in enumerate(TOPS):
        for rank, name in enumerate(BRANDS[top]):
            names.append(name)
            tops.append(top_index)
            ranks.append(rank)
    return tuple(names), np.array(tops), np.array(ranks)


def leaf_sizes(rng: np.random.Generator, n_products: int) -> np.ndarray:
    """Products per leaf, every leaf at least one, more for high-traffic leaves."""
    traffic = np.array([leaf.traffic for leaf in LEAVES]) ** 0.8
    extra = rng.multinomial(n_products - len(LEAVES), traffic / traffic.sum())
    return extra + 1


def assign_brands(
    rng: np.random.Generator, leaf: np.ndarray, brand_top: np.ndarray, brand_rank: np.ndarray
) -> np.ndarray:
    """A brand from the leaf's top-level list per product, Zipf-like by brand rank."""
    top_of_leaf = np.array([TOPS.index(item.top) for item in LEAVES])
    brand = np.empty(len(leaf), dtype=np.int64)
    for top_index in range(len(TOPS)):
        members = np.flatnonzero(top_of_leaf[leaf] == top_index)
        candidates = np.flatnonzero(brand_top == top_index)
        share = 1.0 / (brand_rank[candidates] + 1.5)
        brand[members] = rng.choice(candidates, size=len(members), p=share / share.sum())
    return brand


def price_tiers(leaf: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Tertile of the price within the product's leaf."""
    order = np.lexsort((price, leaf))
    sizes = np.bincount(leaf, minlength=len(LEAVES))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank_in_leaf = np.empty(len(leaf), dtype=np.int64)
    rank_in_leaf[order] = np.arange(len(leaf)) - np.repeat(starts, sizes)
    return np.minimum(rank_in_leaf * N_TIERS // sizes[leaf], N_TIERS - 1)


def model_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Model names like "A52", "Pro 7 Max", "X410s"."""
    series = np.array(MODEL_SERIES)[rng.integers(0, len(MODEL_SERIES), n)]
    digits = rng.integers(1, 4, n)
    number = np.floor(10 ** (digits - 1) + rng.random(n) * 9 * 10 ** (digits - 1)).astype(int)
    suffix = np.array(MODEL_SUFFIXES)[rng.integers(0, len(MODEL_SUFFIXES), n)]
    return np.char.add(np.char.add(series, number.astype(str)), suffix)


def category_ids(rng: np.random.Generator, leaf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """REES46-like category ids: one coded id per leaf, and a legacy uncoded id per leaf."""
    n_leaves = len(LEAVES)
    coded_ids = CATEGORY_ID_BASE + np.sort(rng.choice(10**13, n_leaves, replace=False))
    legacy_ids = LEGACY_CATEGORY_ID_BASE + np.sort(rng.choice(10**13, n_leaves, replace=False))
    coded = rng.random(len(leaf)) >= UNCODED_SHARE
    return np.where(coded, coded_ids[leaf], legacy_ids[leaf]), coded


def staples(leaf: np.ndarray) -> np.ndarray:
    """The first product of each leaf."""
    return np.searchsorted(leaf, np.arange(len(LEAVES)))


def launch_months(rng: np.random.Generator, leaf: np.ndarray, months: int) -> np.ndarray:
    """Launch times spread evenly from before the span to its end; each leaf starts stocked."""
    launch = rng.uniform(-PRE_SPAN_MONTHS, months, len(leaf))
    first_of_leaf = staples(leaf)
    launch[first_of_leaf] = np.minimum(launch[first_of_leaf], -1.0)
    return launch


def life_times(
    rng: np.random.Generator, leaf: np.ndarray, months: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(launch, fade, delist) per product, in months from the span start."""
    launch = launch_months(rng, leaf, months)
    fade = rng.lognormal(np.log(FADE_MONTHS), FADE_SPREAD, len(leaf))
    delist = launch + fade * np.log(1.0 / DELIST_AT)
    delist[staples(leaf)] = np.inf
    return launch, fade, delist


def build_catalog(rng: np.random.Generator, n_products: int, months: int) -> Catalog:
    """A catalog of `n_products` products across all leaves."""
    n_products = max(n_products, len(LEAVES))
    leaf = np.repeat(np.arange(len(LEAVES)), leaf_sizes(rng, n_products))
    brand_names, brand_top, brand_rank = brand_table()
    brand = assign_brands(rng, leaf, brand_top, brand_rank)
    premium = rng.lognormal(0.0, 0.25, len(brand_names))
    median = np.array([item.median_price for item in LEAVES])
    price = np.round(
        np.maximum(median[leaf] * premium[brand] * rng.lognormal(0, 0.5, len(leaf)), 0.99), 2
    )
    traffic = np.array([item.traffic for item in LEAVES])
    within = rng.lognormal(0.0, 1.6, len(leaf)) * (brand_rank[brand] + 2.0) ** -0.5
    within *= (price / median[leaf]) ** -0.3
    popularity = traffic[leaf] * within / np.bincount(leaf, within)[leaf]
    category_id, coded = category_ids(rng, leaf)
    launch, fade, delist = life_times(rng, leaf, months)
    brand_quality = rng.normal(0.0, 0.4, len(brand_names))
    return Catalog(
        product_id=PRODUCT_ID_BASE + np.arange(len(leaf), dtype=np.int64),
        leaf=leaf,
        brand=brand,
        has_brand=rng.random(len(leaf)) >= UNBRANDED_SHARE,
        category_id=category_id,
        coded=coded,
        price=price,
        tier=price_tiers(leaf, price),
        popularity=popularity,
        quality=rng.normal(0.0, 1.0, len(leaf)) + brand_quality[brand],
        launch=launch,
        fade=fade,
        delist=delist,
        drift=rng.normal(0.0, 0.008, len(leaf)),
        on_sale=rng.random(len(leaf)) < 0.3,
        model=model_names(rng, len(leaf)),
        brand_names=brand_names,
    )


def life_cycle(catalog: Catalog, when: float) -> np.ndarray:
    """Relative popularity at `when` (months from the span start): zero before launch and
    after delisting, a buzz after launch, then an exponential fade."""
    age = when - catalog.launch
    grown = np.maximum(age, 0.0)
    buzz = 1.0 + BUZZ * np.exp(-grown / 2.0)
    listed = (age > 0) & (when < catalog.delist)
    return np.where(listed, buzz * np.exp(-grown / catalog.fade), 0.0)


def monthly_weights(catalog: Catalog, month_index: int) -> np.ndarray:
    """Popularity in a month: base popularity times the life cycle, each leaf at its traffic.

    Within a leaf, new products take share from fading ones; the leaf's total stays the same.
    """
    weight = catalog.popularity * life_cycle(catalog, month_index + 0.5)
    n_leaves = len(LEAVES)
    base = np.bincount(catalog.leaf, catalog.popularity, n_leaves)
    now = np.bincount(catalog.leaf, weight, n_leaves)
    scale = np.divide(base, now, out=np.zeros(n_leaves), where=now > 0)
    return weight * scale[catalog.leaf]


def monthly_prices(catalog: Catalog, month_index: int, calendar_month: int) -> np.ndarray:
    """Prices in a month: base price with a slow drift and November sales."""
    factor = np.exp(catalog.drift * month_index)
    if calendar_month == 11:
        factor = np.where(catalog.on_sale, factor * 0.85, factor)
    return np.maximum(np.round(catalog.price * factor, 2), 0.99)
