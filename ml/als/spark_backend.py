"""Distributed ALS with Spark MLlib (``implicitPrefs=True``) and candidate-set top-k scoring.

Training: string ids get dense, collision-free integer ids (``ml.indexing.dense_ids``;
31-bit hashing collides by the birthday bound from ~10^4-10^5 keys: 17,590 users already
collided in the 1M-event benchmark), then ``pyspark.ml.recommendation.ALS`` with confidence
``1 + alpha * weight``.

Scoring never brute-forces users x catalogue. Candidates are:

- the ``max_candidates`` most popular training products (distinct users, then weight); and,
  when ``item_categories`` is given and ``per_category_candidates > 0``,
- for each user, the ``per_category_candidates`` most popular products of every category
  the user interacted with in training.

When the training catalogue has at most ``max_candidates`` products this is exact top-k.
Each candidate gets a dense position; each user's candidate list is one array
(``array_except`` removes the user's training items: no anti-join over the scored pairs),
exploded and joined with the broadcast candidate factors and scored with
``vector_inner_product`` (native, no UDF). Top-k per user needs a sort-based aggregate
(``max_by(..., k)`` is a SortAggregate; a window sorts too), far too slow on users x
candidates rows (~60 s for 83M pairs on 2 cores), so only pairs that can be in the top k
reach it: per user a lower bound of the k-th best score is computed first, inside the
user's row, from the ``threshold_sample`` most popular unseen candidates (``transform``
+ ``sort_array``; the k-th best of any subset is <= the true k-th best), and only pairs
scoring at least that bound are kept (typically ~ candidates x k / threshold_sample per
user). The result is exact. Cost O(users x candidates x rank) native arithmetic plus
O(users x threshold_sample) in the lambda.

Only the DataFrame API and ``pyspark.ml`` are used, so this runs over Spark Connect.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pyspark.ml.recommendation import ALS
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ml.als.params import AlsParams
from ml.checkpoint import checkpoint
from ml.columns import CATEGORY, ITEM, SCORE, USER, WEIGHT, check_k
from ml.indexing import dense_ids
from ml.popularity import popularity_order, popularity_table
from ml.topk import empty_int_array, seen_pairs, seen_positions, target_users, top_k_per_user

DEFAULT_MAX_CANDIDATES = 20_000
DEFAULT_THRESHOLD_SAMPLE = 1024


@dataclass(frozen=True)
class SparkResult:
    """Recommendations plus timings and sizes from the Spark MLlib backend."""

    recs: DataFrame
    train_seconds: float
    score_seconds: float
    n_candidates: int
    n_target_users: int | None = None  # users with recommendations (when materialised)


def fit_als(train: DataFrame, params: AlsParams, num_blocks: int | None = None):
    """Fit MLlib implicit ALS on dense integer ids.

    Returns ``(model, user_map, item_map)``; the maps are ``user_id, _user`` and
    ``product_id, _item`` (checkpointed: they are read again when scoring).
    """
    user_map = checkpoint(dense_ids(train, USER, "_user"))
    item_map = checkpoint(dense_ids(train, ITEM, "_item"))
    blocks = (
        {} if num_blocks is None else {"numUserBlocks": num_blocks, "numItemBlocks": num_blocks}
    )
    als = ALS(
        rank=params.rank,
        maxIter=params.max_iter,
        regParam=params.reg_param,
        alpha=params.alpha,
        implicitPrefs=True,
        seed=params.seed,
        userCol="_user",
        itemCol="_item",
        ratingCol=WEIGHT,
        coldStartStrategy="drop",
        **blocks,
    )
    ratings = (
        train.select(USER, ITEM, WEIGHT)
        .join(user_map, USER)
        .join(item_map, ITEM)
        .select("_user", "_item", F.col(WEIGHT).cast("float").alias(WEIGHT))
    )
    return als.fit(ratings), user_map, item_map


def candidate_items(
    train: DataFrame,
    max_candidates: int,
    item_categories: DataFrame | None = None,
    per_category_candidates: int = 0,
) -> tuple[DataFrame, DataFrame | None]:
    """Candidate products with a dense ``cand_pos`` (1 = most popular).

    Returns ``(candidates, category_lists)``: ``candidates`` has ``product_id, cand_pos,
    is_global`` (in the global top list); ``category_lists`` (or None) has
    ``category, cand_positions`` (array<int>) for the per-category top lists.
    """
    popularity = popularity_table(train)
    global_top = (
        popularity.orderBy(*popularity_order())
        .limit(max_candidates)
        .select(ITEM, "n_users", "total_weight", F.lit(True).alias("is_global"))
    )
    use_categories = item_categories is not None and per_category_candidates > 0
    if not use_categories:
        pool = global_top
    else:
        by_category = Window.partitionBy(CATEGORY).orderBy(*popularity_order())
        category_top = (
            popularity.join(
                item_categories.select(ITEM, CATEGORY).where(F.col(CATEGORY).isNotNull()),
                ITEM,
            )
            .withColumn("_pos", F.row_number().over(by_category))
            .where(F.col("_pos") <= per_category_candidates)
            .select(ITEM, "n_users", "total_weight", CATEGORY)
        )
        pool = (
            global_top.select(ITEM, "n_users", "total_weight", "is_global")
            .unionByName(
                category_top.select(
                    ITEM, "n_users", "total_weight", F.lit(False).alias("is_global")
                )
            )
            .groupBy(ITEM, "n_users", "total_weight")
            .agg(F.max("is_global").alias("is_global"))
        )
    numbered = pool.withColumn(
        "cand_pos",
        F.row_number().over(Window.partitionBy(F.lit(0)).orderBy(*popularity_order())).cast("int"),
    ).select(ITEM, "cand_pos", "is_global")
    if not use_categories:
        return numbered, None
    lists = (
        category_top.select(ITEM, CATEGORY)
        .join(numbered.select(ITEM, "cand_pos"), ITEM)
        .groupBy(CATEGORY)
        .agg(F.collect_list("cand_pos").alias("cand_positions"))
    )
    return numbered, lists


def score_candidates(
    model,
    train: DataFrame,
    users: DataFrame,
    k: int,
    user_map: DataFrame,
    item_map: DataFrame,
    candidates: DataFrame,
    category_lists: DataFrame | None = None,
    item_categories: DataFrame | None = None,
    threshold_sample: int = DEFAULT_THRESHOLD_SAMPLE,
    exclude_seen: bool = True,
) -> DataFrame:
    """Top-k unseen candidates per target user by ALS score (see the module docstring).

    ``user_map`` / ``item_map`` are the id maps of ``fit_als``; target users absent from
    training have no id and get no recommendations. ``candidates`` is the (materialised)
    output of ``candidate_items``.
    """
    item_factors = (
        candidates.join(item_map, ITEM)
        .join(model.itemFactors.withColumnRenamed("id", "_item"), "_item")
        .select("cand_pos", ITEM, F.col("features").alias("item_features"))
    )
    n_global = candidates.where("is_global").count()
    sample = min(threshold_sample, n_global)
    # one row: the global positions, and the factors of positions 1..sample in order
    head = (
        item_factors.where(F.col("cand_pos") <= sample)
        .agg(F.sort_array(F.collect_list(F.struct("cand_pos", "item_features"))).alias("h"))
        .select(F.transform("h", lambda x: x["item_features"]).alias("head_factors"))
    )
    global_positions = candidates.where("is_global").agg(F.collect_list("cand_pos").alias("cands"))
    seen = seen_positions(train, users, candidates, "cand_pos", exclude_seen)
    with_factors = (
        target_users(users)
        .join(user_map, USER)
        .join(model.userFactors.withColumnRenamed("id", "_user"), "_user")
        .select(USER, F.col("features").alias("user_features"))
    )
    per_user = with_factors.join(seen, USER, "left").withColumn(
        "seen", F.coalesce("seen", empty_int_array())
    )
    # Lower bound of each user's k-th best score: the k-th best over the unseen head
    # positions 1..sample (any subset of the candidates gives a bound <= the true k-th).
    head_scores = F.transform(
        F.array_except(F.sequence(F.lit(1), F.lit(sample)), F.col("seen")),
        lambda pos: F.vector_inner_product(
            F.element_at(F.col("head_factors"), pos), F.col("user_features")
        ),
    )
    per_user = per_user.crossJoin(F.broadcast(head)).select(
        USER,
        "user_features",
        "seen",
        F.try_element_at(F.sort_array(head_scores, asc=False), F.lit(k)).alias("floor"),
    )
    per_user = per_user.crossJoin(F.broadcast(global_positions))
    cands = F.col("cands")
    if category_lists is not None and item_categories is not None:
        user_categories = (
            seen_pairs(train, users)
            .join(item_categories.select(ITEM, CATEGORY), ITEM)
            .select(USER, CATEGORY)
            .distinct()
            .join(F.broadcast(category_lists), CATEGORY)
            .groupBy(USER)
            .agg(F.flatten(F.collect_list("cand_positions")).alias("extra"))
        )
        per_user = per_user.join(user_categories, USER, "left")
        cands = F.array_union(cands, F.coalesce("extra", empty_int_array()))
    pairs = per_user.select(
        USER,
        "user_features",
        "floor",
        F.explode(F.array_except(cands, F.col("seen"))).alias("cand_pos"),
    )
    score = F.vector_inner_product("user_features", "item_features")
    scored = (
        pairs.join(F.broadcast(item_factors), "cand_pos")
        .where(F.col("floor").isNull() | (score >= F.col("floor")))
        .select(USER, ITEM, F.col("cand_pos"), score.cast("double").alias(SCORE))
    )
    # ties: the more popular candidate (smaller cand_pos) wins
    return top_k_per_user(scored, k, tiebreak=-F.col("cand_pos"))


def recommend_spark(
    train: DataFrame,
    users: DataFrame,
    k: int,
    params: AlsParams,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
    item_categories: DataFrame | None = None,
    per_category_candidates: int = 0,
    num_blocks: int | None = None,
    materialize: bool = True,
    threshold_sample: int = DEFAULT_THRESHOLD_SAMPLE,
    exclude_seen: bool = True,
) -> SparkResult:
    """Train MLlib ALS and return top-k unseen candidates per target user.

    Args:
        train: ``user_id, product_id, weight`` (other columns ignored).
        users: target users (``user_id``); users absent from training get no rows.
        k: list length.
        params: ALS hyper-parameters.
        max_candidates: size of the global popularity candidate list.
        item_categories: optional ``product_id, category`` for per-category candidates.
        per_category_candidates: per-category list size (0 = off).
        num_blocks: ALS user/item blocks (default: MLlib's 10).
        threshold_sample: head candidates used for the per-user score bound (speed only;
            the result is exact for any value >= 1).
        materialize: compute the recommendations now (``ml.checkpoint``), so that
            ``score_seconds`` is real and downstream reads do not retrain; otherwise the
            returned DataFrame is lazy and ``score_seconds`` only covers planning.
        exclude_seen: leave out the user's training products (``new_items``); ``False``
            scores them too (``repeat_aware``).

    Returns:
        ``SparkResult`` with ``recs``: ``user_id, product_id, rank`` (int 1..k), ``score``
        (double, the ALS dot product).
    """
    check_k(k)
    if max_candidates < 1:
        raise ValueError(f"max_candidates must be >= 1, got {max_candidates}")
    started = time.perf_counter()
    model, user_map, item_map = fit_als(train, params, num_blocks)
    fitted = time.perf_counter()
    candidates, category_lists = candidate_items(
        train, max_candidates, item_categories, per_category_candidates
    )
    candidates = checkpoint(candidates)
    n_candidates = candidates.count()
    recs = score_candidates(
        model,
        train,
        users,
        k,
        user_map,
        item_map,
        candidates,
        category_lists,
        item_categories,
        threshold_sample,
        exclude_seen,
    )
    n_target_users = None
    if materialize:
        recs = checkpoint(recs)
        n_target_users = recs.select(USER).distinct().count()
    scored = time.perf_counter()
    return SparkResult(
        recs=recs,
        train_seconds=fitted - started,
        score_seconds=scored - fitted,
        n_candidates=n_candidates,
        n_target_users=n_target_users,
    )
