"""A simulated A/B test: popularity (control) vs ALS (treatment) on the holdout."""

from ml.ab_test import simulate_ab_test
from ml.settings import from_config


def model(dbt, session):
    dbt.config(materialized="table")
    s = from_config(dbt.config)
    table = simulate_ab_test(
        dbt.ref("ml_recommendations"),
        dbt.ref("ml_holdout_interactions"),
        k=s.top_k,
        control_model="popularity",
        treatment_model="als",
        salt=s.ab_salt,
        treatment_share=s.ab_treatment_share,
        purchase_col="is_purchase_strength",
    )
    return session.createDataFrame(table)
