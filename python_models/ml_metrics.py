"""Precision@K, recall, NDCG, MAP, hit rate, coverage and diversity on the test window,
per model, target, protocol, population and K; the headline slice is flagged. Each model's
metrics are also a run in MLflow (ml/tracking.py), whose id is in mlflow_run_id."""

from cartwheel.home import home
from ml.local.frames import categories_frame, holdout_frame
from ml.local.recommend import is_local
from ml.recommend import from_table
from ml.settings import from_config
from ml.tracking import track_build
from ml.tuning import tuned_settings
from ml.windows import METRICS_SCHEMA, blend_weights_of, evaluate_recommendations


def model(dbt, session):
    dbt.config(materialized="table")
    settings = tuned_settings(from_config(dbt.config.meta_get("ml_vars")), dbt.ref("ml_tuning"))
    train = dbt.ref("ml_train_interactions")
    n_catalog = train.select("product_id").distinct().count()
    validation = dbt.ref("ml_validation_metrics").toPandas()
    recommendations = dbt.ref("ml_recommendations")
    recs = from_table(recommendations, settings, n_catalog, blend_weights_of(validation))
    holdout = dbt.ref("ml_holdout_interactions")
    categories = dbt.ref("dim_products").select("product_id", "category")
    if is_local(train, settings):  # evaluate on the driver: one collect, no Spark jobs
        recs.table = recommendations.toPandas()
        holdout, categories = holdout_frame(holdout), categories_frame(categories)
    table = evaluate_recommendations(recs, holdout, settings, n_catalog, categories)
    headline = dbt.ref("ml_evaluation_protocol").first()
    table["is_headline"] = (
        (table["target"] == headline["headline_target"])
        & (table["protocol"] == headline["headline_protocol"])
        & (table["population"] == "all")
        & (table["k"] == settings.top_k)
    )
    run_ids = track_build(
        settings,
        home(),
        table,
        validation,
        recommendations,
        {"target": headline["headline_target"], "protocol": headline["headline_protocol"]},
    )
    table["mlflow_run_id"] = table["model"].map(run_ids)
    return session.createDataFrame(
        table, schema=METRICS_SCHEMA + ", is_headline boolean, mlflow_run_id string"
    )
