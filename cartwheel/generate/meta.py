"""Amazon Reviews 2023 item metadata for every product of the catalog.

`average_rating` / `rating_number` combine the reviews generated in the span with ratings
the product collected elsewhere (a heavy-tailed count around a quality-driven mean), so every
item has at least one rating, as in the real dataset.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np

from cartwheel.generate.calendar import add_months
from cartwheel.generate.catalog import Catalog
from cartwheel.generate.taxonomy import COLORS, DESCRIPTIONS, FEATURES, LEAVES, title

IMAGE_HOST = "https://images.example.com/products"
VIDEO_HOST = "https://videos.example.com"


class RatingTally:
    """Running count and sum of generated star ratings per product."""

    def __init__(self, n_products: int) -> None:
        self.count = np.zeros(n_products, dtype=np.int64)
        self.total = np.zeros(n_products, dtype=np.int64)

    def add(self, product: np.ndarray, stars: np.ndarray) -> None:
        self.count += np.bincount(product, minlength=len(self.count))
        self.total += np.bincount(product, weights=stars, minlength=len(self.count)).astype(
            np.int64
        )


def ratings_summary(
    rng: np.random.Generator, catalog: Catalog, tally: RatingTally
) -> tuple[np.ndarray, np.ndarray]:
    """(average_rating rounded to 0.1, rating_number) per product."""
    reach = np.sqrt(catalog.popularity / np.median(catalog.popularity))
    outside = np.floor(rng.pareto(1.4, catalog.size) * 4.0 * reach).astype(np.int64)
    outside = np.where(tally.count + outside == 0, 1, outside)
    outside_mean = np.clip(4.1 + 0.45 * catalog.quality + rng.normal(0, 0.3, catalog.size), 1, 5)
    number = tally.count + outside
    average = (tally.total + outside * outside_mean) / number
    return np.round(average, 1), number


def first_available(start: date, launch_months: float) -> str:
    """The "Date First Available" detail, e.g. "March 5, 2022"."""
    whole = int(np.floor(launch_months))
    day = add_months(start, whole) + timedelta(days=int((launch_months - whole) * 28))
    return f"{day:%B} {day.day}, {day.year}"


def text_fill(
    catalog: Catalog, product: int, store: str | None, draws: np.ndarray, start: date
) -> dict[str, str]:
    """Values for the feature and description templates."""
    leaf = LEAVES[catalog.leaf[product]]
    return {
        "brand": store or "Our",
        "model": str(catalog.model[product]),
        "leaf_lower": leaf.name.lower(),
        "top": title(leaf.top),
        "top_lower": title(leaf.top).lower(),
        "year": str(start.year + int(np.floor(catalog.launch[product] / 12))),
        "warranty": str(1 + int(draws[0] * 3)),
        "color": COLORS[int(draws[1] * len(COLORS))],
        "weight": f"{0.3 + draws[2] * 30:.1f}",
    }


def features_and_description(
    fill: dict[str, str], draws: np.ndarray
) -> tuple[list[str], list[str]]:
    """2-5 feature bullets and (mostly) a one-paragraph description."""
    n_features = 2 + int(draws[3] * 4)
    first = int(draws[4] * len(FEATURES))
    features = [FEATURES[(first + 5 * k) % len(FEATURES)].format(**fill) for k in range(n_features)]
    if draws[5] < 0.2:
        return features, []
    return features, [DESCRIPTIONS[int(draws[6] * len(DESCRIPTIONS))].format(**fill)]


def listed_price(price: float, draw: float) -> float | str | None:
    """The price as Amazon metadata has it: a number, often null, occasionally "None"."""
    if draw < 0.12:
        return None
    if draw < 0.14:
        return "None"
    return round(price, 2)


def product_images(asin: str, draws: np.ndarray) -> list[dict[str, str | None]]:
    count = 0 if draws[8] < 0.05 else 1 + int(draws[9] * 5)
    return [
        {
            "thumb": f"{IMAGE_HOST}/{asin}-{k}._SS40_.jpg",
            "large": f"{IMAGE_HOST}/{asin}-{k}.jpg",
            "variant": "MAIN" if k == 0 else f"PT{k:02d}",
            "hi_res": f"{IMAGE_HOST}/{asin}-{k}._SL1500_.jpg" if draws[10] < 0.8 else None,
        }
        for k in range(count)
    ]


def product_videos(asin: str, name: str, draw: float) -> list[dict[str, str]]:
    if draw >= 0.05:
        return []
    return [{"title": f"{name} overview", "url": f"{VIDEO_HOST}/{asin}", "user_id": ""}]


def product_details(store: str | None, model: str, launched: str) -> dict[str, str]:
    details = {"Brand": store} if store else {}
    details["Model Name"] = model
    details["Date First Available"] = launched
    return details


def meta_record(
    catalog: Catalog,
    product: int,
    draws: np.ndarray,
    rating: tuple[float, int],
    start: date,
) -> dict[str, object]:
    """One Amazon 2023 metadata record; `draws` are this product's uniform random numbers."""
    leaf = LEAVES[catalog.leaf[product]]
    asin = str(int(catalog.product_id[product]))
    model = str(catalog.model[product])
    brand = catalog.brand_names[catalog.brand[product]]
    store = brand.title() if catalog.has_brand[product] else None
    features, description = features_and_description(
        text_fill(catalog, product, store, draws, start), draws
    )
    name = " ".join(part for part in (store, leaf.name, model) if part)
    launched = first_available(start, float(catalog.launch[product]))
    return {
        "main_category": title(leaf.top),
        "title": name,
        "average_rating": rating[0],
        "rating_number": rating[1],
        "features": features,
        "description": description,
        "price": listed_price(float(catalog.price[product]), draws[7]),
        "images": product_images(asin, draws),
        "videos": product_videos(asin, name, draws[11]),
        "store": store,
        "categories": leaf.path_titles if catalog.coded[product] else [],
        "details": product_details(store, model, launched),
        "parent_asin": asin,
        "bought_together": None,
    }


def meta_records(
    rng: np.random.Generator, catalog: Catalog, tally: RatingTally, start: date
) -> Iterator[dict[str, object]]:
    """Metadata records for every product, in product id order."""
    average, number = ratings_summary(rng, catalog, tally)
    draws = rng.random((catalog.size, 12))
    for product in range(catalog.size):
        rating = (float(average[product]), int(number[product]))
        yield meta_record(catalog, product, draws[product], rating, start)
