"""Single-machine ALS with the ``implicit`` library (the driver-side backend).

Data path: ``train.toPandas()`` (through Arrow) -> integer codes with ``pandas.factorize``
(sorted, so the order Spark returns rows in never changes the model)
(on the driver by design: this backend is for data that fits in one machine's memory) ->
scipy CSR user x item matrix -> ``implicit`` ALS -> batched ``model.recommend`` -> pandas ->
``createDataFrame`` (Arrow again).

Confidence, consistent with Spark's implicit ALS: Spark uses confidence
``c = 1 + alpha * weight`` and preference ``p = 1 if weight > 0``. ``implicit`` reads each
stored matrix value as the confidence itself (its conjugate-gradient step weights a pair by
``value - 1`` on top of the all-items term and pulls towards preference 1 with ``value``),
so the CSR holds ``1 + alpha * weight`` and ``implicit``'s own ``alpha`` is left at 1.0.
Interactions with weight <= 0 are dropped (Spark gives them preference 0; a missing entry
in ``implicit`` means the same).

Regularisation differs: Spark scales ``reg_param`` by each user's / item's number of
interactions (ALS-WR), ``implicit`` applies ``reg_param`` as is. ``reg_scale`` (default
``"mean"``) multiplies ``reg_param`` by the mean number of interactions per user and item
to put the two on the same footing; ``"none"`` passes it through unchanged.

BLAS threads: ``implicit`` runs its own threads and asks BLAS to be single-threaded; we
enforce that with ``threadpoolctl`` around ``fit`` / ``recommend``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyspark.sql import DataFrame
from threadpoolctl import threadpool_limits

from ml.als.params import AlsParams
from ml.columns import ITEM, RANK, SCORE, USER, check_k
from ml.matrix import concat_recs, rec_frame, target_codes, training_frame, weight_matrix
from ml.upload import to_spark

REC_SCHEMA = f"{USER} string, {ITEM} string, {RANK} int, {SCORE} double"
BATCH_USERS = 10_000
REG_SCALES = ("mean", "none")


@dataclass(frozen=True)
class ImplicitResult:
    """Recommendations (Spark) plus timings and sizes from the ``implicit`` backend."""

    recs: DataFrame
    train_seconds: float
    score_seconds: float
    n_users: int
    n_items: int
    n_interactions: int
    n_target_users: int

    @property
    def n_candidates(self) -> int:
        """Items scored per user: every item (the Spark backend prunes)."""
        return self.n_items


def interaction_matrix(pdf: pd.DataFrame, alpha: float) -> tuple[sp.csr_matrix, pd.Index, pd.Index]:
    """CSR (users x items) of the confidence ``1 + alpha * weight`` plus the user and item
    id indexes (``ml.matrix.weight_matrix``: duplicate pairs summed first, as Spark sums
    duplicate ratings; weight <= 0 dropped)."""
    weights, user_ids, item_ids = weight_matrix(pdf)
    weights.data = 1.0 + alpha * weights.data
    return weights.astype(np.float32), user_ids, item_ids


def effective_regularization(
    params: AlsParams, matrix: sp.csr_matrix, reg_scale: str = "mean"
) -> float:
    """``reg_param`` for ``implicit`` (see the module docstring on ``reg_scale``)."""
    if reg_scale not in REG_SCALES:
        raise ValueError(f"reg_scale must be one of {REG_SCALES}, got {reg_scale!r}")
    if reg_scale == "none" or matrix.nnz == 0:
        return float(params.reg_param)
    per_user = matrix.nnz / max(matrix.shape[0], 1)
    per_item = matrix.nnz / max(matrix.shape[1], 1)
    return float(params.reg_param * (per_user + per_item) / 2)


def fit_model(matrix: sp.csr_matrix, params: AlsParams, regularization: float):
    """Fit ``implicit``'s CPU ALS on a confidence matrix ``1 + alpha * weight`` (users x items)."""
    from implicit.cpu.als import AlternatingLeastSquares

    with threadpool_limits(limits=1, user_api="blas"):  # implicit checks BLAS threads here
        model = AlternatingLeastSquares(
            factors=params.rank,
            iterations=params.max_iter,
            regularization=regularization,
            alpha=1.0,
            random_state=params.seed,
        )
        model.fit(matrix, show_progress=False)
    return model


def top_k_frame(
    model,
    matrix: sp.csr_matrix,
    codes: np.ndarray,
    k: int,
    user_ids: pd.Index,
    item_ids: pd.Index,
    batch_users: int = BATCH_USERS,
    exclude_seen: bool = True,
) -> pd.DataFrame:
    """Top-k items (unseen unless ``exclude_seen=False``) for the given user codes, as
    ``user_id, product_id, rank, score``."""
    n_items = matrix.shape[1]
    n = min(k, n_items)
    frames = []
    with threadpool_limits(limits=1, user_api="blas"):
        for start in range(0, len(codes), batch_users):
            batch = codes[start : start + batch_users]
            ids, scores = model.recommend(
                batch, matrix[batch], N=n, filter_already_liked_items=exclude_seen
            )
            ids = np.asarray(ids).reshape(len(batch), -1)
            scores = np.asarray(scores, dtype=np.float64).reshape(len(batch), -1)
            # topk pads with filtered items at -FLT_MAX (or id -1) when a user has fewer
            # than k unseen items: drop those.
            valid = (ids >= 0) & np.isfinite(scores) & (scores > -1e30)
            rows, cols = np.nonzero(valid)
            frames.append(
                rec_frame(
                    user_ids.to_numpy()[batch[rows]],
                    item_ids.to_numpy()[ids[rows, cols]],
                    (cols + 1).astype(np.int32),
                    scores[rows, cols],
                )
            )
    out = concat_recs(frames)
    # ranks must be dense 1..n per user even if a padded slot was dropped in the middle
    out[RANK] = (out.groupby(USER, sort=False).cumcount() + 1).astype(np.int32)
    return out


def recommend_implicit(
    train: DataFrame,
    users: DataFrame,
    k: int,
    params: AlsParams,
    reg_scale: str = "mean",
    exclude_seen: bool = True,
) -> ImplicitResult:
    """Train ``implicit`` ALS on the driver and return top-k unseen items per target user.

    Target users without training interactions get no recommendations (no factors).
    Returns an ``ImplicitResult`` whose ``recs`` has ``user_id, product_id, rank, score``.
    """
    check_k(k)
    spark = train.sparkSession
    started = time.perf_counter()
    pdf = training_frame(train)
    matrix, user_ids, item_ids = interaction_matrix(pdf, params.alpha)
    n_interactions = len(pdf)
    del pdf
    model = fit_model(matrix, params, effective_regularization(params, matrix, reg_scale))
    fitted = time.perf_counter()

    codes = target_codes(users, user_ids)
    frame = top_k_frame(model, matrix, codes, k, user_ids, item_ids, exclude_seen=exclude_seen)
    recs = to_spark(spark, frame, REC_SCHEMA, "als-implicit")
    scored = time.perf_counter()
    return ImplicitResult(
        recs=recs,
        train_seconds=fitted - started,
        score_seconds=scored - fitted,
        n_users=matrix.shape[0],
        n_items=matrix.shape[1],
        n_interactions=n_interactions,
        n_target_users=len(codes),
    )
