"""Per-user building blocks shared by the rankers: target users, seen items, top-k.

Everything here is DataFrame API only (no RDDs, no Python UDFs), so it runs unchanged on a
classic SparkSession and over Spark Connect.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ml.columns import ITEM, RANK, SCORE, USER, check_k


def target_users(users: DataFrame) -> DataFrame:
    """Distinct ``user_id`` values of the users to recommend for (non-null)."""
    return users.select(USER).where(F.col(USER).isNotNull()).distinct()


def seen_pairs(train: DataFrame, users: DataFrame) -> DataFrame:
    """``(user_id, product_id)`` training rows of the target users.

    Not deduplicated (the training contract has one row per pair, and consumers collect
    them with ``collect_set``): one shuffle less.
    """
    return train.select(USER, ITEM).join(target_users(users), USER, "left_semi")


def max_seen(train: DataFrame, users: DataFrame) -> int:
    """The largest number of training rows of any target user (0 if none).

    With one row per (user, product), as the training contract says, this is the largest
    number of distinct items a target user has seen; with duplicates it is an upper bound,
    which is all the candidate sizing needs.
    """
    row = seen_pairs(train, users).groupBy(USER).count().agg(F.max("count")).first()
    return int(row[0]) if row is not None and row[0] is not None else 0


def seen_positions(
    train: DataFrame, users: DataFrame, positions: DataFrame, position: str, exclude_seen: bool
) -> DataFrame:
    """``user_id, seen``: per target user, the array of candidate positions they had in
    training (``positions`` maps ``product_id`` to the int column ``position``).

    The one "candidates minus what the user saw" step of every ranker: the caller removes
    ``seen`` from its candidate array with ``array_except``. ``exclude_seen=False`` (the
    ``repeat_aware`` protocol) gives no rows, so nothing is removed.
    """
    return (
        seen_pairs(train, users if exclude_seen else users.limit(0))
        .join(F.broadcast(positions.select(ITEM, position)), ITEM)
        .groupBy(USER)
        .agg(F.collect_set(position).alias("seen"))
    )


def union_all(frames: list[DataFrame]) -> DataFrame:
    """``unionByName`` of the frames as a balanced tree: the plan grows log2(n) deep, not n
    (Spark Connect sends plans as nested protobuf messages, which have a depth limit)."""
    if not frames:
        raise ValueError("union_all needs at least one frame")
    while len(frames) > 1:
        frames = [
            frames[i].unionByName(frames[i + 1]) if i + 1 < len(frames) else frames[i]
            for i in range(0, len(frames), 2)
        ]
    return frames[0]


def empty_int_array() -> Column:
    """A typed empty ``array<int>`` (for users without seen items)."""
    return F.array().cast("array<int>")


def top_k_per_user(
    scored: DataFrame,
    k: int,
    tiebreak: Column | str | None = None,
    keys: tuple[str, ...] = (),
) -> DataFrame:
    """Keep each user's k best-scored rows: ``user_id, product_id, rank, score``.

    ``scored`` has ``user_id``, ``product_id`` and ``score`` (double). Uses the aggregate
    ``max_by(value, ordering, k)``; Spark plans it as a SortAggregate (it sorts its input
    by user), so feed it a modest number of rows per user (see ``ml.als.spark_backend``
    for the pre-filter that makes this cheap). Ties on score are broken by the larger
    ``tiebreak`` value (default: ``product_id``), so results are deterministic. ``keys``
    are further grouping columns kept in the output (one top k per key and user).
    """
    check_k(k)
    order = F.col(tiebreak) if isinstance(tiebreak, str) else tiebreak
    if order is None:
        order = F.col(ITEM)
    best = scored.groupBy(*keys, USER).agg(
        F.max_by(
            F.struct(F.col(ITEM).alias("item"), F.col(SCORE).alias("score")),
            F.struct(F.col(SCORE), order),
            k,
        ).alias("top")
    )
    return best.select(*keys, USER, F.posexplode("top").alias("pos", "rec")).select(
        *keys,
        USER,
        F.col("rec.item").alias(ITEM),
        (F.col("pos") + 1).cast("int").alias(RANK),
        F.col("rec.score").cast("double").alias(SCORE),
    )
