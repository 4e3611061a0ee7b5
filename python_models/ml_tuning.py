"""ALS tuning on the validation window (var ml_tune; `make tune`): one row per grid point,
each also a run in MLflow (ml/tracking.py).
Without ml_tune the last tuning's rows are kept (saved under the data home, since dbt drops
the old table before a table model runs), so a normal build reuses its choice."""

from cartwheel.home import home
from ml.settings import from_config
from ml.tracking import track_tuning
from ml.tuning import TUNING_SCHEMA, load_tuning, save_tuning, tune_als

SAVED = "ml/last_tuning.parquet"


def model(dbt, session):
    dbt.config(materialized="table")
    settings = from_config(dbt.config.meta_get("ml_vars"))
    path = home() / SAVED
    if settings.tune_als:
        headline = dbt.ref("ml_evaluation_protocol").first()
        table = tune_als(
            dbt.ref("ml_validation_train"),
            dbt.ref("ml_validation_holdout"),
            settings,
            headline["headline_target"],
            headline["headline_protocol"],
        )
        table["mlflow_run_id"] = track_tuning(settings, home(), table)
        save_tuning(table, path)
    else:
        table = load_tuning(path)
    if not len(table):
        return session.createDataFrame([], schema=TUNING_SCHEMA)
    return session.createDataFrame(table, schema=TUNING_SCHEMA)
