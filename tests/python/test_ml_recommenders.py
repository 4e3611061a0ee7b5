"""The recommenders of issue 11 on tiny hand-made data whose answers are computed by hand
(or, for EASE, by an independent numpy solve of the constrained least squares)."""

from __future__ import annotations

import math
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from ml.als import AlsParams
from ml.blend import FLOOR_WEIGHT, blend_lists, candidate_weights
from ml.buy_again import recommend_buy_again
from ml.ease import fit_ease, fit_ease_model, too_many_items
from ml.item_knn import item_neighbours, recommend_item_knn
from ml.local.item_knn import ItemKnn
from ml.matrix import top_n_candidates, top_n_per_row
from ml.recommend import recommend_all
from ml.settings import from_config, from_project
from ml.trending import recommend_trending, trending_table

ROOT = Path(__file__).resolve().parents[2]
DAY = pd.Timedelta(days=1)
END = pd.Timestamp("2024-06-30")


def frame(spark, rows, columns):
    return spark.createDataFrame(pd.DataFrame(rows, columns=columns)).coalesce(1)


def lists(recs) -> dict[str, list[str]]:
    table = recs.toPandas().sort_values(["user_id", "rank"])
    return {user: list(group.product_id) for user, group in table.groupby("user_id")}


def training(spark, pairs: list[tuple]) -> object:
    """(user, product, weight, days before END, purchase days) -> the training contract."""
    rows = [
        (u, p, w, 1, n, n, END - d * DAY, (END - d * DAY) if n else None) for u, p, w, d, n in pairs
    ]
    columns = [
        "user_id",
        "product_id",
        "weight",
        "n_events",
        "n_purchases",
        "n_purchase_days",
        "last_event_at",
        "last_purchase_at",
    ]
    return frame(spark, rows, columns)


# --- trending: decay ------------------------------------------------------------------

# "old" has 4 users two half-lives (28 days) before the end, "new" 2 users at the end:
# trend scores 4 x 0.25 = 1.0 and 2 x 1 = 2.0, so "new" leads although "old" has more users.
TREND = [(f"o{i}", "old", 1.0, 28, 0) for i in range(4)] + [
    ("n0", "new", 1.0, 0, 0),
    ("n1", "new", 1.0, 0, 0),
    ("o0", "mid", 1.0, 14, 0),  # one user one half-life ago: 0.5
]


def test_trending_decays_by_half_life(spark) -> None:
    train = training(spark, TREND)
    scores = trending_table(train, 14.0).toPandas().set_index("product_id")["trend_score"]
    assert scores.to_dict() == pytest.approx({"old": 1.0, "new": 2.0, "mid": 0.5})
    users = frame(spark, [("o0",), ("cold",)], ["user_id"])
    got = lists(recommend_trending(train, users, 3, 14.0, exclude_seen=True))
    assert got == {"cold": ["new", "old", "mid"], "o0": ["new"]}
    # without decay (a very long half-life) popularity order returns: old (4) first
    assert lists(recommend_trending(train, users, 1, 1e9, exclude_seen=False))["cold"] == ["old"]


def test_trending_rejects_a_bad_half_life(spark) -> None:
    with pytest.raises(ValueError, match="half-life"):
        trending_table(training(spark, TREND), 0.0)


# --- buy again: frequency, then recency ---------------------------------------------------


def test_buy_again_orders_by_purchase_days_then_recency(spark) -> None:
    train = training(
        spark,
        [
            ("u", "often", 5.0, 20, 3),  # bought on 3 days
            ("u", "recent", 1.0, 1, 1),  # 1 day, yesterday
            ("u", "older", 1.0, 9, 1),  # 1 day, 9 days ago
            ("u", "viewed", 0.1, 0, 0),  # never bought: not a candidate
            ("v", "viewed", 0.1, 0, 0),  # a user who never bought: no list
        ],
    )
    users = frame(spark, [("u",), ("v",), ("cold",)], ["user_id"])
    recs = recommend_buy_again(train, users, 10)
    assert lists(recs) == {"u": ["often", "recent", "older"]}
    assert recs.toPandas().sort_values("rank")["score"].tolist() == [3.0, 1.0, 1.0]


# --- item-kNN: cosine with shrinkage, top-N, pruning ----------------------------------------

# u1 {A, B}, u2 {A, B, C}, u3 {A, C}: n_A = 3, n_B = n_C = 2; common AB = AC = 2, BC = 1.
KNN = [
    ("u1", "A", 1.0, 2, 0),
    ("u1", "B", 1.0, 1, 0),
    ("u2", "A", 1.0, 3, 0),
    ("u2", "B", 1.0, 2, 0),
    ("u2", "C", 1.0, 1, 0),
    ("u3", "A", 1.0, 2, 0),
    ("u3", "C", 1.0, 1, 0),
]


