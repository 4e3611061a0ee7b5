"""A driver-side pandas table into Spark, in slices when it is large and Spark is remote.

Over Spark Connect, ``createDataFrame(pandas)`` ships the whole table as one local relation,
which the server's driver then cuts into ``defaultParallelism`` tasks. At 1M interactions
the recommendation table of the local backend (1.5M rows) made 250 MB tasks: the server's
driver ran out of heap serializing one, its scheduler thread died and the build hung.

A large table therefore goes in slices of ``UPLOAD_ROWS`` rows, each its own small plan,
appended to a Parquet folder of its own under the warehouse
(``_cartwheel_uploads/<name>-<uuid>``: DataFrames are lazy, so a folder is never reused;
delete the folder once the dbt run is over), and comes back as one DataFrame read from
there: the memory of the server's driver is bounded by a slice, whatever the table's size,
and on a cluster the warehouse is the storage every executor already shares. A classic session (the
embedded target) already reads pandas through Arrow files, so it keeps ``createDataFrame``.
"""

from __future__ import annotations

import uuid

import pandas as pd
from pyspark.sql import DataFrame, SparkSession

UPLOAD_ROWS = 200_000  # ~35 MB of recommendation rows per slice
UPLOAD_FOLDER = "_cartwheel_uploads"


def is_connect(spark: SparkSession) -> bool:
    """True for a Spark Connect session (the dbt client of the thrift target)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def upload_path(spark: SparkSession, name: str) -> str:
    warehouse = spark.conf.get("spark.sql.warehouse.dir").rstrip("/")
    return f"{warehouse}/{UPLOAD_FOLDER}/{name}-{uuid.uuid4().hex}"


def to_spark(
    spark: SparkSession, frame: pd.DataFrame, schema: str, name: str, rows: int = UPLOAD_ROWS
) -> DataFrame:
    """``frame`` as a Spark DataFrame of ``schema`` (DDL); in slices of ``rows`` over Spark
    Connect when it has more rows than that (``name`` starts its upload folder's name)."""
    if len(frame) <= rows or not is_connect(spark):
        return spark.createDataFrame(frame, schema=schema)
    path = upload_path(spark, name)
    for start in range(0, len(frame), rows):
        piece = spark.createDataFrame(frame.iloc[start : start + rows], schema=schema)
        piece.write.mode("overwrite" if start == 0 else "append").parquet(path)
    return spark.read.schema(schema).parquet(path)
