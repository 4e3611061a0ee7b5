"""The local backend (``ml.local``: pandas, numpy, scipy) against the Spark backend on one
window with ties, cold users, purchases and repeat pairs: the same lists for every
deterministic model and the same metrics, computed by two independent implementations."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.als import AlsParams
from ml.evaluation import QUALITY, evaluate
from ml.local import evaluation as local_evaluation
from ml.local.frames import categories_frame, holdout_frame, train_frame
from ml.local.rankers import recommend_random
from ml.local.recommend import recommend_all_local, use_local
from ml.recommend import recommend_all
from ml.settings import from_config, from_project

ROOT = Path(__file__).resolve().parents[2]
END = datetime(2024, 3, 1)
KEY = ["model", "protocol", "user_id", "product_id", "rank"]


@pytest.fixture(scope="module")
def window(spark):
    """60 users x 30 products with skewed popularity (many ties in small counts), whole-day
    timestamps (ties in recency), purchases on 1-3 days, and a holdout with cold users."""
    rng = np.random.default_rng(11)
    rows = []
    for u in range(60):
        n_items = int(rng.integers(1, 12))
        items = rng.choice(30, size=n_items, replace=False, p=np.arange(30, 0, -1) / 465)
        for p in items:
            bought = int(rng.integers(0, 4)) if rng.random() < 0.3 else 0
            at = END - timedelta(days=int(rng.integers(0, 40)))
            rows.append(
                (
                    f"u{u:02d}",
                    f"p{p:02d}",
                    float(rng.choice([1, 3, 5, 8])),
                    bought,
                    bought,
                    at,
                    at if bought else None,
                )
            )
    train = pd.DataFrame(
        rows,
        columns=[
            "user_id",
            "product_id",
            "weight",
            "n_purchases",
            "n_purchase_days",
            "last_event_at",
            "last_purchase_at",
        ],
    )
    holdout = [
        (f"u{u:02d}", f"p{p:02d}", bool(rng.random() < 0.4))
        for u in range(0, 70, 2)
        for p in rng.choice(30, size=3, replace=False)
    ]
    seen = set(zip(train.user_id, train.product_id, strict=True))
    warm = set(train.user_id)
    holdout = pd.DataFrame(
        [(u, p, b, (u, p) in seen, u in warm) for u, p, b in holdout],
        columns=["user_id", "product_id", "is_purchase", "is_repeat", "is_warm_user"],
    )
    categories = pd.DataFrame(
        {
            "product_id": [f"p{p:02d}" for p in range(30)],
            "category": [f"c{p % 4}" for p in range(30)],
        }
    )
    return (
        spark.createDataFrame(train),
        spark.createDataFrame(holdout),
        spark.createDataFrame(categories),
    )


@pytest.fixture(scope="module")
def settings():
    return replace(
        from_project(ROOT),
        als=AlsParams(rank=4, max_iter=3, seed=1),
        als_backend="implicit",
        knn_neighbours=5,
        knn_max_user_items=6,
        active_users=10,
    )


@pytest.fixture(scope="module")
def both(window, settings):
    train, holdout, _ = window
    spark_recs = recommend_all(train, holdout, settings, blend_weights=None)
    spark_table = spark_recs.table.toPandas()
    local = recommend_all_local(train_frame(train), holdout_frame(holdout), settings, None)
    return spark_recs, spark_table, local


def test_every_deterministic_list_is_the_same_on_both_backends(both) -> None:
    spark_recs, spark_table, local = both
    deterministic = [m for m in spark_recs.models if m != "random"]
    for table in (spark_table, local.table):
        assert set(table.model) - {"random"} == set(deterministic)
    a = spark_table[spark_table.model != "random"].sort_values(KEY).reset_index(drop=True)
    b = local.table[local.table.model != "random"].sort_values(KEY).reset_index(drop=True)
    assert len(a) > 500  # every model made lists for most of the users
    diff = a[KEY].merge(b[KEY], how="outer", indicator=True)
    diff = diff[diff._merge != "both"]
    assert diff.empty, diff.sort_values(["model", "protocol", "user_id", "rank"]).to_string()
    np.testing.assert_allclose(a.score, b.score, rtol=1e-6)
    assert spark_recs.skipped == local.skipped
    assert spark_recs.blend_weights == local.blend_weights


def test_metrics_are_the_same_on_both_backends(both, window, settings) -> None:
    """The pandas evaluation of the Spark backend's lists equals the Spark evaluation."""
    spark_recs, spark_table, _ = both
    _, holdout, categories = window
    args = (settings.metric_ks, 30)
    by_spark = evaluate(spark_recs.table, holdout, *args, categories, spark_recs.models)
    by_pandas = local_evaluation.evaluate(
        spark_table, holdout_frame(holdout), *args, categories_frame(categories), spark_recs.models
    )
    assert len(by_spark) == len(by_pandas) > 0
    assert by_spark["n_users"].gt(0).any()
    pd.testing.assert_frame_equal(
        by_spark.drop(columns=[*QUALITY, "catalog_coverage", "intra_list_diversity"]),
        by_pandas.drop(columns=[*QUALITY, "catalog_coverage", "intra_list_diversity"]),
        check_dtype=False,
    )
    for column in (*QUALITY, "catalog_coverage", "intra_list_diversity"):
        np.testing.assert_allclose(
            by_spark[column].astype(float),
            by_pandas[column].astype(float),
            rtol=1e-9,
            err_msg=column,
        )


