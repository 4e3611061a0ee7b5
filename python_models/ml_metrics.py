"""Precision@K, recall, NDCG, MAP, hit rate, coverage and diversity on the test window,
per model, target, protocol, population and K; the headline slice is flagged."""

from ml.evaluation import EVALUATION_SCHEMA, evaluate
from ml.recommend import MODELS
from ml.settings import from_config


def model(dbt, session):
    dbt.config(materialized="table")
    settings = from_config(dbt.config)
    recs = dbt.ref("ml_recommendations")
    truth = dbt.ref("ml_holdout_interactions")
    n_catalog = dbt.ref("ml_train_interactions").select("product_id").distinct().count()
    categories = dbt.ref("dim_products").select("product_id", "category")
    headline = dbt.ref("ml_evaluation_protocol").first()
    table = evaluate(recs, truth, settings.metric_ks, max(n_catalog, 1), categories, MODELS)
    table["is_headline"] = (
        (table["target"] == headline["headline_target"])
        & (table["protocol"] == headline["headline_protocol"])
        & (table["population"] == "all")
        & (table["k"] == settings.top_k)
    )
    return session.createDataFrame(table, schema=EVALUATION_SCHEMA + ", is_headline boolean")
