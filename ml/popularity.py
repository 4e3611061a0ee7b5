"""Popularity baseline: the most-interacted products of the training window.

Popularity of a product = number of distinct training users who interacted with it; ties
are broken by the summed ``weight`` (higher first), then by ``product_id`` (ascending). Each
target user gets the k most popular products they did not interact with in training.

Scaling: the catalogue is never crossed with the users. Only the top ``k + m`` products are
candidates, where ``m`` is the largest number of training items any target user has (so
every user still has k unseen candidates); each user's candidate list is one array per user
(``array_except`` of candidate positions minus the user's seen positions, order preserved),
sliced to k and exploded. Cost: one small aggregation for ``m`` plus O(users x (k + m)).
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ml.columns import ITEM, RANK, SCORE, USER, WEIGHT, check_k
from ml.topk import empty_int_array, max_seen, seen_positions, target_users

DEFAULT_MAX_CANDIDATES = 100_000


def popularity_table(train: DataFrame) -> DataFrame:
    """Per product: ``product_id, n_users`` (distinct users), ``total_weight``."""
    return train.groupBy(ITEM).agg(
        F.countDistinct(USER).alias("n_users"),
        F.sum(F.col(WEIGHT).cast("double")).alias("total_weight"),
    )


def popularity_order() -> list:
    """Sort order of ``popularity_table``: most popular first, deterministic."""
    return [F.desc("n_users"), F.desc("total_weight"), F.asc(ITEM)]


def top_popular(train: DataFrame, n: int) -> DataFrame:
    """The n most popular products with a dense position ``pop_rank`` (1 = most popular).

    Columns: ``product_id, n_users, total_weight, pop_rank``.
    """
    return top_n(popularity_table(train), n, popularity_order())


def top_n(table: DataFrame, n: int, order: list) -> DataFrame:
    """The first n rows of ``table`` in ``order`` with a dense position ``pop_rank``. The
    window runs on at most n rows (after the limit), so its single partition is harmless."""
    limited = table.orderBy(*order).limit(n)
    window = Window.partitionBy(F.lit(0)).orderBy(*order)
    return limited.withColumn("pop_rank", F.row_number().over(window))


def recommend_popularity(
    train: DataFrame,
    users: DataFrame,
    k: int,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
    exclude_seen: bool = True,
) -> DataFrame:
    """Top-k popular products per target user (unseen ones unless ``exclude_seen=False``).

    Args:
        train: training interactions (``user_id``, ``product_id``, ``weight``, ...).
        users: the target users (a ``user_id`` column; other columns ignored).
        k: list length.
        max_candidates: cap on ``k + m`` (guards against a bot with a huge history making
            every user's candidate list huge; such a user may then get fewer than k items).
        exclude_seen: leave out the user's training products (the ``new_items``
            protocol); ``False`` gives everyone the same top k (``repeat_aware``).

    Returns:
        ``user_id, product_id, rank`` (int, 1..k), ``score`` (double: the product's number
        of distinct training users). Users with fewer than k unseen training products get
        fewer rows.
    """

    def ranked(n: int) -> DataFrame:
        return top_popular(train, n).select(
            ITEM, "pop_rank", F.col("n_users").cast("double").alias(SCORE)
        )

    return recommend_ranked_items(train, users, k, ranked, max_candidates, exclude_seen)


def recommend_ranked_items(
    train: DataFrame,
    users: DataFrame,
    k: int,
    ranked: Callable[[int], DataFrame],
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
    exclude_seen: bool = True,
) -> DataFrame:
    """The same global ranking for every user, minus what each user saw (``new_items``).

    ``ranked(n)`` gives the n best products as ``product_id, pop_rank`` (1 = best, dense)
    and ``score`` (double); popularity and trending differ only there.
    """
    check_k(k)
    n_seen = max_seen(train, users) if exclude_seen else 0
    n_candidates = min(k + n_seen, max_candidates)
    candidates = ranked(n_candidates).select(
        ITEM, F.col("pop_rank").cast("int").alias("pop_rank"), SCORE
    )
    all_positions = candidates.agg(F.sort_array(F.collect_list("pop_rank")).alias("cands"))
    seen = seen_positions(train, users, candidates, "pop_rank", exclude_seen)
    positions = (
        target_users(users)
        .join(seen, USER, "left")
        .crossJoin(F.broadcast(all_positions))
        .select(
            USER,
            F.slice(F.array_except("cands", F.coalesce("seen", empty_int_array())), 1, k).alias(
                "top"
            ),
        )
        .select(USER, F.posexplode("top").alias("pos", "pop_rank"))
    )
    return positions.join(F.broadcast(candidates), "pop_rank").select(
        USER,
        ITEM,
        (F.col("pos") + 1).cast("int").alias(RANK),
        F.col(SCORE).cast("double").alias(SCORE),
    )
