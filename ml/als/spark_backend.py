"""Distributed ALS with Spark MLlib (``implicitPrefs=True``) and candidate-set top-k scoring.

Training: string ids are hashed to non-negative 32-bit ints (``ml.indexing``; a collision
raises ``HashCollisionError``), then ``pyspark.ml.recommendation.ALS`` with confidence
``1 + alpha * weight``.

Scoring never brute-forces users x catalogue. Candidates are:

- the ``max_candidates`` most popular training products (distinct users, then weight); and,
  when ``item_categories`` is given and ``per_category_candidates > 0``,
- for each user, the ``per_category_candidates`` most popular products of every category
  the user interacted with in training.

When the training catalogue has at most ``max_candidates`` products this is exact top-k.
Each candidate gets a dense position; each user's candidate list is one array
(``array_except`` removes the user's training items: no anti-join over the scored pairs),
exploded and joined with the broadcast candidate factors, scored with
``vector_inner_product`` (native, no UDF) and reduced with ``max_by(..., k)`` (a bounded heap
per user: no sort of the scored pairs). Cost O(users x candidates x rank).

Only the DataFrame API and ``pyspark.ml`` are used, so this runs over Spark Connect.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pyspark.ml.recommendation import ALS
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ml.als.params import AlsParams
from ml.columns import CATEGORY, ITEM, SCORE, USER, WEIGHT, check_k
from ml.indexing import check_no_collisions, hashed_id, with_hashed_ids
from ml.popularity import popularity_order, popularity_table
from ml.topk import empty_int_array, seen_pairs, target_users, top_k_per_user

DEFAULT_MAX_CANDIDATES = 20_000


@dataclass(frozen=True)
class SparkResult:
    """Recommendations plus timings and sizes from the Spark MLlib backend."""

    recs: DataFrame
    train_seconds: float
    score_seconds: float
    n_candidates: int


def fit_als(train: DataFrame, params: AlsParams, num_blocks: int | None = None):
    """Fit MLlib implicit ALS on hashed ids.

    Returns ``(model, user_map, item_map)``; the maps are ``user_id, _user`` and
    ``product_id, _item`` (distinct). Raises ``HashCollisionError`` on an id collision.
    """
    indexed = with_hashed_ids(train.select(USER, ITEM, WEIGHT), {USER: "_user", ITEM: "_item"})
    user_map = indexed.select(USER, "_user").distinct()
    item_map = indexed.select(ITEM, "_item").distinct()
    check_no_collisions(user_map, USER, "_user")
    check_no_collisions(item_map, ITEM, "_item")
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
    ratings = indexed.select("_user", "_item", F.col(WEIGHT).cast("float").alias(WEIGHT))
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
    candidates: DataFrame,
    category_lists: DataFrame | None = None,
    item_categories: DataFrame | None = None,
) -> DataFrame:
    """Top-k unseen candidates per target user by ALS score (see the module docstring).

    ``user_map`` (``user_id, _user``) restricts scoring to training users: a cold user is
    never scored with the factors of a training user whose hash it happens to share.
    """
    # candidates are training products, whose hashed ids were checked collision-free
    item_factors = (
        candidates.withColumn("_item", hashed_id(ITEM))
        .join(model.itemFactors.withColumnRenamed("id", "_item"), "_item")
        .select("cand_pos", ITEM, F.col("features").alias("item_features"))
    )
    global_positions = candidates.where("is_global").agg(F.collect_list("cand_pos").alias("cands"))
    seen = (
        seen_pairs(train, users)
        .join(F.broadcast(candidates.select(ITEM, "cand_pos")), ITEM)
        .groupBy(USER)
        .agg(F.collect_set("cand_pos").alias("seen"))
    )
    with_factors = (
        target_users(users)
        .join(user_map, USER)
        .join(model.userFactors.withColumnRenamed("id", "_user"), "_user")
        .select(USER, F.col("features").alias("user_features"))
    )
    per_user = with_factors.join(seen, USER, "left").crossJoin(F.broadcast(global_positions))
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
        F.explode(F.array_except(cands, F.coalesce("seen", empty_int_array()))).alias("cand_pos"),
    )
    scored = pairs.join(F.broadcast(item_factors), "cand_pos").select(
        USER,
        ITEM,
        F.col("cand_pos"),
        F.vector_inner_product("user_features", "item_features").cast("double").alias(SCORE),
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
        materialize: compute the recommendations now (``localCheckpoint``), so that
            ``score_seconds`` is real and downstream reads do not retrain; otherwise the
            returned DataFrame is lazy and ``score_seconds`` only covers planning.

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
    candidates = candidates.localCheckpoint(eager=True)
    n_candidates = candidates.count()
    recs = score_candidates(
        model, train, users, k, user_map, candidates, category_lists, item_categories
    )
    if materialize:
        recs = recs.localCheckpoint(eager=True)
    scored = time.perf_counter()
    return SparkResult(
        recs=recs,
        train_seconds=fitted - started,
        score_seconds=scored - fitted,
        n_candidates=n_candidates,
    )