def test_item_knn_similarities_by_hand(spark) -> None:
    train = training(spark, KNN)
    sims = item_neighbours(train, 10, 1.0, 100).toPandas()
    got = {(r.product_id, r.neighbour_id): r.similarity for r in sims.itertuples()}
    ab = 2 / (math.sqrt(3 * 2) + 1)
    bc = 1 / (math.sqrt(2 * 2) + 1)
    assert got == pytest.approx(
        {
            ("A", "B"): ab,
            ("B", "A"): ab,
            ("A", "C"): ab,
            ("C", "A"): ab,
            ("B", "C"): bc,
            ("C", "B"): bc,
        }
    )
    # one neighbour per item: B and C keep A; A's tie (B, C) goes to the larger id, C
    top1 = item_neighbours(train, 1, 1.0, 100).toPandas()
    assert dict(zip(top1.product_id, top1.neighbour_id, strict=True)) == {
        "A": "C",
        "B": "A",
        "C": "A",
    }


def test_item_knn_scores_and_exclusion(spark) -> None:
    train = training(spark, KNN)
    neighbours = item_neighbours(train, 10, 0.0, 100)
    users = frame(spark, [("u1",), ("cold",)], ["user_id"])
    new = recommend_item_knn(train, users, 5, neighbours, 100, exclude_seen=True).toPandas()
    # u1 has A and B: C scores sim(A, C) + sim(B, C) = 2/sqrt(6) + 1/2; cold users get nothing
    assert list(new.user_id) == ["u1"] and list(new.product_id) == ["C"]
    assert new.score.iloc[0] == pytest.approx(2 / math.sqrt(6) + 0.5)
    repeat = lists(recommend_item_knn(train, users, 5, neighbours, 100, exclude_seen=False))
    # C 2/sqrt(6) + 1/2 = 1.316; A = sim(B, A) and B = sim(A, B) tie at 0.816: larger id B
    assert repeat == {"u1": ["C", "B", "A"]}


def test_item_knn_prunes_to_recent_items(spark) -> None:
    # one item per user: no user contributes a pair, so no item has a neighbour
    assert item_neighbours(training(spark, KNN), 10, 0.0, 1).count() == 0


def test_local_item_knn_keeps_each_users_most_recent_items() -> None:
    day = pd.Timestamp("2024-01-01")
    train = pd.DataFrame(
        {
            "user_id": ["u", "u", "u", "u", "v", "v"],
            "product_id": ["C", "D", "B", "A", "A", "A"],
            "last_event_at": [day, pd.NaT, day + pd.Timedelta(days=1), day, day, day],
        }
    )
    knn = ItemKnn(train, 10, 0.0, 2)
    rows, cols = knn.matrix.nonzero()
    held = {(knn.user_ids[r], knn.item_ids[c]) for r, c in zip(rows, cols, strict=True)}
    # u: B (latest), then A of A and C (same time: the smaller id); D (no time) comes last.
    # v's pair listed twice is one entry of 1; C and D, held by nobody, are no column.
    assert held == {("u", "B"), ("u", "A"), ("v", "A")}
    assert knn.matrix.data.tolist() == [1, 1, 1]
    assert list(knn.item_ids) == ["A", "B"]


# --- EASE: closed form against a direct constrained least-squares solve -------------------


def ease_by_columns(x: np.ndarray, l2: float) -> np.ndarray:
    """For each item j: argmin ||X_j - X b||^2 + l2 ||b||^2 subject to b_j = 0, solved on
    the other columns (no closed form involved)."""
    n = x.shape[1]
    b = np.zeros((n, n))
    for j in range(n):
        others = [i for i in range(n) if i != j]
        xo = x[:, others]
        b[others, j] = np.linalg.solve(xo.T @ xo + l2 * np.eye(n - 1), xo.T @ x[:, j])
    return b


def test_ease_equals_the_constrained_solve() -> None:
    x = np.array(
        [[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 1], [1, 1, 1, 0], [0, 0, 1, 1]], dtype=float
    )
    for l2 in (0.5, 3.0):
        np.testing.assert_allclose(
            fit_ease(sp.csr_matrix(x), l2), ease_by_columns(x, l2), atol=1e-10
        )


def test_ease_blocks_of_the_inverse_agree() -> None:
    # the inverse is mirrored a block of rows at a time: blocks of 1, 2 and 4 rows (and the
    # default, one block) over 7 items give the constrained solve's weights
    rng = np.random.default_rng(7)
    x = (rng.random((30, 7)) < 0.4).astype(float)
    expected = ease_by_columns(x, 2.0)
    for block in (1, 2, 4, 1024):
        np.testing.assert_allclose(fit_ease(sp.csr_matrix(x), 2.0, block), expected, atol=1e-10)


def test_top_n_per_row_sorts_like_a_full_sort() -> None:
    # by hand: each row's columns sorted by (score descending, column ascending); many ties
    # (scores of four values), seen items at -inf, a row of one score, a row of -inf
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 4, size=(40, 120)).astype(float)
    scores[rng.random(scores.shape) < 0.2] = -np.inf
    scores[0, :] = 1.0
    scores[1, :] = -np.inf
    scores[2, :5] = 9.0  # fewer than n above the rest
    for n in (1, 5, 20, 30, 120):  # 30 and 120: rows too narrow to partition, a full sort
        expected = [
            sorted(range(scores.shape[1]), key=lambda col, row=row: (-row[col], col))[:n]
            for row in scores
        ]
        np.testing.assert_array_equal(top_n_per_row(scores, n), np.array(expected))


