"""Buy again: each user's own past purchases, most frequent first, then most recent.

Frequency is the number of distinct days the user bought the product in training
(``n_purchase_days``: two lines of one order count once), then the number of purchase
events, then the last purchase time (recent first), then ``product_id`` (the larger
first). A user who never bought anything gets no list, and under ``new_items`` (which
excludes everything the user had in training) the model has nothing to offer: it runs
under ``repeat_aware`` only.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.columns import ITEM, SCORE, USER, check_k
from ml.topk import target_users, top_k_per_user

NOT_UNDER_NEW_ITEMS = (
    "buy_again recommends only the user's past purchases: nothing to offer under new_items"
)


def recommend_buy_again(train: DataFrame, users: DataFrame, k: int) -> DataFrame:
    """Top-k past purchases per target user: ``user_id, product_id, rank, score``.

    ``score`` is ``n_purchase_days``; ties are ordered as the module docstring says.
    """
    check_k(k)
    bought = (
        train.where(F.col("n_purchases") > 0)
        .join(target_users(users), USER, "left_semi")
        .select(
            USER,
            ITEM,
            F.col("n_purchase_days").cast("double").alias(SCORE),
            "n_purchases",
            F.unix_timestamp("last_purchase_at").alias("_last"),
        )
    )
    order = F.struct(F.col("n_purchases"), F.col("_last"), F.col(ITEM))
    return top_k_per_user(bought, k, tiebreak=order)
