"""Top-3 ALS recommendations per fixture user: the vertical slice's Python model."""

from ml.spark_als import AlsParams, recommend


def model(dbt, session):
    dbt.config(materialized="table")
    scores = dbt.ref("fixture_user_product_scores")
    params = AlsParams(
        rank=4,
        max_iter=5,
        reg_param=float(dbt.config.get("als_reg_param", 0.05)),
        seed=int(dbt.config.get("random_seed", 42)),
    )
    return recommend(scores, k=3, params=params)
