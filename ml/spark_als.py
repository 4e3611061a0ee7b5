"""Implicit-feedback ALS on Spark MLlib, simplest form (used by the fixture Python model).

``recommend`` scores every user against every item with ``recommendForAllUsers`` and does
not remove training items: fine for the tiny fixture, not for a real catalogue. The
recommender models use ``ml.als.train_and_recommend`` instead.
"""

from __future__ import annotations

from pyspark.ml.recommendation import ALS
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.als.params import AlsParams
from ml.indexing import check_no_collisions, with_hashed_ids

__all__ = ["AlsParams", "recommend"]


def recommend(
    interactions: DataFrame,
    k: int,
    params: AlsParams,
    user_col: str = "user_id",
    item_col: str = "product_id",
    weight_col: str = "score",
) -> DataFrame:
    """Top-k recommendations per user: (user_id, product_id, rank, score)."""
    indexed = with_hashed_ids(interactions, {user_col: "_user", item_col: "_item"})
    check_no_collisions(indexed, user_col, "_user")
    check_no_collisions(indexed, item_col, "_item")
    als = ALS(
        rank=params.rank,
        maxIter=params.max_iter,
        regParam=params.reg_param,
        alpha=params.alpha,
        implicitPrefs=True,
        seed=params.seed,
        userCol="_user",
        itemCol="_item",
        ratingCol=weight_col,
        coldStartStrategy="drop",
    )
    model = als.fit(indexed.select("_user", "_item", F.col(weight_col).cast("float")))
    recs = model.recommendForAllUsers(k).select(
        "_user", F.posexplode("recommendations").alias("pos", "rec")
    )
    users = indexed.select(user_col, "_user").distinct()
    items = indexed.select(item_col, "_item").distinct()
    return (
        recs.select(
            "_user",
            (F.col("pos") + 1).alias("rank"),
            F.col("rec._item").alias("_item"),
            F.col("rec.rating").cast("double").alias("score"),
        )
        .join(users, "_user")
        .join(items, "_item")
        .select(
            F.col(user_col).alias("user_id"),
            F.col(item_col).alias("product_id"),
            "rank",
            "score",
        )
    )
