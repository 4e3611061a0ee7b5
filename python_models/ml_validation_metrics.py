"""The recommenders fitted on the validation window's training data and evaluated on its
holdout: where every choice is made (see ml_model_selection), never on the test window."""

from ml.evaluation import EVALUATION_SCHEMA
from ml.settings import from_config
from ml.windows import evaluate_window


def model(dbt, session):
    dbt.config(materialized="table")
    settings = from_config(dbt.config)
    table = evaluate_window(
        dbt.ref("ml_validation_train"),
        dbt.ref("ml_validation_holdout"),
        settings,
        dbt.ref("dim_products").select("product_id", "category"),
    )
    table.insert(0, "window_name", "validation")
    return session.createDataFrame(table, schema="window_name string, " + EVALUATION_SCHEMA)
