"""Train, recommend and evaluate on one split window (validation, backtest folds, test).

The windows themselves are dbt models (``ml_split_windows``, ``ml_split_train``,
``ml_split_holdout``): the split is defined once, in SQL. This module runs the same
recommenders and evaluation on any window's rows. On the validation window it also makes
the one choice the recommenders leave open, the blend weighting (``choose_blend``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.blend import parse_weights, weights_json
from ml.checkpoint import checkpoint
from ml.columns import ITEM, MODEL
from ml.evaluation import EVALUATION_COLUMNS, EVALUATION_SCHEMA, PROTOCOL, QUALITY, TARGET, evaluate
from ml.local import evaluation as local_evaluation
from ml.local.frames import categories_frame, holdout_frame, train_frame
from ml.local.recommend import is_local, recommend_all_local
from ml.recommend import BLEND, BlendWeights, Recommendations, recommend_all
from ml.settings import Settings
from ml.upload import to_spark

WINDOW = "window_name"
PARAMS = "params"
METRICS_COLUMNS = [*EVALUATION_COLUMNS, PARAMS]
METRICS_SCHEMA = EVALUATION_SCHEMA + f", {PARAMS} string"
RECOMMENDATIONS_SCHEMA = (
    "model string, protocol string, user_id string, product_id string, rank int, "
    "score double, run_id string, trained_at timestamp, backend string, "
    "train_seconds double, score_seconds double"
)


def window_rows(split: DataFrame, window_name: str) -> DataFrame:
    """The rows of one window of ``ml_split_train`` / ``ml_split_holdout``."""
    return split.where(F.col(WINDOW) == window_name).drop(WINDOW)


def is_empty(frame: DataFrame) -> bool:
    return frame.limit(1).count() == 0


def recommend_window(
    train: DataFrame,
    holdout: DataFrame,
    settings: Settings,
    blend_weights: BlendWeights | None,
) -> DataFrame:
    """The ``ml_recommendations`` table of a window on the backend ``is_local`` picks."""
    if not is_local(train, settings, holdout, choosing_blend=blend_weights is None):
        return recommend_all(train, holdout, settings, blend_weights).table
    recs = recommend_all_local(train_frame(train), holdout_frame(holdout), settings, blend_weights)
    return to_spark(train.sparkSession, recs.table, RECOMMENDATIONS_SCHEMA, "recommendations")


def evaluate_recommendations(
    recs: Recommendations,
    holdout: DataFrame | pd.DataFrame,
    settings: Settings,
    n_catalog: int,
    item_categories: DataFrame | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every slice of every model (``METRICS_COLUMNS``). A (model, protocol) that made no
    list has null quality metrics and its reason in ``note``; ``params`` holds the ALS
    parameters and the blend weighting. A pandas ``recs.table`` (the local backend) is
    evaluated on pandas (``holdout`` and ``item_categories`` pandas too)."""
    score = local_evaluation.evaluate if isinstance(recs.table, pd.DataFrame) else evaluate
    table = score(
        recs.table, holdout, settings.metric_ks, max(n_catalog, 1), item_categories, recs.models
    )
    for (model, protocol), reason in recs.skipped.items():
        rows = (table[MODEL] == model) & (table[PROTOCOL] == protocol)
        table.loc[rows, list(QUALITY)] = np.nan
        table.loc[rows, "note"] = reason
    table[PARAMS] = None
    table.loc[table[MODEL] == "als", PARAMS] = json.dumps(settings.als.as_dict(), sort_keys=True)
    for name, per_protocol in recs.blend_weights.items():
        for protocol, weights in per_protocol.items():
            rows = (table[MODEL] == name) & (table[PROTOCOL] == protocol)
            table.loc[rows, PARAMS] = weights_json(weights)
    table[PARAMS] = table[PARAMS].astype("object")
    return table[METRICS_COLUMNS]


