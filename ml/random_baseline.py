"""Seeded random ranker over training products (the floor "popularity beats random").

A seeded random pool of training products is drawn once (products ordered by
``xxhash64(seed, product_id)``; a uniform random sample of the catalogue, so the expected
precision equals that of a uniform random ranker); each target user gets k products from
the pool, minus the products they interacted with in training, in the order of
``xxhash64(seed, user_id, product_id)``. Deterministic for a given seed and independent of
partitioning. Cost: O(users x pool size) rows through a sort-based top-k, never
users x catalogue.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ml.columns import ITEM, SCORE, USER, check_k
from ml.settings import DEFAULTS
from ml.topk import empty_int_array, max_seen, seen_positions, target_users, top_k_per_user

DEFAULT_POOL_SIZE = 500
HASH_RANGE = 1_000_000_007  # a prime; hash % range / range gives a score in [0, 1)


def recommend_random(
    train: DataFrame,
    users: DataFrame,
    k: int,
    seed: int = DEFAULTS.seed,
    pool_size: int = DEFAULT_POOL_SIZE,
    exclude_seen: bool = True,
) -> DataFrame:
    """k random unseen training products per target user.

    Args:
        train: training interactions (``user_id``, ``product_id``, ...).
        users: target users (``user_id``).
        k: list length.
        seed: random seed (same seed, same lists).
        pool_size: size of the random product pool; raised to ``k + m`` (m = the largest
            training history of a target user) so every user has k unseen candidates.
        exclude_seen: leave out the user's training products (``new_items``); ``False``
            draws from the whole pool (``repeat_aware``).

    Returns:
        ``user_id, product_id, rank`` (int 1..k), ``score`` (double in [0, 1), the random
        key; higher ranks first).
    """
    check_k(k)
    n_pool = max(pool_size, k + (max_seen(train, users) if exclude_seen else 0))
    key = F.xxhash64(F.lit(int(seed)), F.col(ITEM))
    pool = (
        train.select(ITEM)
        .distinct()
        .withColumn("_key", key)
        .orderBy("_key", ITEM)
        .limit(n_pool)
        .withColumn(
            "pool_pos", F.row_number().over(Window.partitionBy(F.lit(0)).orderBy("_key", ITEM))
        )
        .select(ITEM, F.col("pool_pos").cast("int").alias("pool_pos"))
    )
    all_positions = pool.agg(F.collect_list("pool_pos").alias("pool"))
    seen = seen_positions(train, users, pool, "pool_pos", exclude_seen)
    pairs = (
        target_users(users)
        .join(seen, USER, "left")
        .crossJoin(F.broadcast(all_positions))
        .select(
            USER,
            F.explode(F.array_except("pool", F.coalesce("seen", empty_int_array()))).alias(
                "pool_pos"
            ),
        )
        .join(F.broadcast(pool), "pool_pos")
    )
    draw = F.pmod(F.xxhash64(F.lit(int(seed)), F.col(USER), F.col(ITEM)), F.lit(HASH_RANGE))
    scored = pairs.select(USER, ITEM, (draw / F.lit(float(HASH_RANGE))).alias(SCORE))
    return top_k_per_user(scored, k)
