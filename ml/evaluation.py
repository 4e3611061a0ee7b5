"""Offline evaluation of top-K lists for every target, protocol, population and K.

Inputs:

- ``recs``: ``model, protocol, user_id, product_id, rank`` (rank 1 = best). Each model
  makes one list per protocol: under ``new_items`` it leaves out what the user had in
  training, under ``repeat_aware`` it may recommend it.
- ``holdout``: one row per holdout ``user_id, product_id`` with the flags of
  ``ml_split_holdout``: ``is_purchase``, ``is_repeat`` (the pair is in training) and
  ``is_warm_user`` (the user has training history).

The truth T_u of a user depends on the slice:

- ``target``: ``interaction`` = every holdout pair; ``purchase`` = pairs with
  ``is_purchase`` (purchase events, or verified-purchase reviews);
- ``protocol``: ``new_items`` = pairs with ``not is_repeat`` (the user's new products),
  scored against the model's ``new_items`` lists; ``repeat_aware`` = every pair, scored
  against the ``repeat_aware`` lists;
- ``population``: ``warm`` (users with training history), ``cold`` (without), ``all``.

The users of a slice are every user with a non-empty T_u in it. A user the model gave no
list counts with zeros (so a model that cannot serve cold users is penalised, never
skipped); ``n_users_without_recs`` says how many. For a user with list L_u (ranks
1..n_u) and rel_u(i) = 1 if the item at rank i is in T_u, at cut-off K:

- ``precision_at_k`` = mean_u hits_u / K, hits_u = sum_{i <= K} rel_u(i)
- ``recall_at_k`` = mean_u hits_u / |T_u|
- ``ndcg_at_k`` = mean_u DCG_u / IDCG_u, DCG_u = sum_{i <= K} rel_u(i) / log2(i + 1),
  IDCG_u = sum_{i = 1..min(|T_u|, K)} 1 / log2(i + 1)
- ``map_at_k`` = mean_u sum_{i <= K} rel_u(i) * (hits in ranks 1..i) / i / min(|T_u|, K)
- ``hit_rate_at_k`` = share of users with hits_u >= 1
- ``catalog_coverage`` = distinct products in the model's top-K lists of the protocol (all
  users it recommended for) / ``n_catalog_items``
- ``intra_list_diversity`` = mean over the slice's users with at least two categorised
  recommendations of the share of unordered pairs of their top-K list whose categories
  differ (null without ``item_categories``)

With ``population = warm`` and every user served, these equal
``pyspark.ml.evaluation.RankingEvaluator``'s ``precisionAtK``, ``recallAtK``, ``ndcgAtK``
and ``meanAveragePrecisionAtK`` (tested).

A slice without users has null metrics and a ``note`` saying why; a holdout without any
purchase says the source has no purchase signal in that window, never a silent zero.

Everything runs in Spark in one pass; only per-slice sums reach the driver.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ml.columns import CATEGORY, ITEM, MODEL, RANK, USER, check_k
from ml.metrics import ideal_dcg

PROTOCOL = "protocol"
TARGET = "target"
POPULATION = "population"
TARGETS = ("interaction", "purchase")
PROTOCOLS = ("new_items", "repeat_aware")
POPULATIONS = ("warm", "cold", "all")
QUALITY = ("precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k", "hit_rate_at_k")
EVALUATION_COLUMNS = [
    MODEL,
    TARGET,
    PROTOCOL,
    POPULATION,
    "k",
    *QUALITY,
    "catalog_coverage",
    "intra_list_diversity",
    "n_users",
    "n_users_with_recs",
    "n_users_without_recs",
    "note",
]
EVALUATION_SCHEMA = (
    "model string, target string, protocol string, population string, k int, "
    + ", ".join(f"{m} double" for m in QUALITY)
    + ", catalog_coverage double, intra_list_diversity double, n_users bigint, "
    "n_users_with_recs bigint, n_users_without_recs bigint, note string"
)
NO_PURCHASES = "no purchase in this holdout window: the source has no purchase signal here"


def truth_slices(holdout: DataFrame) -> DataFrame:
    """``target, protocol, user_id, product_id, is_warm_user``: the truth of every slice."""
    base = holdout.select(
        USER,
        ITEM,
        F.coalesce(F.col("is_purchase").cast("boolean"), F.lit(False)).alias("_purchase"),
        F.coalesce(F.col("is_repeat").cast("boolean"), F.lit(False)).alias("_repeat"),
        F.coalesce(F.col("is_warm_user").cast("boolean"), F.lit(False)).alias("is_warm_user"),
    ).where(F.col(USER).isNotNull() & F.col(ITEM).isNotNull())
    slices = []
    for target in TARGETS:
        for protocol in PROTOCOLS:
            keep = F.lit(True) if target == "interaction" else F.col("_purchase")
            if protocol == "new_items":
                keep = keep & ~F.col("_repeat")
            slices.append(
                base.where(keep).select(
                    F.lit(target).alias(TARGET),
                    F.lit(protocol).alias(PROTOCOL),
                    USER,
                    ITEM,
                    "is_warm_user",
                )
            )
    out = slices[0]
    for part in slices[1:]:
        out = out.unionByName(part)
    # one row per pair and slice (a pair may appear twice in a hand-made holdout)
    return out.groupBy(TARGET, PROTOCOL, USER, ITEM).agg(
        F.max("is_warm_user").alias("is_warm_user")
    )


def _upto(k: int) -> Column:
    return F.col(RANK) <= F.lit(k)


def _sum_where(condition: Column, value: Column) -> Column:
    return F.sum(F.when(condition, value).otherwise(F.lit(0.0)))


def _slice_sums(recs: DataFrame, truth: DataFrame, ks: Sequence[int]) -> pd.DataFrame:
    """Per model, target, protocol, is_warm_user and K: sums of the per-user metrics."""
    max_k = max(ks)
    users = truth.groupBy(TARGET, PROTOCOL, USER).agg(
        F.count(F.lit(1)).alias("n_truth"), F.max("is_warm_user").alias("is_warm_user")
    )
    top = recs.select(MODEL, PROTOCOL, USER, ITEM, F.col(RANK).cast("int").alias(RANK)).where(
        (F.col(RANK) >= 1) & (F.col(RANK) <= max_k)
    )
    hits = truth.select(TARGET, PROTOCOL, USER, ITEM, F.lit(1).alias("hit"))
    labelled = (
        top.join(users, [PROTOCOL, USER])
        .join(hits, [TARGET, PROTOCOL, USER, ITEM], "left")
        .withColumn("hit", F.coalesce("hit", F.lit(0)))
    )
    by_user = Window.partitionBy(MODEL, TARGET, PROTOCOL, USER).orderBy(RANK)
    labelled = labelled.withColumn("cum_hits", F.sum("hit").over(by_user))
    per_user_aggs = [F.first("n_truth").alias("n_truth"), F.first("is_warm_user").alias("warm")]
    for k in ks:
        per_user_aggs += [
            _sum_where(_upto(k), F.col("hit").cast("double")).alias(f"hits_{k}"),
            _sum_where(_upto(k), F.col("hit") / F.log2(F.col(RANK) + 1)).alias(f"dcg_{k}"),
            _sum_where(_upto(k), F.col("hit") * F.col("cum_hits") / F.col(RANK)).alias(f"ap_{k}"),
        ]
    per_user = labelled.groupBy(MODEL, TARGET, PROTOCOL, USER).agg(*per_user_aggs)
    idcg = F.array(*[F.lit(ideal_dcg(n)) for n in range(1, max_k + 1)])
    sums = [F.count(F.lit(1)).alias("n_users_with_recs")]
    for k in ks:
        depth = F.least(F.col("n_truth"), F.lit(k)).cast("int")
        hits_k = F.col(f"hits_{k}")
        sums += [
            F.sum(hits_k / F.lit(float(k))).alias(f"precision_at_k_{k}"),
            F.sum(hits_k / F.col("n_truth")).alias(f"recall_at_k_{k}"),
            F.sum(F.col(f"dcg_{k}") / F.element_at(idcg, depth)).alias(f"ndcg_at_k_{k}"),
            F.sum(F.col(f"ap_{k}") / depth).alias(f"map_at_k_{k}"),
            F.sum((hits_k > 0).cast("double")).alias(f"hit_rate_at_k_{k}"),
        ]
    return per_user.groupBy(MODEL, TARGET, PROTOCOL, "warm").agg(*sums).toPandas()


def _coverage(recs: DataFrame, ks: Sequence[int], n_catalog_items: int) -> pd.DataFrame:
    """``model, protocol, k, catalog_coverage``."""
    aggs = [
        F.countDistinct(F.when(_upto(k), F.col(ITEM))).alias(f"cov_{k}")
        for k in ks  # countDistinct ignores the nulls of ranks beyond k
    ]
    wide = recs.groupBy(MODEL, PROTOCOL).agg(*aggs).toPandas()
    rows = [
        {
            MODEL: r[MODEL],
            PROTOCOL: r[PROTOCOL],
            "k": k,
            "catalog_coverage": r[f"cov_{k}"] / n_catalog_items,
        }
        for _, r in wide.iterrows()
        for k in ks
    ]
    return pd.DataFrame(rows, columns=[MODEL, PROTOCOL, "k", "catalog_coverage"])


def _diversity(
    recs: DataFrame, truth: DataFrame, ks: Sequence[int], item_categories: DataFrame
) -> pd.DataFrame:
    """``model, target, protocol, warm, k, ild_sum, ild_users`` over the slices' users."""
    users = truth.groupBy(TARGET, PROTOCOL, USER).agg(F.max("is_warm_user").alias("warm"))
    categories = (
        item_categories.select(ITEM, CATEGORY).where(F.col(CATEGORY).isNotNull())
    ).dropDuplicates([ITEM])
    parts = []
    for k in ks:
        counts = (
            recs.where((F.col(RANK) >= 1) & _upto(k))
            .join(categories, ITEM)
            .groupBy(MODEL, PROTOCOL, USER, CATEGORY)
            .agg(F.count(F.lit(1)).alias("c"))
            .groupBy(MODEL, PROTOCOL, USER)
            .agg(F.sum("c").alias("n"), F.sum(F.col("c") * F.col("c")).alias("sumsq"))
            .where(F.col("n") >= 2)
            .select(
                MODEL,
                PROTOCOL,
                USER,
                ((F.col("n") ** 2 - F.col("sumsq")) / (F.col("n") * (F.col("n") - 1))).alias("ild"),
            )
        )
        parts.append(
            counts.join(users, [PROTOCOL, USER])
            .groupBy(MODEL, TARGET, PROTOCOL, "warm")
            .agg(F.sum("ild").alias("ild_sum"), F.count(F.lit(1)).alias("ild_users"))
            .withColumn("k", F.lit(k))
        )
    out = parts[0]
    for part in parts[1:]:
        out = out.unionByName(part)
    return out.toPandas()


