"""The backtest's earlier folds (2..N of ml_split_windows): the same recommenders and
parameters (ALS from ml_tuning, blend weights from the validation window) refitted on each
fold and evaluated on its holdout, one row per fold, model, target, protocol, population
and K. Fold 1 is the test window, whose figures ml_metrics already has: ml_backtest_folds
takes them from there instead of fitting every model on that window a second time."""

import pandas as pd

from ml.settings import from_config
from ml.tuning import tuned_settings
from ml.windows import METRICS_SCHEMA, blend_weights_of, evaluate_window, window_rows


def model(dbt, session):
    dbt.config(materialized="table")
    settings = tuned_settings(from_config(dbt.config.meta_get("ml_vars")), dbt.ref("ml_tuning"))
    weights = blend_weights_of(dbt.ref("ml_validation_metrics").where("model = 'blend'").toPandas())
    windows = (
        dbt.ref("ml_split_windows")
        .where("window_role = 'backtest' and fold > 1")
        .select("window_name", "fold")
        .orderBy("fold")
        .collect()
    )
    train = dbt.ref("ml_split_train")
    holdout = dbt.ref("ml_split_holdout")
    categories = dbt.ref("dim_products").select("product_id", "category")
    tables = []
    for window in windows:
        table = evaluate_window(
            window_rows(train, window["window_name"]),
            window_rows(holdout, window["window_name"]),
            settings,
            categories,
            blend_weights=weights,
        )
        if len(table):  # a fold before the data starts has nothing to evaluate
            table.insert(0, "fold", int(window["fold"]))
            table.insert(0, "window_name", window["window_name"])
            tables.append(table)
    schema = "window_name string, fold int, " + METRICS_SCHEMA
    if not tables:
        return session.createDataFrame([], schema=schema)
    return session.createDataFrame(pd.concat(tables, ignore_index=True), schema=schema)
