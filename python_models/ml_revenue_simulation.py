"""Revenue per model: the classic scenario and a price-aware estimate with a bootstrap CI."""

from ml.revenue import revenue_scenarios
from ml.settings import from_config


def model(dbt, session):
    dbt.config(materialized="table")
    s = from_config(dbt.config)
    products = dbt.ref("dim_products").selectExpr("product_id", "current_price as price")
    table = revenue_scenarios(
        dbt.ref("ml_recommendations").filter("model in ('popularity', 'als')"),
        dbt.ref("ml_holdout_interactions"),
        products,
        k=s.top_k,
        baseline="popularity",
        impressions=s.revenue_impressions,
        conversion_rate=s.revenue_conversion_rate,
        average_order_value=s.revenue_average_order_value,
        n_boot=s.revenue_bootstrap_samples,
        seed=s.seed,
        alpha=s.revenue_ci_alpha,
    )
    return session.createDataFrame(table)
