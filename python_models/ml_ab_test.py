"""A simulated A/B test on the headline protocol's holdout: popularity (control) vs ALS
(treatment); a click is any holdout interaction, a conversion a purchased product."""

from ml.ab_test import simulate_ab_test
from ml.evaluation import slice_truth
from ml.settings import from_config


def model(dbt, session):
    dbt.config(materialized="table")
    s = from_config(dbt.config)
    protocol = dbt.ref("ml_evaluation_protocol").first()["headline_protocol"]
    table = simulate_ab_test(
        dbt.ref("ml_recommendations").where(f"protocol = '{protocol}'"),
        slice_truth(dbt.ref("ml_holdout_interactions"), "interaction", protocol),
        k=s.top_k,
        control_model="popularity",
        treatment_model="als",
        salt=s.ab_salt,
        treatment_share=s.ab_treatment_share,
        purchase_col="is_purchase",
    )
    table["protocol"] = protocol
    return session.createDataFrame(table)
