"""The quality bar on the demo shop: ALS Precision@10 >= 2x popularity's > random's.

The demo shop (200k events over 2 years, the `make demo` seed) is generated in a temporary
folder and evaluated with the ml package alone (pandas split, no dbt), with the ALS
settings of dbt_project.yml. The dbt pipeline tests run on a shop too small for the margin
to show reliably (30k events); this test guards the planted structure and the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import functions as F

from cartwheel.demo import DEFAULT_INTERACTIONS, DEMO_SHOP
from cartwheel.generate import generate_shop
from ml.als import train_and_recommend
from ml.metrics import ranking_metrics
from ml.offline import read_events, split
from ml.popularity import recommend_popularity
from ml.random_baseline import recommend_random
from ml.settings import from_project

PROJECT = Path(__file__).resolve().parents[2]
K = 10


@pytest.fixture(scope="module")
def precision(spark, tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    root = tmp_path_factory.mktemp("demo_shop")
    generate_shop(root, interactions=DEFAULT_INTERACTIONS, progress=False, **DEMO_SHOP)
    train_pd, holdout_pd, _ = split(read_events(root))
    train = spark.createDataFrame(train_pd).localCheckpoint()
    truth = spark.createDataFrame(holdout_pd).localCheckpoint()
    users = truth.select("user_id").distinct()
    settings = from_project(PROJECT)
    als, _ = train_and_recommend(train, users, K, settings.als, backend="implicit")
    recs = (
        als.withColumn("model", F.lit("als"))
        .unionByName(recommend_popularity(train, users, K).withColumn("model", F.lit("pop")))
        .unionByName(recommend_random(train, users, K, seed=1).withColumn("model", F.lit("rnd")))
    )
    n_items = train_pd["product_id"].nunique()
    metrics = ranking_metrics(recs, truth, K, n_items).set_index("model")
    return metrics["precision_at_k"].astype(float).to_dict()


def test_als_at_least_twice_popularity(precision: dict[str, float]) -> None:
    assert precision["als"] >= 2 * precision["pop"], precision


def test_popularity_beats_random(precision: dict[str, float]) -> None:
    assert precision["pop"] > 2 * precision["rnd"], precision
