"""A simulated A/B test on the headline protocol's holdout: popularity (control) against
the best other model on the validation window (treatment); a click is any holdout
interaction, a conversion a purchased product."""

from ml.ab_test import simulate_ab_test
from ml.evaluation import slice_truth
from ml.settings import from_config
from ml.windows import best_on_validation

CONTROL = "popularity"


def model(dbt, session):
    dbt.config(materialized="table")
    s = from_config(dbt.config.meta_get("ml_vars"))
    headline = dbt.ref("ml_evaluation_protocol").first()
    protocol = headline["headline_protocol"]
    validation = dbt.ref("ml_validation_metrics").toPandas()
    treatment = best_on_validation(
        validation, headline["headline_target"], protocol, s.top_k, exclude=(CONTROL, "random")
    )
    table = simulate_ab_test(
        dbt.ref("ml_recommendations").where(f"protocol = '{protocol}'"),
        slice_truth(dbt.ref("ml_holdout_interactions"), "interaction", protocol),
        k=s.top_k,
        control_model=CONTROL,
        treatment_model=treatment or "als",
        salt=s.ab_salt,
        treatment_share=s.ab_treatment_share,
        purchase_col="is_purchase",
    )
    table["protocol"] = protocol
    return session.createDataFrame(table)
