"""ALS tuning on the validation window (var ml_tune; `make tune`): one row per grid point.
Without ml_tune the last tuning's rows are kept, so a normal build reuses its choice."""

from ml.settings import from_config
from ml.tuning import TUNING_COLUMNS, TUNING_SCHEMA, tune_als


def model(dbt, session):
    dbt.config(materialized="table")
    settings = from_config(dbt.config.meta_get("ml_vars"))
    if settings.tune_als:
        headline = dbt.ref("ml_evaluation_protocol").first()
        table = tune_als(
            dbt.ref("ml_validation_train"),
            dbt.ref("ml_validation_holdout"),
            settings,
            headline["headline_target"],
            headline["headline_protocol"],
        )
        return session.createDataFrame(table, schema=TUNING_SCHEMA)
    this = f"{dbt.this.schema}.{dbt.this.identifier}"
    if session.catalog.tableExists(this):
        previous = session.table(this).toPandas()  # on the driver before the overwrite
        if list(previous.columns) == TUNING_COLUMNS and len(previous):
            return session.createDataFrame(previous, schema=TUNING_SCHEMA)
    return session.createDataFrame([], schema=TUNING_SCHEMA)
