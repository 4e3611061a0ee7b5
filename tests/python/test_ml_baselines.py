"""Popularity and random baselines on hand-made data."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.popularity import recommend_popularity, top_popular
from ml.random_baseline import recommend_random

# p1: 3 users; p2: 2 users; p3: 1 user, weight 5; p4, p5: 1 user, weight 1 (tie -> by id)
TRAIN = [
    ("a", "p1", 1.0),
    ("a", "p2", 1.0),
    ("b", "p1", 1.0),
    ("b", "p2", 1.0),
    ("c", "p1", 1.0),
    ("c", "p3", 5.0),
    ("d", "p5", 1.0),
    ("d", "p4", 1.0),
    ("f", "p6", 0.5),
]


@pytest.fixture(scope="module")
def train(spark):
    frame = pd.DataFrame(TRAIN, columns=["user_id", "product_id", "weight"])
    frame["last_event_at"] = pd.Timestamp("2024-03-01")
    return spark.createDataFrame(frame).coalesce(1)


def lists(recs) -> dict[str, list[str]]:
    frame = recs.toPandas().sort_values(["user_id", "rank"])
    return {user: list(group.product_id) for user, group in frame.groupby("user_id")}


def test_popularity_order(train) -> None:
    top = top_popular(train, 4).toPandas()
    assert list(top.product_id) == ["p1", "p2", "p3", "p4"]
    assert list(top.pop_rank) == [1, 2, 3, 4]


def test_recommend_popularity(spark, train) -> None:
    users = spark.createDataFrame([("a",), ("d",), ("e",), ("e",)], "user_id string")
    recs = recommend_popularity(train, users, 2)
    assert recs.columns == ["user_id", "product_id", "rank", "score"]
    assert lists(recs) == {"a": ["p3", "p4"], "d": ["p1", "p2"], "e": ["p1", "p2"]}
    frame = recs.toPandas()
    assert frame.set_index(["user_id", "product_id"]).score.to_dict()[("a", "p3")] == 1.0
    assert frame.set_index(["user_id", "product_id"]).score.to_dict()[("e", "p1")] == 3.0
    assert sorted(frame["rank"].unique()) == [1, 2]


def test_popularity_short_lists_when_catalogue_exhausted(spark, train) -> None:
    users = spark.createDataFrame([("a",)], "user_id string")
    assert lists(recommend_popularity(train, users, 10)) == {"a": ["p3", "p4", "p5", "p6"]}


def test_random_is_seeded_unseen_and_ranked(spark, train) -> None:
    users = spark.createDataFrame([("a",), ("b",), ("d",), ("e",)], "user_id string")
    first = recommend_random(train, users, 3, seed=5).toPandas()
    again = recommend_random(train, users, 3, seed=5).toPandas()
    pd.testing.assert_frame_equal(
        first.sort_values(["user_id", "rank"]).reset_index(drop=True),
        again.sort_values(["user_id", "rank"]).reset_index(drop=True),
    )
    seen = set(TRAIN_PAIRS)
    assert not [pair for pair in zip(first.user_id, first.product_id, strict=True) if pair in seen]
    assert set(first.product_id) <= {p for _, p, _ in TRAIN}
    for _, group in first.groupby("user_id"):
        assert sorted(group["rank"]) == list(range(1, 4))
        assert group.sort_values("rank").score.is_monotonic_decreasing
    others = [recommend_random(train, users, 3, seed=s).toPandas() for s in (6, 7)]
    assert any(lists_of(other) != lists_of(first) for other in others), (
        "different seeds should give different lists"
    )


TRAIN_PAIRS = [(u, p) for u, p, _ in TRAIN]


def lists_of(frame: pd.DataFrame) -> dict[str, list[str]]:
    frame = frame.sort_values(["user_id", "rank"])
    return {user: list(group.product_id) for user, group in frame.groupby("user_id")}


def test_k_must_be_positive(spark, train) -> None:
    users = spark.createDataFrame([("a",)], "user_id string")
    with pytest.raises(ValueError, match="k must be"):
        recommend_popularity(train, users, 0)
