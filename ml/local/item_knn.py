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


def pruned_history(train: pd.DataFrame, max_user_items: int) -> pd.DataFrame:
    """``user_id, product_id``: each user's ``max_user_items`` most recent products."""
    if max_user_items < 1:
        raise ValueError(f"max_user_items must be >= 1, got {max_user_items}")
    recent = train[[USER, ITEM, "last_event_at"]].sort_values(
        [USER, "last_event_at", ITEM], ascending=[True, False, True], na_position="last"
    )
    return recent.groupby(USER, sort=False).head(max_user_items)[[USER, ITEM]].drop_duplicates()


class ItemKnn:
    """The fitted neighbours (items x items sparse similarities) of one training window."""

    def __init__(self, train: pd.DataFrame, n_neighbours: int, shrink: float, max_user_items: int):
        check_k(n_neighbours)
        if shrink < 0:
            raise ValueError(f"item-kNN shrink must be >= 0, got {shrink}")
        self.train = train
        history = pruned_history(train, max_user_items)
        user_codes, self.user_ids = pd.factorize(history[USER], sort=True)
        item_codes, self.item_ids = pd.factorize(history[ITEM], sort=True)
        self.matrix = sp.csr_matrix(
            (np.ones(len(history)), (user_codes, item_codes)),
            shape=(len(self.user_ids), len(self.item_ids)),
        )
        counts = np.asarray(self.matrix.sum(axis=0)).ravel()
        # X'X is symmetric: its CSC arrays read as CSR are the same matrix (no conversion)
        product = (self.matrix.T @ self.matrix).tocsc()
        common = sp.csr_matrix((product.data, product.indices, product.indptr), product.shape)
        common.setdiag(0)
        common.eliminate_zeros()
        rows = entry_rows(common)
        common.data = common.data / (np.sqrt(counts[rows] * counts[common.indices]) + float(shrink))
        # only each item's candidates for its top n_neighbours are sorted (the rest cannot
        # make it): most similar first, ties to the larger neighbour id (ml.item_knn)
        candidates = top_n_candidates(common, n_neighbours)
        rows, cols, sim = rows[candidates], common.indices[candidates], common.data[candidates]
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
