"""Reviews: verified ones days after a purchase, plus some from shoppers who never bought.

A star rating comes from how well the product fits the reviewer's tastes (leaf, brand, price
tier), the product's latent quality and noise: good fits get 4-5 stars, bad fits fewer. Very
happy and very unhappy buyers review more often; helpful votes are heavy-tailed. Reviews are
written out by the month of their own timestamp, so pending ones carry over between months.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from cartwheel.generate.catalog import Catalog
from cartwheel.generate.events import (
    PURCHASE,
    Events,
    MonthContext,
    Sessions,
    draw_sessions,
    field_names,
    pick_products,
)
from cartwheel.generate.taxonomy import LEAVES, REVIEW_SENTENCES, REVIEW_TITLES
from cartwheel.generate.users import Population, fit_score

STAR_CUTS = np.array([0.15, 0.55, 1.0, 1.7])  # score thresholds between 1|2|3|4|5 stars
REVIEW_CHANCE = np.array([0.0, 0.34, 0.22, 0.17, 0.19, 0.27])  # by stars (index 1..5)
UNVERIFIED_PER_VERIFIED = 0.14
MEDIAN_DELAY_DAYS = 7.0
IMAGE_SHARE = 0.05
IMAGE_HOST = "https://images.example.com/reviews"


@dataclass(frozen=True)
class Reviews:
    """Per-review arrays, including the random picks that choose the review's words."""

    time_ms: np.ndarray  # int64 epoch milliseconds
    user: np.ndarray
    product: np.ndarray
    stars: np.ndarray  # int64 1..5
    verified: np.ndarray  # bool
    helpful: np.ndarray  # int64
    words: np.ndarray  # (n, 4) int64 random picks: title, then up to three sentences
    n_sentences: np.ndarray  # int64 1..3
    n_images: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.time_ms)

    def take(self, index: np.ndarray) -> Reviews:
        return Reviews(*(getattr(self, f)[index] for f in field_names(Reviews)))

    @staticmethod
    def concat(parts: list[Reviews]) -> Reviews:
        return Reviews(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in field_names(Reviews))
        )


def no_reviews() -> Reviews:
    ints = np.zeros(0, dtype=np.int64)
    return Reviews(ints, ints, ints, ints, ints.astype(bool), ints, ints.reshape(0, 4), ints, ints)


def star_ratings(
    rng: np.random.Generator,
    population: Population,
    catalog: Catalog,
    user: np.ndarray,
    product: np.ndarray,
) -> np.ndarray:
    """1-5 stars from taste fit, product quality and noise."""
    score = fit_score(population, catalog, user, product)
    score = score + 0.45 * catalog.quality[product] + rng.normal(0.0, 0.7, len(user))
    return 1 + np.searchsorted(STAR_CUTS, score)


def helpful_votes(rng: np.random.Generator, stars: np.ndarray) -> np.ndarray:
    """Mostly zero, sometimes a few, rarely hundreds; critical reviews collect more."""
    voted = rng.random(len(stars)) < np.where(stars <= 2, 0.5, 0.3)
    votes = np.floor(rng.pareto(1.6, len(stars)) * 2.0) + 1
    return np.where(voted, np.minimum(votes, 5000), 0).astype(np.int64)


def make_reviews(
    rng: np.random.Generator,
    time_ms: np.ndarray,
    user: np.ndarray,
    product: np.ndarray,
    stars: np.ndarray,
    verified: bool,
) -> Reviews:
    """Reviews for given (time, user, product, stars) with votes and word picks."""
    n = len(user)
    return Reviews(
        time_ms=time_ms,
        user=user,
        product=product,
        stars=stars,
        verified=np.full(n, verified),
        helpful=helpful_votes(rng, stars),
        words=rng.integers(0, 1 << 30, (n, 4)),
        n_sentences=rng.integers(1, 4, n),
        n_images=np.where(rng.random(n) < IMAGE_SHARE, rng.integers(1, 4, n), 0),
    )


