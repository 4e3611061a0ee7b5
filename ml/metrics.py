"""Offline ranking metrics of top-K recommendations against a holdout.

Inputs: ``recs`` (``model, user_id, product_id, rank``; rows with rank > K are ignored),
``truth`` (``user_id, product_id``: the holdout pairs, deduplicated here). For one model,
let U be the *evaluated users*: holdout users (at least one truth pair) with at least one
recommendation from that model. Holdout users without recommendations are counted in
``n_users_skipped`` and excluded from every average (they are typically cold users that
ALS cannot score). For a user u with recommendation list L_u (ranks 1..n_u, n_u <= K),
truth set T_u and rel_u(i) = 1 if the item at rank i is in T_u:

- ``hits_u`` = sum_i rel_u(i)
- ``precision_at_k`` = mean_u hits_u / K (divides by K even when n_u < K)
- ``recall_at_k`` = mean_u hits_u / |T_u| (not hits / min(|T_u|, K): a user with more
  than K holdout items cannot reach recall 1)
- ``ndcg_at_k`` = mean_u DCG_u / IDCG_u, binary gain, DCG_u = sum_i rel_u(i) / log2(i + 1),
  IDCG_u = sum_{i=1..min(|T_u|, K)} 1 / log2(i + 1)
- ``map_at_k`` = mean_u AP_u, AP_u = sum_i rel_u(i) * (hits in ranks 1..i) / i, divided by
  min(|T_u|, K)
- ``hit_rate_at_k`` = share of evaluated users with hits_u >= 1
- ``catalog_coverage`` = distinct products in the model's lists (all users in ``recs``,
  ranks <= K) / ``n_catalog_items``
- ``intra_list_diversity`` = mean over evaluated users with at least two categorised
  recommendations of the share of unordered recommendation pairs whose top-level
  categories differ; recommendations without a known category are left out; null when no
  ``item_categories`` are given (or no user qualifies)
- ``n_users_evaluated`` = |U|, ``n_users_skipped`` = holdout users - |U|

Agreement with ``pyspark.ml.evaluation.RankingEvaluator`` (fed one row per evaluated user:
the predicted product list in rank order, the truth list): ``precisionAtK``, ``recallAtK``,
``ndcgAtK`` and ``meanAveragePrecisionAtK`` equal ours exactly for the same k (Spark
4.x: precision divides by k, recall by |T_u|, binary NDCG with the ideal over
min(|T_u|, k) positions, AP divided by min(|T_u|, k)). The differences are only in the
population: the evaluator averages over every row it is given (a row with an empty truth
list scores 0), while we average over evaluated users; and plain ``meanAveragePrecision``
(no k) divides by |T_u| over the whole list, which we do not report.

Everything is computed in Spark; only one row per model is collected.
"""

from __future__ import annotations

import math

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ml.columns import CATEGORY, ITEM, MODEL, RANK, USER, check_k

METRIC_COLUMNS = [
    MODEL,
    "k",
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "map_at_k",
    "hit_rate_at_k",
    "catalog_coverage",
    "intra_list_diversity",
    "n_users_evaluated",
    "n_users_skipped",
]


def ideal_dcg(n: int) -> float:
    """IDCG with binary gains over n positions: sum_{i=1..n} 1 / log2(i + 1)."""
    return sum(1.0 / math.log2(i + 1) for i in range(1, n + 1))


def top_k_recs(recs: DataFrame, k: int) -> DataFrame:
    """``model, user_id, product_id, rank`` restricted to ranks 1..k."""
    return recs.select(MODEL, USER, ITEM, F.col(RANK).cast("int").alias(RANK)).where(
        (F.col(RANK) >= 1) & (F.col(RANK) <= k)
    )


def truth_pairs(truth: DataFrame, extra: tuple[str, ...] = ()) -> DataFrame:
    """Distinct holdout pairs (plus any extra truth columns, max-aggregated per pair)."""
    pairs = truth.select(USER, ITEM, *extra).where(
        F.col(USER).isNotNull() & F.col(ITEM).isNotNull()
    )
    if not extra:
        return pairs.distinct()
    return pairs.groupBy(USER, ITEM).agg(*[F.max(c).alias(c) for c in extra])


def labelled_recs(
    recs: DataFrame, truth: DataFrame, k: int, extra: tuple[str, ...] = ()
) -> DataFrame:
    """Top-k recs of holdout users with ``hit`` (0/1) and ``n_truth`` (|T_u|).

    Columns: ``model, user_id, product_id, rank, hit, n_truth`` plus ``extra`` truth
    columns (null where not a hit). Users without truth pairs are dropped.
    """
    pairs = truth_pairs(truth, extra)
    n_truth = pairs.groupBy(USER).agg(F.count(F.lit(1)).alias("n_truth"))
    flagged = pairs.withColumn("hit", F.lit(1))
    return (
        top_k_recs(recs, k)
        .join(n_truth, USER)
        .join(flagged, [USER, ITEM], "left")
        .withColumn("hit", F.coalesce(F.col("hit"), F.lit(0)))
    )


