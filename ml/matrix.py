"""The training pairs as a scipy user x item matrix (the single-machine models' input)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.columns import ITEM, RANK, SCORE, USER, WEIGHT


def training_frame(train: DataFrame) -> pd.DataFrame:
    """``user_id, product_id`` (strings) and ``weight`` (double) on the driver."""
    return train.select(
        F.col(USER).cast("string"), F.col(ITEM).cast("string"), F.col(WEIGHT).cast("double")
    ).toPandas()


def weight_matrix(pdf: pd.DataFrame) -> tuple[sp.csr_matrix, pd.Index, pd.Index]:
    """CSR (users x items) of the summed ``weight`` plus the user and item id indexes.

    Rows with weight <= 0 or null are dropped; duplicate pairs are summed. Codes are sorted
    ids, so the order the rows arrive in never changes a model.
    """
    pdf = pdf[pdf[WEIGHT].notna() & (pdf[WEIGHT] > 0)]
    user_codes, user_ids = pd.factorize(pdf[USER], sort=True)
    item_codes, item_ids = pd.factorize(pdf[ITEM], sort=True)
    matrix = sp.csr_matrix(
        (pdf[WEIGHT].to_numpy(dtype=np.float64), (user_codes, item_codes)),
        shape=(len(user_ids), len(item_ids)),
    )
    matrix.sum_duplicates()
    return matrix, pd.Index(user_ids), pd.Index(item_ids)


def target_codes(users: DataFrame, user_ids: pd.Index) -> np.ndarray:
    """Sorted row codes of the target users that have training rows."""
    wanted = users.select(F.col(USER).cast("string")).distinct().toPandas()[USER]
    return codes_of(user_ids, wanted.dropna().to_numpy())


def codes_of(user_ids: pd.Index, users: np.ndarray) -> np.ndarray:
    """Sorted row codes of the ``users`` that have training rows (a matrix's ``user_ids``)."""
    codes = user_ids.get_indexer(users)
    return np.sort(codes[codes >= 0])


def rec_frame(
    users: np.ndarray, items: np.ndarray, ranks: np.ndarray, scores: np.ndarray
) -> pd.DataFrame:
    """Recommendations as ``user_id, product_id, rank`` (int32), ``score`` (float64)."""
    return pd.DataFrame(
        {
            USER: np.asarray(users, dtype=object),
            ITEM: np.asarray(items, dtype=object),
            RANK: np.asarray(ranks, dtype=np.int32),
            SCORE: np.asarray(scores, dtype=np.float64),
        }
    )


def concat_recs(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The batches of ``rec_frame`` as one frame (typed and empty when there are none)."""
    if not frames:
        return rec_frame(np.array([]), np.array([]), np.array([]), np.array([]))
    return pd.concat(frames, ignore_index=True)


def top_n_per_row(scores: np.ndarray, n: int) -> np.ndarray:
    """Column indices of each row's ``n`` largest scores, largest first, ties to the smaller
    column: ``np.argsort(-scores, axis=1, kind="stable")[:, :n]`` without sorting whole rows.

    The columns at or above a row's n-th largest score (``np.partition``; ties at that score
    included, so never fewer than ``n``) are the only candidates; they alone are sorted.
    Rows wider than a few times ``n`` (a catalogue against a top 20) sort 100x fewer values.
    """
    n_rows, width = scores.shape
    n = min(n, width)
    if n == 0 or n_rows == 0:
        return np.empty((n_rows, n), dtype=np.intp)
    nth = -np.partition(-scores, n - 1, axis=1)[:, n - 1] if 4 * n < width else None
    if nth is None or np.isnan(nth).any():  # narrow rows, or NaN (sorted last, as argsort)
        return np.argsort(-scores, axis=1, kind="stable")[:, :n]
    rows, cols = np.nonzero(scores >= nth[:, np.newaxis])
    order = np.lexsort((cols, -scores[rows, cols], rows))
    rows, cols = rows[order], cols[order]
    return cols[run_positions(rows) < n].reshape(n_rows, n)


def run_positions(sorted_keys: np.ndarray) -> np.ndarray:
    """Each element's 0-based position among the equal keys before it (``sorted_keys``
    sorted, so equal keys are adjacent): a rank within each group."""
    return np.arange(len(sorted_keys)) - np.searchsorted(sorted_keys, sorted_keys, side="left")


def entry_rows(matrix: sp.csr_matrix) -> np.ndarray:
    """The row of each stored entry of a CSR matrix, in ``matrix.data``'s order."""
    return np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))


def top_n_candidates(matrix: sp.csr_matrix, n: int) -> np.ndarray:
    """A mask over ``matrix.data``: per row, the entries at or above the row's ``n``-th
    largest value (ties at that value included, so no row keeps fewer than ``min(n, nnz)``);
    a row of at most ``n`` entries keeps them all. Sorting only these entries gives each
    row's top ``n`` under any tie-break, without sorting every row whole."""
    indptr, data = matrix.indptr, matrix.data
    keep = np.ones(len(data), dtype=bool)
    for row in np.flatnonzero(np.diff(indptr) > n):
        start, end = indptr[row], indptr[row + 1]
        values = data[start:end]
        nth = np.partition(values, len(values) - n)[len(values) - n]
        keep[start:end] = values >= nth
    return keep
