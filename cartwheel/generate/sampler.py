"""Vectorised weighted sampling of products within groups (leaf, leaf x tier, leaf x brand).

Products are sorted by group once; each month the weights are re-cumulated in that order,
and a draw for group g is a binary search for `lo_g + u * (hi_g - lo_g)` in the cumulative
weights. One `np.searchsorted` call serves millions of draws from thousands of groups.
"""

from __future__ import annotations

import numpy as np


class GroupSampler:
    """Draw products in proportion to their weight, restricted to a given group per draw."""

    def __init__(self, keys: np.ndarray, n_groups: int) -> None:
        self.order = np.argsort(keys, kind="stable")
        sorted_keys = keys[self.order]
        groups = np.arange(n_groups)
        self.start = np.searchsorted(sorted_keys, groups, side="left")
        self.end = np.searchsorted(sorted_keys, groups, side="right")
        self.cdf = np.zeros(len(keys) + 1)

    def reweight(self, weights: np.ndarray) -> None:
        """Use these per-product weights (indexed by product) from now on."""
        self.cdf = np.concatenate([[0.0], np.cumsum(weights[self.order])])

    def mass(self, groups: np.ndarray) -> np.ndarray:
        """Total weight of each requested group."""
        return self.cdf[self.end[groups]] - self.cdf[self.start[groups]]

    def sample(self, groups: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One product per entry of `groups` using uniforms `u`; -1 where a group is empty."""
        start, end = self.start[groups], self.end[groups]
        lo, hi = self.cdf[start], self.cdf[end]
        pos = np.searchsorted(self.cdf, lo + u * (hi - lo), side="right") - 1
        pos = np.clip(pos, start, np.maximum(end - 1, start))
        picked = self.order[np.minimum(pos, len(self.order) - 1)]
        return np.where(hi > lo, picked, -1)