def per_user_ranking(recs: DataFrame, truth: DataFrame, k: int) -> DataFrame:
    """One row per (model, evaluated user) with the per-user metric values.

    Columns: ``model, user_id, n_recs, hits, n_truth, precision, recall, ndcg, ap``.
    """
    check_k(k)
    by_user = Window.partitionBy(MODEL, USER).orderBy(RANK)
    labelled = labelled_recs(recs, truth, k).withColumn("cum_hits", F.sum("hit").over(by_user))
    idcg = F.array(*[F.lit(ideal_dcg(n)) for n in range(1, k + 1)])
    grouped = labelled.groupBy(MODEL, USER).agg(
        F.count(F.lit(1)).alias("n_recs"),
        F.sum("hit").alias("hits"),
        F.first("n_truth").alias("n_truth"),
        F.sum(F.col("hit") / F.log2(F.col(RANK) + 1)).alias("dcg"),
        F.sum(F.col("hit") * F.col("cum_hits") / F.col(RANK)).alias("ap_sum"),
    )
    depth = F.least(F.col("n_truth"), F.lit(k))
    return grouped.select(
        MODEL,
        USER,
        "n_recs",
        "hits",
        "n_truth",
        (F.col("hits") / F.lit(float(k))).alias("precision"),
        (F.col("hits") / F.col("n_truth")).alias("recall"),
        (F.col("dcg") / F.element_at(idcg, depth.cast("int"))).alias("ndcg"),
        (F.col("ap_sum") / depth).alias("ap"),
    )


def intra_list_diversity(
    recs: DataFrame, truth: DataFrame, k: int, item_categories: DataFrame
) -> DataFrame:
    """``model, intra_list_diversity`` over evaluated users (see the module docstring)."""
    evaluated = top_k_recs(recs, k).join(
        truth_pairs(truth).select(USER).distinct(), USER, "left_semi"
    )
    categories = item_categories.select(ITEM, CATEGORY).where(F.col(CATEGORY).isNotNull())
    counts = (
        evaluated.join(categories.dropDuplicates([ITEM]), ITEM)
        .groupBy(MODEL, USER, CATEGORY)
        .agg(F.count(F.lit(1)).alias("c"))
    )
    per_user = (
        counts.groupBy(MODEL, USER)
        .agg(F.sum("c").alias("n"), F.sum(F.col("c") * F.col("c")).alias("sumsq"))
        .where(F.col("n") >= 2)
        .select(
            MODEL,
            ((F.col("n") * F.col("n") - F.col("sumsq")) / (F.col("n") * (F.col("n") - 1))).alias(
                "ild"
            ),
        )
    )
    return per_user.groupBy(MODEL).agg(F.avg("ild").alias("intra_list_diversity"))


def ranking_metrics(
    recs: DataFrame,
    truth: DataFrame,
    k: int,
    n_catalog_items: int,
    item_categories: DataFrame | None = None,
) -> pd.DataFrame:
    """Ranking metrics per model (definitions in the module docstring).

    Args:
        recs: ``model, user_id, product_id, rank`` (more columns are ignored).
        truth: holdout ``user_id, product_id``.
        k: cut-off K.
        n_catalog_items: denominator of ``catalog_coverage`` (e.g. products in training).
        item_categories: optional ``product_id, category`` for intra-list diversity.

    Returns:
        pandas DataFrame, one row per model in ``recs`` (sorted by model), columns
        ``METRIC_COLUMNS``.
    """
    check_k(k)
    if n_catalog_items <= 0:
        raise ValueError(f"n_catalog_items must be positive, got {n_catalog_items}")
    per_user = per_user_ranking(recs, truth, k)
    quality = per_user.groupBy(MODEL).agg(
        F.avg("precision").alias("precision_at_k"),
        F.avg("recall").alias("recall_at_k"),
        F.avg("ndcg").alias("ndcg_at_k"),
        F.avg("ap").alias("map_at_k"),
        F.avg((F.col("hits") > 0).cast("double")).alias("hit_rate_at_k"),
        F.count(F.lit(1)).alias("n_users_evaluated"),
    )
    coverage = (
        top_k_recs(recs, k)
        .groupBy(MODEL)
        .agg((F.countDistinct(ITEM) / F.lit(float(n_catalog_items))).alias("catalog_coverage"))
    )
    table = coverage.join(quality, MODEL, "left")
    if item_categories is not None:
        table = table.join(intra_list_diversity(recs, truth, k, item_categories), MODEL, "left")
    else:
        table = table.withColumn("intra_list_diversity", F.lit(None).cast("double"))
    n_holdout_users = truth_pairs(truth).select(USER).distinct().count()
    out = table.toPandas()
    out["k"] = k
    out["n_users_evaluated"] = out["n_users_evaluated"].fillna(0).astype("int64")
    out["n_users_skipped"] = (n_holdout_users - out["n_users_evaluated"]).astype("int64")
    out["intra_list_diversity"] = out["intra_list_diversity"].astype("float64")
    return out[METRIC_COLUMNS].sort_values(MODEL).reset_index(drop=True)
