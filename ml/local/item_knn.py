"""Item-kNN on scipy sparse matrices: ``ml.item_knn``'s model (binary matrix of each
user's ``max_user_items`` most recent products, shrunk cosine, top neighbours per item,
scores summed over the user's recent items) on one machine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ml.columns import ITEM, SCORE, SCORE_DECIMALS, USER, check_k
from ml.local.frames import seen_pairs, top_k
from ml.matrix import codes_of, concat_recs, entry_rows, top_n_candidates

# rows of the item x item matrix whose similarities are computed at once (bounds the
# temporary arrays to this many rows' entries rather than the whole matrix's)
SIMILARITY_CHUNK_ROWS = 4096


def pruned_history(
    train: pd.DataFrame, max_user_items: int
) -> tuple[sp.csr_matrix, pd.Index, pd.Index]:
    """The binary users x items matrix of each user's ``max_user_items`` most recent
    products (latest ``last_event_at`` first, nulls last, ties to the smaller
    ``product_id``), with its sorted user and product ids. Worked on integer codes: the
    ids are factorized once, not sorted as strings."""
    if max_user_items < 1:
        raise ValueError(f"max_user_items must be >= 1, got {max_user_items}")
    user_codes, user_ids = pd.factorize(train[USER], sort=True)
    item_codes, item_ids = pd.factorize(train[ITEM], sort=True)
    stamps = pd.to_datetime(train["last_event_at"])
    missing = stamps.isna().to_numpy()
    nanos = stamps.to_numpy().astype("datetime64[ns]").view(np.int64)
    latest_first = np.where(missing, np.iinfo(np.int64).max, -nanos)  # NaT (min int) wraps
    order = np.lexsort((item_codes, latest_first, user_codes))
    users, items = user_codes[order], item_codes[order]
    recent = np.arange(len(users)) - np.searchsorted(users, users, side="left") < max_user_items
    users, items = users[recent], items[recent]
    kept_items, items = np.unique(items, return_inverse=True)
    matrix = sp.csr_matrix(
        (np.ones(len(users), dtype=np.int32), (users, items)),
        shape=(len(user_ids), len(kept_items)),
    )
    matrix.data[:] = 1  # a pair listed twice is still one
    return matrix, user_ids, item_ids[kept_items]


def shrunk_cosine(common: sp.csr_matrix, counts: np.ndarray, shrink: float) -> sp.csr_matrix:
    """``c_ij / (sqrt(n_i * n_j) + shrink)`` for each stored ``c_ij`` of ``common``, a chunk
    of rows at a time."""
    similarity = np.empty(len(common.data), dtype=np.float64)
    counts = counts.astype(np.float64)
    indptr, n_rows = common.indptr, common.shape[0]
    for first in range(0, n_rows, SIMILARITY_CHUNK_ROWS):
        last = min(first + SIMILARITY_CHUNK_ROWS, n_rows)
        lo, hi = indptr[first], indptr[last]
        rows = np.repeat(np.arange(first, last), np.diff(indptr[first : last + 1]))
        norms = np.sqrt(counts[rows] * counts[common.indices[lo:hi]]) + float(shrink)
        similarity[lo:hi] = common.data[lo:hi] / norms
    return sp.csr_matrix((similarity, common.indices, indptr), common.shape)


class ItemKnn:
    """The fitted neighbours (items x items sparse similarities) of one training window."""

    def __init__(self, train: pd.DataFrame, n_neighbours: int, shrink: float, max_user_items: int):
        check_k(n_neighbours)
        if shrink < 0:
            raise ValueError(f"item-kNN shrink must be >= 0, got {shrink}")
        self.train = train
        self.matrix, self.user_ids, self.item_ids = pruned_history(train, max_user_items)
        counts = np.asarray(self.matrix.sum(axis=0)).ravel()
        # X'X is symmetric: its CSC arrays read as CSR are the same matrix (no conversion)
        product = (self.matrix.T @ self.matrix).tocsc()
        common = sp.csr_matrix((product.data, product.indices, product.indptr), product.shape)
        common.setdiag(0)
        common.eliminate_zeros()
        common = shrunk_cosine(common, counts, shrink)
        # only each item's candidates for its top n_neighbours are sorted (the rest cannot
        # make it): most similar first, ties to the larger neighbour id (ml.item_knn)
        candidates = np.flatnonzero(top_n_candidates(common, n_neighbours))
        rows = np.searchsorted(common.indptr, candidates, side="right") - 1
        cols, sim = common.indices[candidates], common.data[candidates]
        order = np.lexsort((-cols, -sim, rows))
        rows, cols, sim = rows[order], cols[order], sim[order]
        starts = np.searchsorted(rows, rows, side="left")
        keep = (np.arange(len(rows)) - starts) < n_neighbours
        n_items = len(self.item_ids)
        self.neighbours = sp.csr_matrix(
            (sim[keep], (rows[keep], cols[keep])), shape=(n_items, n_items)
        )

    def recommend(self, users: np.ndarray, k: int, exclude_seen: bool) -> pd.DataFrame:
        check_k(k)
        codes = codes_of(self.user_ids, users)
        if not len(codes):
            return concat_recs([])
        scores = (self.matrix[codes] @ self.neighbours).tocsr()
        scores.data = np.round(scores.data.astype(np.float64), SCORE_DECIMALS)
        if exclude_seen:  # every score is a sum of positive similarities: 0 only when removed
            seen = seen_pairs(self.train, users)
            row = pd.Index(self.user_ids.to_numpy()[codes]).get_indexer(seen[USER])
            col = self.item_ids.get_indexer(seen[ITEM])
            known = (row >= 0) & (col >= 0)
            mask = sp.csr_matrix(
                (np.ones(int(known.sum())), (row[known], col[known])), shape=scores.shape
            )
            scores = scores - scores.multiply(mask)
            scores.eliminate_zeros()
        # only each user's candidates for the top k are ranked (ties at the k-th score kept)
        candidates = top_n_candidates(scores, k)
        rows = entry_rows(scores)[candidates]
        scored = pd.DataFrame(
            {
                USER: self.user_ids.to_numpy()[codes[rows]],
                ITEM: self.item_ids.to_numpy()[scores.indices[candidates]],
                SCORE: scores.data[candidates],
            }
        )
        return top_k(scored, k, [SCORE, ITEM])