def test_local_random_is_seeded_unseen_and_full(window) -> None:
    train = train_frame(window[0])
    users = np.array(sorted(train.user_id.unique()), dtype=object)
    first = recommend_random(train, users, 5, seed=7, exclude_seen=True)
    again = recommend_random(train, users, 5, seed=7, exclude_seen=True)
    other = recommend_random(train, users, 5, seed=8, exclude_seen=True)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    seen = set(zip(train.user_id, train.product_id, strict=True))
    assert not any((u, p) in seen for u, p in zip(first.user_id, first.product_id, strict=True))
    assert set(first.product_id) <= set(train.product_id)
    assert first.groupby("user_id")["rank"].apply(list).map(lambda r: r == [1, 2, 3, 4, 5]).all()


def test_the_backend_follows_the_var() -> None:
    auto = from_config({"ml_local_max_rows": 100})
    assert use_local(auto, 100) and not use_local(auto, 101)
    assert use_local(from_config({"ml_backend": "local"}), 10**9)
    assert not use_local(from_config({"ml_backend": "spark"}), 1)
    with pytest.raises(ValueError, match="ml_backend"):
        from_config({"ml_backend": "gpu"})


def test_auto_leaves_a_window_past_the_memory_to_spark() -> None:
    # by hand, top 10, 50 target users, 1,000 training pairs x 200 bytes = 200,000 bytes:
    # popularity and ALS: 2 protocols x 2 models = 4 lists of 10 rows per user = 2,000 rows
    # x 500 bytes = 1,000,000 + 200,000 = 1,200,000 bytes, local within half the memory
    settings = from_config(
        {"ml_recommenders": ["popularity", "als"], "top_k": 10, "ml_metric_ks": [10]}
    )
    assert use_local(settings, 1_000, 50, memory_bytes=2_400_000)
    assert not use_local(settings, 1_000, 50, memory_bytes=2_399_998)
    # with blend: ALS is its one component, tried at weight 1 and at the boost; choosing the
    # weighting (validation) 2 x (2 models + 2 weightings) = 8 lists: 4,000 rows, 2,200,000
    # bytes; with the weighting chosen 2 x (2 + 1) = 6 lists: 3,000 rows, 1,700,000 bytes
    blend = from_config(
        {"ml_recommenders": ["popularity", "als", "blend"], "top_k": 10, "ml_metric_ks": [10]}
    )
    assert use_local(blend, 1_000, 50, memory_bytes=4_400_000)
    assert not use_local(blend, 1_000, 50, memory_bytes=4_399_998)
    assert use_local(blend, 1_000, 50, memory_bytes=3_400_000, choosing_blend=False)
    assert not use_local(blend, 1_000, 50, memory_bytes=3_399_998, choosing_blend=False)
    assert not use_local(settings, 10**9, 0, memory_bytes=10**15)  # ml_local_max_rows first
    assert use_local(from_config({"ml_backend": "local"}), 1_000, 10**9, memory_bytes=1)
