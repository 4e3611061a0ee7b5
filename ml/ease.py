"""EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): a
closed-form item-item model, on the driver.

With X the binary user x item training matrix and G = X^T X + l2 * I, P = G^-1:

    B = I - P * diag(1 / diag(P)),   i.e.  B[i, j] = -P[i, j] / P[j, j],  B[j, j] = 0

and a user's scores are ``x_u @ B``. G is dense (items x items, float64): 20,000 items
take 3.2 GB and an O(items^3) inverse (by Cholesky, in place), so the model runs only
when the training catalogue has at most ``max_items`` products (var ``ease_max_items``);
above that it is skipped and the reason is reported (``too_many_items``), never silently.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyspark.sql import DataFrame
from scipy.linalg import lapack
from threadpoolctl import threadpool_limits

from ml.columns import ITEM, RANK, SCORE, USER, check_k
from ml.matrix import (
    concat_recs,
    rec_frame,
    target_codes,
    top_n_per_row,
    training_frame,
    weight_matrix,
)
from ml.upload import to_spark

REC_SCHEMA = f"{USER} string, {ITEM} string, {RANK} int, {SCORE} double"
BATCH_USERS = 2_000
SYMMETRIZE_BLOCK = 1_024


@dataclass(frozen=True)
class EaseModel:
    """A fitted EASE model (or the reason it was skipped) on its training matrix."""

    matrix: sp.csr_matrix | None
    weights: np.ndarray | None
    user_ids: pd.Index | None
    item_ids: pd.Index | None
    spark: object
    train_seconds: float = 0.0
    skipped: str | None = None

    def recommend(self, users: DataFrame, k: int, exclude_seen: bool = True) -> DataFrame:
        """k items per warm target user: ``user_id, product_id, rank, score``."""
        check_k(k)
        if self.skipped is not None:
            raise ValueError(self.skipped)
        frame = top_k_scores(
            self.matrix,
            self.weights,
            target_codes(users, self.user_ids),
            k,
            self.user_ids,
            self.item_ids,
            exclude_seen,
        )
        return to_spark(self.spark, frame, REC_SCHEMA, "ease")


def too_many_items(n_items: int, max_items: int) -> str | None:
    """The reason EASE is skipped for a catalogue of ``n_items``, or None when it fits."""
    if n_items <= max_items:
        return None
    return (
        f"ease skipped: the training catalogue has {n_items:,} products, more than "
        f"ease_max_items = {max_items:,} (a dense items x items inverse)"
    )


def fit_ease(matrix: sp.spmatrix, l2: float, block: int = SYMMETRIZE_BLOCK) -> np.ndarray:
    """The item-item weights B of EASE for a (binary) user x item matrix.

    G is symmetric positive definite, so P = G^-1 comes from its Cholesky factor (LAPACK
    potrf + potri: n^3 flops against LU's 8/3 n^3) in G's own memory: one items x items
    array in all, where the plain inverse held three (G, P and B)."""
    if not l2 > 0:
        raise ValueError(f"ease l2 must be positive, got {l2!r}")
    gram = np.asarray((matrix.T @ matrix).todense(), dtype=np.float64)
    gram[np.diag_indices_from(gram)] += l2
    # G is symmetric: its transpose is the same matrix, laid out as LAPACK reads it (no copy).
    # One BLAS thread: scipy's OpenBLAS (0.3.30) crashes the process (SIGSEGV) in a threaded
    # potrf of 16,000 items or more on 2 cores, a 3M-event shop's catalogue (19,622); potri
    # runs threaded (tested at 16,000)
    with threadpool_limits(1, user_api="blas"):
        factor, info = lapack.dpotrf(gram.T, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"ease: the Gram matrix is not positive definite ({info})")
    inverse, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"ease: the Cholesky factor is singular ({info})")
    mirror_upper(inverse, block)
    diagonal = np.diag(inverse).copy()
    inverse /= -diagonal[np.newaxis, :]
    inverse[np.diag_indices_from(inverse)] = 0.0
    return inverse


def mirror_upper(square: np.ndarray, block: int) -> None:
    """Copy the upper triangle of `square` onto its lower one, in place, a block of rows at a
    time (potri fills only one triangle; a whole transpose would be a second matrix)."""
    for start in range(block, square.shape[0], block):
        stop = min(start + block, square.shape[0])
        square[start:stop, :start] = square[:start, start:stop].T
        rows = square[start:stop, start:stop]
        rows[np.tril_indices(stop - start, -1)] = rows.T[np.tril_indices(stop - start, -1)]
    first = square[:block, :block]
    first[np.tril_indices(first.shape[0], -1)] = first.T[np.tril_indices(first.shape[0], -1)]


def top_k_scores(
    matrix: sp.csr_matrix,
    weights: np.ndarray,
    codes: np.ndarray,
    k: int,
    user_ids: pd.Index,
    item_ids: pd.Index,
    exclude_seen: bool,
) -> pd.DataFrame:
    """``user_id, product_id, rank, score``: each user's k best items by ``x_u @ B`` (ties:
    the smaller item code, i.e. the smaller ``product_id``)."""
    n = min(k, weights.shape[0])
    frames = []
    for start in range(0, len(codes), BATCH_USERS):
        batch = codes[start : start + BATCH_USERS]
        rows = matrix[batch]
        scores = np.asarray(rows @ weights)
        if exclude_seen:
            scores[rows.nonzero()] = -np.inf
        order = top_n_per_row(scores, n)
        best = np.take_along_axis(scores, order, axis=1)
        keep = np.isfinite(best)
        r, c = np.nonzero(keep)
        frames.append(
            rec_frame(
                user_ids.to_numpy()[batch[r]],
                item_ids.to_numpy()[order[r, c]],
                (c + 1).astype(np.int32),
                best[r, c].astype(np.float64),
            )
        )
    return concat_recs(frames)


def fit_ease_model(train: DataFrame, l2: float, max_items: int) -> EaseModel:
    """Fit EASE on the binary training matrix, or say why not (``too_many_items``)."""
    started = time.perf_counter()
    n_items = train.select(ITEM).distinct().count()
    reason = too_many_items(n_items, max_items)
    if reason is not None:
        return EaseModel(None, None, None, None, train.sparkSession, skipped=reason)
    matrix, user_ids, item_ids = weight_matrix(training_frame(train))
    matrix.data[:] = 1.0
    weights = fit_ease(matrix, l2)
    return EaseModel(
        matrix, weights, user_ids, item_ids, train.sparkSession, time.perf_counter() - started
    )
