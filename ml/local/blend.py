"""``ml.blend``'s weighted reciprocal-rank fusion on pandas lists."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ml.blend import BLEND_NAME, weight_rows
from ml.columns import ITEM, MODEL, RANK, SCORE, SCORE_DECIMALS, USER
from ml.local.frames import top_k


def blend_many(
    lists: Mapping[str, pd.DataFrame],
    weightings: Mapping[str, Mapping[str, float]],
    k: int,
    offset: float,
) -> pd.DataFrame:
    """``blend_name, user_id, product_id, rank, score``: one fused top k per weighting."""
    rows = weight_rows(list(lists), weightings, k, offset)
    table = pd.DataFrame(rows, columns=[BLEND_NAME, MODEL, "weight"])
    ranks = pd.concat(
        [frame[[USER, ITEM, RANK]].assign(**{MODEL: name}) for name, frame in lists.items()],
        ignore_index=True,
    )
    scored = ranks.merge(table, on=MODEL)
    scored[SCORE] = scored["weight"] / (float(offset) + scored[RANK])
    fused = scored.groupby([BLEND_NAME, USER, ITEM], as_index=False)[SCORE].sum()
    fused[SCORE] = fused[SCORE].round(SCORE_DECIMALS)
    return top_k(fused, k, [SCORE, ITEM], keys=(BLEND_NAME,))