def _by_population(
    frame: pd.DataFrame | None, keys: list[str], values: list[str]
) -> dict[tuple, dict[str, float]]:
    """Totals of ``values`` per ``keys`` and population (warm, cold and all, from the
    frame's ``warm`` flag), keyed by ``(*keys, population)``."""
    if frame is None or not len(frame):
        return {}
    split = frame.assign(population=np.where(frame["warm"].astype(bool), "warm", "cold"))
    both = pd.concat([split, split.assign(population="all")], ignore_index=True)
    totals = both.groupby([*keys, "population"])[values].sum()
    return dict(zip(totals.index, totals.to_dict("records"), strict=True))


def evaluate(
    recs: DataFrame,
    holdout: DataFrame,
    ks: Sequence[int],
    n_catalog_items: int,
    item_categories: DataFrame | None = None,
    models: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Metrics of every model for every target, protocol, population and K.

    Args:
        recs: ``model, protocol, user_id, product_id, rank``.
        holdout: ``user_id, product_id, is_purchase, is_repeat, is_warm_user``.
        ks: cut-offs (each at most the lists' length to be meaningful).
        n_catalog_items: denominator of ``catalog_coverage`` (products in training).
        item_categories: optional ``product_id, category`` for intra-list diversity.
        models: the models to report (default: those in ``recs``); a model without a
            single list still gets rows, with zeros.

    Returns:
        pandas DataFrame with ``EVALUATION_COLUMNS``, one row per model x target x
        protocol x population x k, sorted.
    """
    ks = checked_ks(ks, n_catalog_items)
    truth = truth_slices(holdout).cache()
    user_counts = (
        truth.groupBy(TARGET, PROTOCOL, USER)
        .agg(F.max("is_warm_user").alias("warm"))
        .groupBy(TARGET, PROTOCOL, "warm")
        .count()
        .toPandas()
    )
    sums = _slice_sums(recs, truth, ks)
    coverage = _coverage(recs, ks, n_catalog_items)
    diversity = (
        _diversity(recs, truth, ks, item_categories) if item_categories is not None else None
    )
    truth.unpersist()
    return assemble(user_counts, sums, coverage, diversity, ks, models)


def checked_ks(ks: Sequence[int], n_catalog_items: int) -> list[int]:
    ks = sorted({check_k(k) for k in ks})
    if not ks:
        raise ValueError("ks must name at least one cut-off")
    if n_catalog_items <= 0:
        raise ValueError(f"n_catalog_items must be positive, got {n_catalog_items}")
    return ks


def assemble(
    user_counts: pd.DataFrame,
    sums: pd.DataFrame,
    coverage: pd.DataFrame,
    diversity: pd.DataFrame | None,
    ks: Sequence[int],
    models: Sequence[str] | None,
) -> pd.DataFrame:
    """The metrics table from the per-slice aggregates both backends compute:
    ``user_counts`` (target, protocol, warm, count), ``sums`` (``_slice_sums``),
    ``coverage`` (``_coverage``) and ``diversity`` (``_diversity``, or None)."""
    has_purchase = bool(((user_counts[TARGET] == "purchase") & (user_counts["count"] > 0)).any())
    if models is None:
        models = sorted(set(coverage[MODEL]) | set(sums[MODEL]))
    counts = _by_population(user_counts, [TARGET, PROTOCOL], ["count"])
    metric_columns = ["n_users_with_recs", *(f"{m}_{k}" for m in QUALITY for k in ks)]
    totals = _by_population(sums, [MODEL, TARGET, PROTOCOL], metric_columns)
    ild = (
        _by_population(diversity, [MODEL, TARGET, PROTOCOL, "k"], ["ild_sum", "ild_users"])
        if diversity is not None
        else {}
    )
    cov = {
        (r[MODEL], r[PROTOCOL], int(r["k"])): float(r["catalog_coverage"])
        for r in coverage.to_dict("records")
    }
    rows = []
    for model in models:
        for target in TARGETS:
            for protocol in PROTOCOLS:
                for population in POPULATIONS:
                    n_users = int(counts.get((target, protocol, population), {}).get("count", 0))
                    found = totals.get((model, target, protocol, population), {})
                    with_recs = int(found.get("n_users_with_recs", 0))
                    for k in ks:
                        row = {
                            MODEL: model,
                            TARGET: target,
                            PROTOCOL: protocol,
                            POPULATION: population,
                            "k": k,
                            "n_users": n_users,
                            "n_users_with_recs": with_recs,
                            "n_users_without_recs": n_users - with_recs,
                            "note": None,
                        }
                        for metric in QUALITY:
                            total = float(found.get(f"{metric}_{k}", 0.0))
                            row[metric] = total / n_users if n_users else None
                        if n_users == 0:
                            row["note"] = (
                                NO_PURCHASES
                                if target == "purchase" and not has_purchase
                                else f"no {population} holdout users in this slice"
                            )
                        row["catalog_coverage"] = cov.get((model, protocol, k), 0.0)
                        d = ild.get((model, target, protocol, k, population), {})
                        users = int(d.get("ild_users", 0))
                        row["intra_list_diversity"] = d["ild_sum"] / users if users > 0 else None
                        rows.append(row)
    out = pd.DataFrame(rows, columns=EVALUATION_COLUMNS)
    for column in (*QUALITY, "catalog_coverage", "intra_list_diversity"):
        out[column] = out[column].astype("float64")
    for column in ("k", "n_users", "n_users_with_recs", "n_users_without_recs"):
        out[column] = out[column].astype("int64")
    out["note"] = out["note"].astype("object")
    return out.sort_values([MODEL, TARGET, PROTOCOL, POPULATION, "k"]).reset_index(drop=True)


def slice_truth(holdout: DataFrame, target: str, protocol: str) -> DataFrame:
    """The holdout rows that are truth for one target and protocol (all populations)."""
    if target not in TARGETS or protocol not in PROTOCOLS:
        raise ValueError(f"unknown slice {target!r}/{protocol!r}: {TARGETS} x {PROTOCOLS}")
    keep = F.lit(True) if target == "interaction" else F.col("is_purchase").cast("boolean")
    if protocol == "new_items":
        keep = keep & ~F.col("is_repeat").cast("boolean")
    return holdout.where(keep)
