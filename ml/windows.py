"""Train, recommend and evaluate on one split window (validation, backtest folds).

The windows themselves are dbt models (``ml_split_windows``, ``ml_split_train``,
``ml_split_holdout``): the split is defined once, in SQL. This module runs the same
recommenders and evaluation on any window's rows.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.columns import ITEM
from ml.evaluation import EVALUATION_COLUMNS, evaluate
from ml.recommend import MODELS, recommend_all
from ml.settings import Settings

WINDOW = "window_name"


def window_rows(split: DataFrame, window_name: str) -> DataFrame:
    """The rows of one window of ``ml_split_train`` / ``ml_split_holdout``."""
    return split.where(F.col(WINDOW) == window_name).drop(WINDOW)


def is_empty(frame: DataFrame) -> bool:
    return frame.limit(1).count() == 0


def evaluate_window(
    train: DataFrame,
    holdout: DataFrame,
    settings: Settings,
    item_categories: DataFrame | None = None,
) -> pd.DataFrame:
    """Fit every recommender on ``train`` and evaluate it on ``holdout`` (all slices).

    A window without training data or without holdout (a backtest fold before the data
    starts) gives no rows.
    """
    if is_empty(train) or is_empty(holdout):
        return pd.DataFrame(columns=EVALUATION_COLUMNS)
    train = train.cache()
    recs, _report = recommend_all(train, holdout, settings)
    recs = recs.localCheckpoint(eager=True)
    n_catalog = train.select(ITEM).distinct().count()
    table = evaluate(
        recs, holdout, settings.metric_ks, max(n_catalog, 1), item_categories, models=MODELS
    )
    train.unpersist()
    return table
