"""Item-kNN: item-item cosine similarity on the training matrix, scored from each user's
history, as Spark jobs (so it runs past one machine).

The matrix is binary (a user had the product in training or not). For items i and j with
``n_i`` and ``n_j`` users and ``c_ij`` users in common:

    sim(i, j) = c_ij / (sqrt(n_i * n_j) + shrink)

(shrinkage pulls pairs seen by few users towards 0). Each item keeps its ``n_neighbours``
most similar items. A user's score for item j is the sum of ``sim(i, j)`` over the items i
in their history; ``new_items`` leaves out items the user had.

Pruning, so the co-occurrence self-join stays linear in the data rather than quadratic in
the heaviest user: each user contributes only their ``max_user_items`` most recent items
(a bot with 50,000 views would otherwise add 2.5 billion pairs). Cold users (no history)
get no list.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ml.columns import ITEM, SCORE, SCORE_DECIMALS, USER, check_k
from ml.topk import seen_pairs, target_users, top_k_per_user

NEIGHBOUR = "neighbour_id"
SIMILARITY = "similarity"


def pruned_history(train: DataFrame, max_user_items: int) -> DataFrame:
    """``user_id, product_id``: each user's ``max_user_items`` most recent products."""
    if max_user_items < 1:
        raise ValueError(f"max_user_items must be >= 1, got {max_user_items}")
    recent = Window.partitionBy(USER).orderBy(F.desc("last_event_at"), F.asc(ITEM))
    return (
        train.select(USER, ITEM, "last_event_at")
        .withColumn("_recent", F.row_number().over(recent))
        .where(F.col("_recent") <= max_user_items)
        .select(USER, ITEM)
    )


def item_neighbours(
    train: DataFrame, n_neighbours: int, shrink: float, max_user_items: int
) -> DataFrame:
    """``product_id, neighbour_id, similarity``: each item's top neighbours (see above)."""
    check_k(n_neighbours)
    if shrink < 0:
        raise ValueError(f"item-kNN shrink must be >= 0, got {shrink}")
    history = pruned_history(train, max_user_items).cache()
    counts = history.groupBy(ITEM).agg(F.count(F.lit(1)).alias("n_users"))
    left = history.alias("a")
    right = history.select(USER, F.col(ITEM).alias(NEIGHBOUR)).alias("b")
    common = (
        left.join(right, USER)
        .where(F.col(ITEM) != F.col(NEIGHBOUR))
        .groupBy(ITEM, NEIGHBOUR)
        .agg(F.count(F.lit(1)).alias("n_common"))
    )
    n_neighbour = counts.select(F.col(ITEM).alias(NEIGHBOUR), F.col("n_users").alias("n_j"))
    similar = (
        common.join(counts.withColumnRenamed("n_users", "n_i"), ITEM)
        .join(n_neighbour, NEIGHBOUR)
        .select(
            ITEM,
            NEIGHBOUR,
            (
                F.col("n_common") / (F.sqrt(F.col("n_i") * F.col("n_j")) + F.lit(float(shrink)))
            ).alias(SIMILARITY),
        )
    )
    best = similar.groupBy(ITEM).agg(
        F.max_by(
            F.struct(F.col(NEIGHBOUR), F.col(SIMILARITY)),
            F.struct(F.col(SIMILARITY), F.col(NEIGHBOUR)),
            n_neighbours,
        ).alias("top")
    )
    return best.select(ITEM, F.explode("top").alias("n")).select(
        ITEM, F.col(f"n.{NEIGHBOUR}").alias(NEIGHBOUR), F.col(f"n.{SIMILARITY}").alias(SIMILARITY)
    )


def recommend_item_knn(
    train: DataFrame,
    users: DataFrame,
    k: int,
    neighbours: DataFrame,
    max_user_items: int,
    exclude_seen: bool = True,
) -> DataFrame:
    """Top-k items per target user from ``item_neighbours``: ``user_id, product_id, rank,
    score`` (score = summed similarity to the user's ``max_user_items`` most recent items;
    ``new_items`` excludes every item of the user's history)."""
    check_k(k)
    history = seen_pairs(train, users).distinct()
    recent = pruned_history(train.join(target_users(users), USER, "left_semi"), max_user_items)
    scored = (
        recent.join(neighbours, ITEM)
        .groupBy(USER, NEIGHBOUR)
        .agg(F.round(F.sum(SIMILARITY).cast("double"), SCORE_DECIMALS).alias(SCORE))
        .withColumnRenamed(NEIGHBOUR, ITEM)
    )
    if exclude_seen:
        scored = scored.join(history, [USER, ITEM], "left_anti")
    return top_k_per_user(scored, k)
