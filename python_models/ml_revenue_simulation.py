"""Revenue per model (every model with lists under the headline protocol) on the purchase
target: the classic scenario and a price-aware estimate with a bootstrap CI over
popularity (a hit is a purchased product)."""

from ml.evaluation import slice_truth
from ml.revenue import revenue_scenarios
from ml.settings import from_config


def model(dbt, session):
    dbt.config(materialized="table")
    s = from_config(dbt.config.meta_get("ml_vars"))
    protocol = dbt.ref("ml_evaluation_protocol").first()["headline_protocol"]
    products = dbt.ref("dim_products").selectExpr("product_id", "current_price as price")
    recs = dbt.ref("ml_recommendations").where(f"protocol = '{protocol}'")
    models = sorted({row["model"] for row in recs.select("model").distinct().collect()})
    models = ["popularity", *[m for m in models if m != "popularity"]]
    table = revenue_scenarios(
        recs,
        slice_truth(dbt.ref("ml_holdout_interactions"), "purchase", protocol),
        products,
        k=s.top_k,
        baseline="popularity",
        impressions=s.revenue_impressions,
        conversion_rate=s.revenue_conversion_rate,
        average_order_value=s.revenue_average_order_value,
        n_boot=s.revenue_bootstrap_samples,
        seed=s.seed,
        alpha=s.revenue_ci_alpha,
        models=models,
    )
    table.insert(1, "protocol", protocol)
    table.insert(1, "target", "purchase")
    return session.createDataFrame(table)
