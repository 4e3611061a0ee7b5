"""Single-machine ALS with the ``implicit`` library (the driver-side backend).

Data path: ``train.toPandas()`` (through Arrow) -> integer codes with ``pandas.factorize``
(sorted, so the order Spark returns rows in never changes the model)
(on the driver by design: this backend is for data that fits in one machine's memory) ->
scipy CSR user x item matrix -> ``implicit`` ALS -> batched ``model.recommend`` -> pandas ->
``createDataFrame`` (Arrow again).

Confidence, consistent with Spark's implicit ALS: Spark uses confidence
``c = 1 + alpha * weight`` and preference ``p = 1 if weight > 0``. ``implicit.fit`` takes
the matrix ``C - 1`` (its loss uses ``1 + value`` as confidence), so the CSR holds
``alpha * weight`` and ``implicit``'s own ``alpha`` is left at 1.0. Interactions with
weight <= 0 are dropped (Spark gives them preference 0; a zero entry in ``implicit`` means
the same).

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
from pyspark.sql import functions as F
from threadpoolctl import threadpool_limits

from ml.als.params import AlsParams
from ml.columns import ITEM, RANK, SCORE, USER, WEIGHT, check_k

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
    """CSR (users x items) of ``alpha * weight`` plus the user and item id indexes.

    Duplicate (user, item) rows are summed; rows with weight <= 0 or null are dropped.
    """
    pdf = pdf[pdf[WEIGHT].notna() & (pdf[WEIGHT] > 0)]
    # sorted codes: the same data gives the same model whatever order Spark returns rows in
    user_codes, user_ids = pd.factorize(pdf[USER], sort=True)
    item_codes, item_ids = pd.factorize(pdf[ITEM], sort=True)
    values = alpha * pdf[WEIGHT].to_numpy(dtype=np.float64)
    matrix = sp.csr_matrix(
        (values.astype(np.float32), (user_codes, item_codes)),
        shape=(len(user_ids), len(item_ids)),
    )
    matrix.sum_duplicates()
    return matrix, pd.Index(user_ids), pd.Index(item_ids)


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
    """Fit ``implicit``'s CPU ALS on a ``C - 1`` confidence matrix (users x items)."""
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
                pd.DataFrame(
                    {
                        USER: user_ids.to_numpy()[batch[rows]],
                        ITEM: item_ids.to_numpy()[ids[rows, cols]],
                        RANK: (cols + 1).astype(np.int32),
                        SCORE: scores[rows, cols],
                    }
                )
            )
    if not frames:
        return pd.DataFrame({USER: [], ITEM: [], RANK: [], SCORE: []}).astype(
            {USER: object, ITEM: object, RANK: np.int32, SCORE: np.float64}
        )
    out = pd.concat(frames, ignore_index=True)
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
    pdf = train.select(
        F.col(USER).cast("string"), F.col(ITEM).cast("string"), F.col(WEIGHT).cast("double")
    ).toPandas()
    matrix, user_ids, item_ids = interaction_matrix(pdf, params.alpha)
    n_interactions = len(pdf)
    del pdf
    model = fit_model(matrix, params, effective_regularization(params, matrix, reg_scale))
    fitted = time.perf_counter()

    wanted = users.select(F.col(USER).cast("string")).distinct().toPandas()[USER]
    codes = user_ids.get_indexer(wanted.dropna())
    codes = np.sort(codes[codes >= 0])
    frame = top_k_frame(model, matrix, codes, k, user_ids, item_ids, exclude_seen=exclude_seen)
    recs = spark.createDataFrame(frame, schema=REC_SCHEMA)
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
