"""``ml.blend``'s weighted reciprocal-rank fusion on pandas lists."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ml.blend import BLEND_NAME, weight_rows
from ml.columns import ITEM, RANK, SCORE, SCORE_DECIMALS, USER
from ml.local.frames import rec_table
from ml.matrix import run_positions


def blend_many(
    lists: Mapping[str, pd.DataFrame],
    weightings: Mapping[str, Mapping[str, float]],
    k: int,
    offset: float,
) -> pd.DataFrame:
    """``blend_name, user_id, product_id, rank, score``: one fused top k per weighting,
    ranked by score, then the larger ``product_id`` (``ml.local.frames.top_k``'s order).

    On integer codes: users, products and weightings are factorised in sorted order, so
    one int64 key per (weighting, user, product) orders as the strings do; a key's score
    is summed by pandas (compensated, in the models' order: the same sums as a group-by
    on the strings)."""
    rows = weight_rows(list(lists), weightings, k, offset)
    frames = list(lists.values())
    columns = [BLEND_NAME, USER, ITEM, RANK, SCORE]
    if not rows or not any(len(frame) for frame in frames):
        return rec_table(pd.DataFrame(columns=columns), (BLEND_NAME,))
    ends = np.cumsum([len(frame) for frame in frames])
    rows_of = {  # each model's rows in the concatenated columns
        name: slice(end - len(frame), end)
        for (name, frame), end in zip(lists.items(), ends, strict=True)
    }
    users, user_names = pd.factorize(
        np.concatenate([frame[USER].to_numpy(object) for frame in frames]), sort=True
    )
    items, item_names = pd.factorize(
        np.concatenate([frame[ITEM].to_numpy(object) for frame in frames]), sort=True
    )
    ranks = np.concatenate([frame[RANK].to_numpy(float) for frame in frames])
    blends, blend_names = pd.factorize(np.array([row[0] for row in rows], object), sort=True)
    n_users, n_items = len(user_names), len(item_names)
    keys, scores = [], []
    for blend, (_, model, weight) in zip(blends, rows, strict=True):
        part = rows_of[model]
        keys.append((int(blend) * n_users + users[part]) * n_items + items[part])
        scores.append(weight / (float(offset) + ranks[part]))
    fused = (
        pd.DataFrame({"key": np.concatenate(keys), SCORE: np.concatenate(scores)})
        .groupby("key", sort=False)[SCORE]
        .sum()
        .round(SCORE_DECIMALS)
    )
    key, score = fused.index.to_numpy(np.int64), fused.to_numpy()
    owner, item = np.divmod(key, n_items)  # owner: (weighting, user)
    order = np.lexsort((-item, -score, owner))
    owner, item, score = owner[order], item[order], score[order]
    rank = run_positions(owner) + 1
    best = rank <= k
    blend, user = np.divmod(owner[best], n_users)
    return rec_table(
        pd.DataFrame(
            {
                BLEND_NAME: np.asarray(blend_names, object)[blend],
                USER: np.asarray(user_names, object)[user],
                ITEM: np.asarray(item_names, object)[item[best]],
                RANK: rank[best],
                SCORE: score[best],
            }
        ),
        (BLEND_NAME,),
    )