def verified_reviews(
    rng: np.random.Generator, ctx: MonthContext, sessions: Sessions, events: Events
) -> Reviews:
    """Some purchases of the month get a review a few days later."""
    bought = events.kind == PURCHASE
    user = sessions.user[events.session[bought]]
    product = events.product[bought]
    stars = star_ratings(rng, ctx.population, ctx.catalog, user, product)
    keep = rng.random(len(user)) < REVIEW_CHANCE[stars]
    delay = 3600 + rng.lognormal(np.log(MEDIAN_DELAY_DAYS * 86_400), 0.8, len(user))
    jitter_ms = rng.integers(0, 1000, len(user))
    time_ms = (events.time[bought] + delay.astype(np.int64)) * 1000 + jitter_ms
    return make_reviews(rng, time_ms[keep], user[keep], product[keep], stars[keep], True)


def unverified_reviews(rng: np.random.Generator, ctx: MonthContext, n: int) -> Reviews:
    """Reviews not tied to a purchase in the shop: products the user might look at."""
    sessions = draw_sessions(rng, ctx, n)
    product = pick_products(rng, ctx, sessions, np.arange(n))
    stars = star_ratings(rng, ctx.population, ctx.catalog, sessions.user, product)
    stars = np.clip(stars - (rng.random(n) < 0.25), 1, 5)
    time_ms = sessions.start * 1000 + rng.integers(0, 1000, n)
    return make_reviews(rng, time_ms, sessions.user, product, stars, False)


def month_reviews(
    rng: np.random.Generator, ctx: MonthContext, sessions: Sessions, events: Events
) -> Reviews:
    """All reviews created from this month's activity (some are due in later months)."""
    verified = verified_reviews(rng, ctx, sessions, events)
    extra = rng.poisson(len(verified) * UNVERIFIED_PER_VERIFIED)
    return Reviews.concat([verified, unverified_reviews(rng, ctx, extra)])


def split_due(pending: Reviews, until_ms: int) -> tuple[Reviews, Reviews]:
    """(reviews before `until_ms` in time order, the rest)."""
    due = pending.time_ms < until_ms
    idx = np.flatnonzero(due)
    order = idx[np.lexsort((pending.product[idx], pending.user[idx], pending.time_ms[idx]))]
    return pending.take(order), pending.take(np.flatnonzero(~due))


def pick(options: tuple[str, ...], draw: int) -> str:
    return options[draw % len(options)]


def review_text(
    stars: int, words: np.ndarray, n_sentences: int, fill: dict[str, str]
) -> tuple[str, str]:
    """(title, text) for a review from the templates of its star rating."""
    title = pick(REVIEW_TITLES[stars], int(words[0])).format(**fill)
    sentences = REVIEW_SENTENCES[stars]
    chosen = dict.fromkeys(pick(sentences, int(w)) for w in words[1 : 1 + n_sentences])
    return title, " ".join(s.format(**fill) for s in chosen)


def review_images(asin: str, count: int, time_ms: int) -> list[dict[str, str]]:
    base = f"{IMAGE_HOST}/{asin}-{time_ms}"
    return [
        {
            "small_image_url": f"{base}-{k}._SL256_.jpg",
            "medium_image_url": f"{base}-{k}._SL800_.jpg",
            "large_image_url": f"{base}-{k}.jpg",
            "attachment_type": "IMAGE",
        }
        for k in range(count)
    ]


def review_records(
    reviews: Reviews, catalog: Catalog, population: Population
) -> Iterator[dict[str, object]]:
    """Amazon Reviews 2023 review records, keys in the dataset's order."""
    for i in range(len(reviews)):
        product = int(reviews.product[i])
        asin = str(int(catalog.product_id[product]))
        brand = catalog.brand_names[catalog.brand[product]]
        fill = {
            "brand": brand.title() if catalog.has_brand[product] else "the maker",
            "leaf_lower": LEAVES[catalog.leaf[product]].name.lower(),
        }
        stars = int(reviews.stars[i])
        title, text = review_text(stars, reviews.words[i], int(reviews.n_sentences[i]), fill)
        time_ms = int(reviews.time_ms[i])
        yield {
            "rating": float(stars),
            "title": title,
            "text": text,
            "images": review_images(asin, int(reviews.n_images[i]), time_ms),
            "asin": asin,
            "parent_asin": asin,
            "user_id": str(int(population.user_id[reviews.user[i]])),
            "timestamp": time_ms,
            "helpful_vote": int(reviews.helpful[i]),
            "verified_purchase": bool(reviews.verified[i]),
        }