def test_top_n_candidates_keep_each_rows_best_and_their_ties() -> None:
    # by hand, n = 2: [5, 3, 3, 1] keeps 5 and both 3s (tied at the 2nd value); [2, 1] has
    # at most n entries; [4, 4, 4] is all tied; an empty row; [1, 9, 2] keeps 9 and 2
    matrix = sp.csr_matrix(
        np.array(
            [[5, 3, 3, 1], [2, 1, 0, 0], [4, 4, 4, 0], [0, 0, 0, 0], [1, 9, 2, 0]], dtype=float
        )
    )
    keep = top_n_candidates(matrix, 2)
    kept = [sorted(matrix.data[s:e][keep[s:e]].tolist()) for s, e in pairwise(matrix.indptr)]
    assert kept == [[3, 3, 5], [1, 2], [4, 4, 4], [], [2, 9]]


def test_ease_lists_and_skip(spark) -> None:
    train = training(spark, KNN)
    model = fit_ease_model(train, 1.0, 10)
    users = frame(spark, [("u1",), ("cold",)], ["user_id"])
    recs = model.recommend(users, 3, exclude_seen=True).toPandas()
    x = np.array([[1, 1, 0], [1, 1, 1], [1, 0, 1]], dtype=float)  # users u1..u3, items A, B, C
    expected = (x[0] @ ease_by_columns(x, 1.0))[2]
    assert list(recs.product_id) == ["C"] and recs.score.iloc[0] == pytest.approx(expected)
    skipped = fit_ease_model(train, 1.0, 2)
    assert skipped.skipped == too_many_items(3, 2) and "3 products" in skipped.skipped


# --- blend: weighted reciprocal-rank fusion --------------------------------------------------


def test_blend_weights_by_hand(spark) -> None:
    cols = ["user_id", "product_id", "rank"]
    m1 = frame(spark, [("u", "a", 1), ("u", "b", 2)], cols)
    m2 = frame(spark, [("u", "b", 1), ("u", "c", 2)], cols)
    trending = frame(spark, [("u", "t", 1), ("cold", "t", 1), ("cold", "s", 2)], cols)
    parts = {"als": m1, "item_knn": m2, "trending": trending}
    # offset 1: a = 2/2 = 1, b = 2/3 + 1/2 = 1.1667, c = 1/3, t = 0.001/2 (floor weight)
    recs = blend_lists(parts, {"als": 2.0, "item_knn": 1.0, "trending": 0.0}, 10, 1.0).toPandas()
    u = recs[recs.user_id == "u"].sort_values("rank")
    assert list(u.product_id) == ["b", "a", "c", "t"]
    assert list(u.score) == pytest.approx([2 / 3 + 1 / 2, 1.0, 1 / 3, FLOOR_WEIGHT / 2])
    cold = recs[recs.user_id == "cold"].sort_values("rank")
    assert list(cold.product_id) == ["t", "s"]  # cold users get trending
    # weight 0 for als drops it: b = 1, c = 1/2, a absent
    only = lists(blend_lists(parts, {"als": 0.0, "item_knn": 1.0}, 10, 1.0))
    assert only["u"][:2] == ["b", "c"] and "a" not in only["u"]


def test_blend_candidates() -> None:
    got = candidate_weights(["als", "trending"], 4.0)
    assert got[0] == {"als": 1.0, "trending": 1.0}
    assert {"als": 4.0, "trending": 1.0} in got and {"als": 0.0, "trending": 1.0} in got
    assert len(got) == 5  # equal, two boosted, two dropped


# --- the registry on one tiny window ------------------------------------------------------


def test_recommend_all_runs_every_recommender(spark) -> None:
    train = training(spark, [(u, p, w, d, 1) for u, p, w, d, _ in KNN])
    holdout = frame(spark, [("u1", "C"), ("cold", "A")], ["user_id", "product_id"])
    settings = replace(
        from_project(ROOT), als=AlsParams(rank=2, max_iter=2, seed=1), als_backend="implicit"
    )
    made = recommend_all(train, holdout, settings, blend_weights=None)
    table = made.table.toPandas()
    pairs = set(zip(table.model, table.protocol, strict=True))
    for model in ("popularity", "trending", "item_knn", "ease", "als", "random"):
        assert (model, "new_items") in pairs and (model, "repeat_aware") in pairs, model
    assert ("buy_again", "repeat_aware") in pairs and ("buy_again", "new_items") not in pairs
    assert "new_items" in made.skipped[("buy_again", "new_items")]
    blends = {m for m in table.model if m.startswith("blend:")}
    assert blends and blends == set(made.blend_weights)
    # every blend candidate serves the cold user (through trending)
    cold = table[(table.user_id == "cold") & table.model.str.startswith("blend:")]
    assert set(cold.model) == blends


# --- one place for each default -----------------------------------------------------------


def test_defaults_equal_the_dbt_vars() -> None:
    project = from_project(ROOT)
    assert from_config({}) == project
    assert AlsParams() == project.als
