"""Precision@K, recall, NDCG, MAP, hit rate, coverage and diversity per model."""

from ml.metrics import ranking_metrics
from ml.settings import from_config


def model(dbt, session):
    dbt.config(materialized="table")
    settings = from_config(dbt.config)
    recs = dbt.ref("ml_recommendations")
    truth = dbt.ref("ml_holdout_interactions")
    n_catalog = dbt.ref("ml_train_interactions").select("product_id").distinct().count()
    categories = dbt.ref("dim_products").select("product_id", "category")
    table = ranking_metrics(recs, truth, settings.top_k, n_catalog, categories)
    return session.createDataFrame(table)