def choose_blend(table: pd.DataFrame, settings: Settings, target: str) -> pd.DataFrame:
    """Keep, per protocol, the ``blend:<i>`` candidate with the best NDCG at ``top_k``
    (population all, the headline ``target``; ties: the lower i, i.e. equal weights
    first) and name it ``blend``; drop the other candidates."""
    candidates = table[table[MODEL].str.startswith(f"{BLEND}:")]
    keep = []
    for protocol, rows in candidates.groupby(PROTOCOL):
        scored = rows[
            (rows[TARGET] == target) & (rows["population"] == "all") & (rows["k"] == settings.top_k)
        ]
        scored = scored.assign(
            _ndcg=scored["ndcg_at_k"].fillna(-1.0),
            _i=scored[MODEL].str.split(":").str[1].astype(int),
        ).sort_values(["_ndcg", "_i"], ascending=[False, True])
        if len(scored):
            keep.append((protocol, scored[MODEL].iloc[0]))
    chosen = table[~table[MODEL].str.startswith(f"{BLEND}:")]
    for protocol, name in keep:
        rows = table[(table[MODEL] == name) & (table[PROTOCOL] == protocol)].copy()
        rows[MODEL] = BLEND
        chosen = pd.concat([chosen, rows], ignore_index=True)
    return chosen.sort_values([MODEL, TARGET, PROTOCOL, "population", "k"]).reset_index(drop=True)


def blend_weights_of(metrics: pd.DataFrame) -> BlendWeights:
    """The chosen weighting per protocol from a validation metrics table."""
    rows = metrics[(metrics[MODEL] == BLEND) & metrics[PARAMS].notna()]
    return {
        protocol: parse_weights(group[PARAMS].iloc[0]) for protocol, group in rows.groupby(PROTOCOL)
    }


def evaluate_window(
    train: DataFrame,
    holdout: DataFrame,
    settings: Settings,
    item_categories: DataFrame | None = None,
    blend_weights: BlendWeights | None = None,
    target: str = "purchase",
) -> pd.DataFrame:
    """Fit every recommender on ``train`` and evaluate it on ``holdout`` (all slices).

    ``blend_weights=None`` (the validation window) tries every candidate weighting and
    keeps the best on ``target`` (``choose_blend``). A window without training data or
    without holdout (a backtest fold before the data starts) gives no rows.
    """
    if is_empty(train) or is_empty(holdout):
        return pd.DataFrame(columns=METRICS_COLUMNS)
    if is_local(train, settings, holdout, choosing_blend=blend_weights is None):
        train_pd, holdout_pd = train_frame(train), holdout_frame(holdout)
        recs = recommend_all_local(train_pd, holdout_pd, settings, blend_weights)
        table = evaluate_recommendations(
            recs,
            holdout_pd,
            settings,
            train_pd["product_id"].nunique(),
            categories_frame(item_categories),
        )
        return choose_blend(table, settings, target) if blend_weights is None else table
    train = train.cache()
    recs = recommend_all(train, holdout, settings, blend_weights)
    recs.table = checkpoint(recs.table)
    n_catalog = train.select(ITEM).distinct().count()
    table = evaluate_recommendations(recs, holdout, settings, n_catalog, item_categories)
    train.unpersist()
    return choose_blend(table, settings, target) if blend_weights is None else table


def best_on_validation(
    validation: pd.DataFrame, target: str, protocol: str, k: int, exclude: tuple[str, ...] = ()
) -> str | None:
    """The model with the best NDCG at ``k`` on the validation window (population all;
    ties: precision, then name), leaving out ``exclude``; None when no model qualifies."""
    rows = validation[
        (validation[TARGET] == target)
        & (validation[PROTOCOL] == protocol)
        & (validation["population"] == "all")
        & (validation["k"] == k)
        & validation["ndcg_at_k"].notna()
        & ~validation[MODEL].isin(exclude)
    ]
    if not len(rows):
        return None
    best = rows.sort_values(["ndcg_at_k", "precision_at_k", MODEL], ascending=[False, False, True])
    return str(best[MODEL].iloc[0])
