"""Implicit-feedback ALS behind one interface, with two backends.

- ``implicit`` (``ml.als.implicit_backend``): single machine, on the process running the
  dbt Python model (the Spark driver for ``local``, the dbt client for Spark Connect).
- ``spark`` (``ml.als.spark_backend``): Spark MLlib ALS, distributed, candidate-set top-k.
- ``auto`` (``ml.als.choose``): ``implicit`` when its estimated memory is below 25 % of the
  budget, else ``spark``.

``train_and_recommend`` returns the recommendations (``user_id, product_id, rank, score``)
and a ``TrainingReport``.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.als.choose import BACKENDS, choose_backend, estimate_implicit_bytes
from ml.als.implicit_backend import recommend_implicit
from ml.als.params import AlsParams, TrainingReport
from ml.als.spark_backend import DEFAULT_MAX_CANDIDATES, recommend_spark
from ml.columns import ITEM, USER, check_k

__all__ = [
    "BACKENDS",
    "AlsParams",
    "TrainingReport",
    "choose_backend",
    "train_and_recommend",
    "training_size",
]


def training_size(train: DataFrame) -> tuple[int, int, int]:
    """``(n_interactions, n_users, n_items)`` of the training data, in one Spark job."""
    row = train.agg(
        F.count(F.lit(1)).alias("n"),
        F.countDistinct(USER).alias("users"),
        F.countDistinct(ITEM).alias("items"),
    ).first()
    return int(row["n"]), int(row["users"]), int(row["items"])


def train_and_recommend(
    train: DataFrame,
    users: DataFrame,
    k: int,
    params: AlsParams | None = None,
    backend: str = "auto",
    memory_budget_bytes: int | None = None,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
    item_categories: DataFrame | None = None,
    per_category_candidates: int = 0,
    implicit_reg_scale: str = "mean",
    num_blocks: int | None = None,
    exclude_seen: bool = True,
) -> tuple[DataFrame, TrainingReport]:
    """Train ALS on ``train`` and recommend k unseen products to each target user.

    Args:
        train: ``user_id`` string, ``product_id`` string, ``weight`` double (summed
            implicit weight per pair; other columns such as ``last_event_at`` ignored).
        users: target users (``user_id``); users without training rows get no recs.
        k: list length.
        params: ALS hyper-parameters (default ``AlsParams()``).
        backend: ``"spark"``, ``"implicit"`` or ``"auto"``.
        memory_budget_bytes: driver memory ``implicit`` may use (``auto`` only; default:
            memory available now).
        max_candidates, item_categories, per_category_candidates: Spark candidate set.
        implicit_reg_scale: ``"mean"`` or ``"none"`` (see ``ml.als.implicit_backend``).
        num_blocks: Spark ALS user/item blocks (default MLlib's 10; small data: fewer).
        exclude_seen: leave out the user's training products (``new_items``); ``False``
            lets them be recommended (``repeat_aware``).

    Returns:
        ``(recs, report)``: recs ``user_id, product_id, rank`` (int 1..k), ``score``
        (double); report a ``TrainingReport``.
    """
    check_k(k)
    params = params or AlsParams()
    n_interactions, n_users, n_items = training_size(train)
    estimate = estimate_implicit_bytes(n_interactions, n_users, n_items, params.rank, k)
    chosen = choose_backend(
        backend, n_interactions, n_users, n_items, memory_budget_bytes, rank=params.rank, k=k
    )
    if chosen == "implicit":
        result = recommend_implicit(
            train, users, k, params, reg_scale=implicit_reg_scale, exclude_seen=exclude_seen
        )
    else:
        result = recommend_spark(
            train,
            users,
            k,
            params,
            max_candidates=max_candidates,
            item_categories=item_categories,
            per_category_candidates=per_category_candidates,
            num_blocks=num_blocks,
            exclude_seen=exclude_seen,
        )
    report = TrainingReport(
        backend=chosen,
        n_users=n_users,
        n_items=n_items,
        n_interactions=n_interactions,
        train_seconds=result.train_seconds,
        score_seconds=result.score_seconds,
        n_target_users=result.n_target_users,
        n_candidates=result.n_candidates,
        estimated_implicit_bytes=estimate,
    )
    return result.recs, report
