"""Top-K recommendations per user from popularity, ALS and a random baseline."""

from ml.recommend import recommend_all
from ml.settings import from_config


def model(dbt, session):
    dbt.config(materialized="table")
    settings = from_config(dbt.config)
    train = dbt.ref("ml_train_interactions")
    holdout = dbt.ref("ml_holdout_interactions")
    recs, _report = recommend_all(train, holdout, settings)
    return recs
