"""Trending: popularity with exponential time decay, so launches and fades are followed.

Each training pair (one user, one product) counts ``0.5 ** (age / half_life)``, where
``age`` is the time from the pair's last event to the end of the training window (the
latest ``last_event_at``). A product's trend score is the sum over its users: a product
bought by 10 users yesterday outranks one bought by 10 users three half-lives ago (score
10 against 1.25). Ties: more distinct users, then ``product_id``. Everyone gets the same
ranking minus what they saw (``new_items``), as for popularity; cold users get it too.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.columns import ITEM, SCORE, USER
from ml.popularity import DEFAULT_MAX_CANDIDATES, recommend_ranked_items, top_n

SECONDS_PER_DAY = 86_400.0


def trending_table(train: DataFrame, half_life_days: float) -> DataFrame:
    """Per product: ``product_id, trend_score, n_users`` (see the module docstring)."""
    if not half_life_days > 0:
        raise ValueError(f"trending half-life must be positive days, got {half_life_days!r}")
    seconds = F.unix_timestamp("last_event_at")
    end = train.agg(F.max(seconds).alias("_end"))
    age_days = (F.col("_end") - seconds) / F.lit(SECONDS_PER_DAY)
    return (
        train.crossJoin(F.broadcast(end))
        .groupBy(ITEM)
        .agg(
            F.sum(F.pow(F.lit(0.5), age_days / F.lit(float(half_life_days)))).alias("trend_score"),
            F.countDistinct(USER).alias("n_users"),
        )
    )


def recommend_trending(
    train: DataFrame,
    users: DataFrame,
    k: int,
    half_life_days: float,
    exclude_seen: bool = True,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
) -> DataFrame:
    """Top-k trending products per target user: ``user_id, product_id, rank, score``."""

    def ranked(n: int) -> DataFrame:
        order = [F.desc("trend_score"), F.desc("n_users"), F.asc(ITEM)]
        return top_n(trending_table(train, half_life_days), n, order).select(
            ITEM, "pop_rank", F.col("trend_score").cast("double").alias(SCORE)
        )

    return recommend_ranked_items(train, users, k, ranked, max_candidates, exclude_seen)
