"""Ranking metrics: a hand-computed example and agreement with Spark's RankingEvaluator."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pyspark.ml.evaluation import RankingEvaluator

from ml.metrics import METRIC_COLUMNS, ideal_dcg, ranking_metrics

RECS = [
    # model m: u1 hits at ranks 1 and 3 (rank 4 is beyond K and ignored)
    ("m", "u1", "A", 1),
    ("m", "u1", "B", 2),
    ("m", "u1", "C", 3),
    ("m", "u1", "X", 4),
    # u2: only two recs, hit at rank 2
    ("m", "u2", "D", 1),
    ("m", "u2", "E", 2),
    # u3: no hit
    ("m", "u3", "A", 1),
    ("m", "u3", "B", 2),
    ("m", "u3", "C", 3),
    # u5 has no holdout: counts for coverage only
    ("m", "u5", "F", 1),
    # model n: only u1, perfect first hit
    ("n", "u1", "C", 1),
]
TRUTH = [
    ("u1", "A"),
    ("u1", "C"),
    ("u1", "X"),
    ("u1", "Y"),
    ("u1", "Y"),  # duplicate pair: counted once
    ("u2", "E"),
    ("u3", "Z"),
    ("u4", "A"),  # no recs: skipped
]
CATEGORIES = [("A", "x"), ("B", "x"), ("C", "y"), ("D", "y"), ("E", "z"), ("F", None)]
K = 3


def log2(x: float) -> float:
    return math.log2(x)


@pytest.fixture(scope="module")
def metrics(spark) -> pd.DataFrame:
    recs = spark.createDataFrame(RECS, "model string, user_id string, product_id string, rank int")
    truth = spark.createDataFrame(TRUTH, "user_id string, product_id string")
    categories = spark.createDataFrame(CATEGORIES, "product_id string, category string")
    return ranking_metrics(recs, truth, K, n_catalog_items=10, item_categories=categories)


def test_hand_computed(metrics: pd.DataFrame) -> None:
    assert list(metrics.columns) == METRIC_COLUMNS
    m = metrics.set_index("model").loc["m"]
    ndcg_u1 = (1 + 1 / log2(4)) / (1 + 1 / log2(3) + 1 / log2(4))
    ndcg_u2 = (1 / log2(3)) / 1
    ap_u1 = (1 / 1 + 2 / 3) / 3  # min(|T|=4, K=3)
    ap_u2 = (1 / 2) / 1
    expected = {
        "k": 3,
        "precision_at_k": (2 / 3 + 1 / 3 + 0) / 3,
        "recall_at_k": (2 / 4 + 1 / 1 + 0) / 3,
        "ndcg_at_k": (ndcg_u1 + ndcg_u2 + 0) / 3,
        "map_at_k": (ap_u1 + ap_u2 + 0) / 3,
        "hit_rate_at_k": 2 / 3,
        "catalog_coverage": 6 / 10,
        "intra_list_diversity": (2 / 3 + 1 + 2 / 3) / 3,
        "n_users_evaluated": 3,
        "n_users_skipped": 1,
    }
    for column, value in expected.items():
        assert m[column] == pytest.approx(value), column
    n = metrics.set_index("model").loc["n"]
    assert n["precision_at_k"] == pytest.approx(1 / 3)
    assert n["recall_at_k"] == pytest.approx(1 / 4)
    assert n["ndcg_at_k"] == pytest.approx(1 / ideal_dcg(3))
    assert n["map_at_k"] == pytest.approx(1 / 3)
    assert n["n_users_evaluated"] == 1 and n["n_users_skipped"] == 3
    assert math.isnan(n["intra_list_diversity"])  # a single recommendation has no pairs


def test_no_categories_gives_null_diversity(spark) -> None:
    recs = spark.createDataFrame(RECS, "model string, user_id string, product_id string, rank int")
    truth = spark.createDataFrame(TRUTH, "user_id string, product_id string")
    out = ranking_metrics(recs, truth, K, n_catalog_items=10)
    assert out.intra_list_diversity.isna().all()


def random_lists(seed: int = 3, users: int = 60, items: int = 40):
    rng = np.random.default_rng(seed)
    recs, truth = [], []
    for u in range(users):
        n_recs = int(rng.integers(1, 13))
        for rank, item in enumerate(rng.choice(items, size=n_recs, replace=False), start=1):
            recs.append(("r", f"u{u}", f"i{item}", rank))
        for item in rng.choice(items, size=int(rng.integers(1, 16)), replace=False):
            truth.append((f"u{u}", f"i{item}"))
    return recs, truth


@pytest.mark.parametrize("k", [5, 10])
def test_agrees_with_spark_ranking_evaluator(spark, k: int) -> None:
    recs, truth = random_lists()
    ours = ranking_metrics(
        spark.createDataFrame(recs, "model string, user_id string, product_id string, rank int"),
        spark.createDataFrame(truth, "user_id string, product_id string"),
        k,
        n_catalog_items=40,
    ).iloc[0]
    # the evaluator sees the full predicted list in rank order and the truth list
    predicted = pd.DataFrame(recs, columns=["model", "user_id", "product_id", "rank"])
    predicted["item"] = predicted.product_id.str[1:].astype(float)
    labels = pd.DataFrame(truth, columns=["user_id", "product_id"])
    labels["item"] = labels.product_id.str[1:].astype(float)
    rows = [
        (list(group.sort_values("rank").item), list(labels[labels.user_id == user].item))
        for user, group in predicted.groupby("user_id")
    ]
    frame = spark.createDataFrame(rows, "prediction array<double>, label array<double>")
    pairs = {
        "precisionAtK": "precision_at_k",
        "recallAtK": "recall_at_k",
        "ndcgAtK": "ndcg_at_k",
        "meanAveragePrecisionAtK": "map_at_k",
    }
    for spark_name, ours_name in pairs.items():
        evaluator = RankingEvaluator(metricName=spark_name, k=k)
        assert evaluator.evaluate(frame) == pytest.approx(ours[ours_name]), spark_name
