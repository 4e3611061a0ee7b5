"""Blend: a weighted reciprocal-rank fusion of several models' lists.

For a user and product, with ``rank_m`` its rank in model m's list (absent: no term):

    score = sum_m  w_m / (offset + rank_m)

(Cormack, Clarke and Buettcher, "Reciprocal Rank Fusion", SIGIR 2009, with a weight per
model). ``trending`` always enters with at least ``FLOOR_WEIGHT``, so a user no personal
model can serve (a cold user) still gets the trending list. Weights are chosen on the
validation window (``candidate_weights``, ``ml.windows``), never on the test window.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.columns import ITEM, MODEL, RANK, SCORE, SCORE_DECIMALS, USER, check_k
from ml.topk import top_k_per_user, union_all

FALLBACK = "trending"
BLEND_NAME = "blend_name"
FLOOR_WEIGHT = 1e-3


def blend_lists(
    lists: Mapping[str, DataFrame], weights: Mapping[str, float], k: int, offset: float
) -> DataFrame:
    """``user_id, product_id, rank, score``: the fused top k (see the module docstring).

    ``lists`` maps a model name to its ``user_id, product_id, rank`` lists; a model with
    weight 0 (and not the fallback) is left out.
    """
    return blend_many(lists, {"_": weights}, k, offset).drop(BLEND_NAME)


def blend_many(
    lists: Mapping[str, DataFrame],
    weightings: Mapping[str, Mapping[str, float]],
    k: int,
    offset: float,
) -> DataFrame:
    """``blend_name, user_id, product_id, rank, score``: one fused top k per named
    weighting, all in one Spark job (the validation window tries several)."""
    rows = weight_rows(list(lists), weightings, k, offset)
    parts = [
        frame.select(USER, ITEM, RANK).withColumn(MODEL, F.lit(name))
        for name, frame in lists.items()
    ]
    ranks = union_all(parts)
    spark = ranks.sparkSession
    table = spark.createDataFrame(rows, f"{BLEND_NAME} string, {MODEL} string, weight double")
    scored = (
        ranks.join(F.broadcast(table), MODEL)
        .groupBy(BLEND_NAME, USER, ITEM)
        .agg(
            F.round(
                F.sum(F.col("weight") / (F.lit(float(offset)) + F.col(RANK))), SCORE_DECIMALS
            ).alias(SCORE)
        )
    )
    return top_k_per_user(scored, k, keys=(BLEND_NAME,))


def weight_rows(
    models: Sequence[str], weightings: Mapping[str, Mapping[str, float]], k: int, offset: float
) -> list[tuple[str, str, float]]:
    """``(blend_name, model, weight)`` of every positive weight, the fallback floor applied
    (both backends fuse from these rows)."""
    check_k(k)
    if offset < 0:
        raise ValueError(f"blend rank offset must be >= 0, got {offset}")
    rows = []
    for blend_name, weights in weightings.items():
        effective = dict(weights)
        if FALLBACK in models:
            effective[FALLBACK] = max(effective.get(FALLBACK, 0.0), FLOOR_WEIGHT)
        used = [(blend_name, m, float(effective.get(m, 0.0))) for m in models]
        if not any(w > 0 for _, _, w in used):
            raise ValueError(f"a blend needs a model with a positive weight, got {weights}")
        rows += [row for row in used if row[2] > 0]
    return rows


def candidate_weights(components: Sequence[str], boost: float) -> list[dict[str, float]]:
    """The weightings tried on the validation window: all equal; each model boosted to
    ``boost`` (the others 1); each model dropped (0, the others 1). Duplicates removed."""
    names = list(components)
    candidates = [dict.fromkeys(names, 1.0)]
    for name in names:
        candidates.append({**dict.fromkeys(names, 1.0), name: float(boost)})
        if len(names) > 1:
            candidates.append({**dict.fromkeys(names, 1.0), name: 0.0})
    unique: dict[str, dict[str, float]] = {}
    for weights in candidates:
        unique.setdefault(weights_json(weights), weights)
    return list(unique.values())


def weights_json(weights: Mapping[str, float]) -> str:
    """A weighting as canonical JSON (sorted keys): how it is stored and compared."""
    return json.dumps({name: float(w) for name, w in sorted(weights.items())}, sort_keys=True)


def parse_weights(text: str) -> dict[str, float]:
    return {str(name): float(w) for name, w in json.loads(text).items()}
