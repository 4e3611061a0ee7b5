"""Column names of the recommender's input and output contracts, shared by every module.

Inputs (from the dbt models):

- training interactions: ``user_id`` string, ``product_id`` string, ``weight`` double (summed
  implicit-feedback weight per user x product), ``last_event_at`` timestamp;
- holdout truth: ``user_id``, ``product_id`` (distinct pairs, items the user did not interact
  with in training);
- product attributes: ``product_id``, ``category`` string (top level), ``price`` (may be null).

Output of every recommender: ``user_id``, ``product_id``, ``rank`` int (1 = best, up to k),
``score`` double (higher is better; comparable only within one model).
"""

from __future__ import annotations

import numbers

USER = "user_id"
ITEM = "product_id"
WEIGHT = "weight"
RANK = "rank"
SCORE = "score"
MODEL = "model"
CATEGORY = "category"
PRICE = "price"

REC_COLUMNS = (USER, ITEM, RANK, SCORE)
# Summed scores (blend, item-kNN) are rounded to this many decimals before ranking: a sum's
# last bits depend on the order it is added in (partitioning, backend), and equal scores
# must tie, so lists do not change with the partitioning or the backend.
SCORE_DECIMALS = 12
MAX_K = 100_000  # the largest k `max_by(..., k)` accepts


def check_k(k: int) -> int:
    """Validate a list length: a positive whole number no larger than ``MAX_K``."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 < k <= MAX_K:
        raise ValueError(f"k must be a whole number between 1 and {MAX_K:,}, got {k!r}")
    return int(k)
