"""Top-K recommendations per user and protocol from every recommender (var
ml_recommenders), with ALS parameters from ml_tuning and blend weights from the
validation window."""

from ml.settings import from_config
from ml.tuning import tuned_settings
from ml.windows import blend_weights_of, recommend_window


def model(dbt, session):
    dbt.config(materialized="table")
    settings = tuned_settings(from_config(dbt.config.meta_get("ml_vars")), dbt.ref("ml_tuning"))
    validation = dbt.ref("ml_validation_metrics").where("model = 'blend'").toPandas()
    return recommend_window(
        dbt.ref("ml_train_interactions"),
        dbt.ref("ml_holdout_interactions"),
        settings,
        blend_weights_of(validation),
    )
