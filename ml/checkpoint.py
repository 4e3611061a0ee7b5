"""Compute a Spark DataFrame once and cut its lineage, in a way that survives a lost executor.

The recommenders read each list and model table several times (evaluation, blending,
publishing), so they compute it once. A *local* checkpoint keeps the rows in the
executors' block managers: the fastest, and right in one JVM (the embedded session, a
``local[n]`` server), but on a cluster a lost executor takes its blocks with it and, the
lineage being cut, Spark cannot recompute them ("Checkpoint block ... not found").

So when the session has a checkpoint directory (``spark.checkpoint.dir``; ``cartwheel
server start --master`` sets one under the warehouse, the storage every executor shares)
the rows go there as files (a reliable checkpoint); otherwise they stay local.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

CHECKPOINT_DIR_CONF = "spark.checkpoint.dir"


def reliable(spark: SparkSession) -> bool:
    """True when the session writes checkpoints to files (``spark.checkpoint.dir`` set)."""
    return bool(spark.conf.get(CHECKPOINT_DIR_CONF, None))


def checkpoint(frame: DataFrame) -> DataFrame:
    """``frame`` computed now, read back from a checkpoint (files when the session has a
    checkpoint directory, the executors' memory and disk otherwise)."""
    if reliable(frame.sparkSession):
        return frame.checkpoint(eager=True)
    return frame.localCheckpoint(eager=True)
