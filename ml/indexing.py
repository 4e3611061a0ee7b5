"""Integer ids for users and products by hashing: no driver-side StringIndexer."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

ID_MASK = 0x7FFFFFFF  # ALS wants non-negative 32-bit integer ids


class HashCollisionError(RuntimeError):
    """Two distinct keys hashed to the same integer id."""


def hashed_id(column: str) -> F.Column:
    """A non-negative 32-bit integer id derived from a string key."""
    return (F.xxhash64(F.col(column).cast("string")) % F.lit(ID_MASK)).cast("int")


def with_hashed_ids(df: DataFrame, columns: dict[str, str]) -> DataFrame:
    """Add an integer id column per key column ({key column: id column})."""
    for key, out in columns.items():
        df = df.withColumn(out, hashed_id(key))
    return df


def check_no_collisions(df: DataFrame, key: str, out: str) -> None:
    """Fail loudly when two distinct keys share one hashed id."""
    counts = df.select(
        F.countDistinct(key).alias("keys"), F.countDistinct(out).alias("ids")
    ).first()
    if counts is not None and counts["keys"] != counts["ids"]:
        raise HashCollisionError(
            f"hashing {key!r} into {out!r} collided: {counts['keys']} distinct keys "
            f"but {counts['ids']} distinct ids"
        )
