"""The recommenders fitted on the validation window's training data and evaluated on its
holdout: where every choice is made (the blend weighting here, ALS in ml_tuning, the model
in ml_model_selection), never on the test window."""

from ml.settings import from_config
from ml.tuning import tuned_settings
from ml.windows import METRICS_SCHEMA, evaluate_window


def model(dbt, session):
    dbt.config(materialized="table")
    settings = tuned_settings(from_config(dbt.config.meta_get("ml_vars")), dbt.ref("ml_tuning"))
    headline = dbt.ref("ml_evaluation_protocol").first()
    table = evaluate_window(
        dbt.ref("ml_validation_train"),
        dbt.ref("ml_validation_holdout"),
        settings,
        dbt.ref("dim_products").select("product_id", "category"),
        blend_weights=None,
        target=headline["headline_target"],
    )
    table.insert(0, "window_name", "validation")
    return session.createDataFrame(table, schema="window_name string, " + METRICS_SCHEMA)
