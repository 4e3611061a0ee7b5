"""Revenue scenarios: the classic formula, price-aware values, bootstrap CI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml.revenue import REVENUE_COLUMNS, bootstrap_uplift, classic_revenue, revenue_scenarios

# popularity: u1 hits A (price 10), u2 no hit, u3 hits B (no price)
# als: u1 hits A and C (price 30), u2 hits D (price 50), u3 no hit
RECS = [
    ("popularity", "u1", "A", 1),
    ("popularity", "u1", "Z", 2),
    ("popularity", "u2", "Z", 1),
    ("popularity", "u3", "B", 1),
    ("als", "u1", "A", 1),
    ("als", "u1", "C", 2),
    ("als", "u2", "D", 1),
    ("als", "u3", "Z", 1),
]
TRUTH = [("u1", "A"), ("u1", "C"), ("u2", "D"), ("u3", "B")]
PRODUCTS = [("A", "10.00"), ("B", None), ("C", "30.00"), ("D", "50.00"), ("Z", "99.00")]
K = 2


@pytest.fixture(scope="module")
def scenarios(spark) -> pd.DataFrame:
    return revenue_scenarios(
        spark.createDataFrame(RECS, "model string, user_id string, product_id string, rank int"),
        spark.createDataFrame(TRUTH, "user_id string, product_id string"),
        spark.createDataFrame(PRODUCTS, "product_id string, price string").selectExpr(
            "product_id", "cast(price as decimal(10, 2)) as price"
        ),
        k=K,
        n_boot=200,
        seed=1,
    )


def test_classic_formula() -> None:
    # by hand: 1,000,000 impressions x 5 % conversion x 40.00 order value x P@K 0.1
    assert classic_revenue(0.1) == pytest.approx(200_000.0)
    assert classic_revenue(0.2, 10, 0.5, 2.0) == pytest.approx(2.0)


def test_scenarios(scenarios: pd.DataFrame) -> None:
    assert list(scenarios.columns) == REVENUE_COLUMNS
    assert list(scenarios.model) == ["popularity", "als"]
    pop, als = scenarios.iloc[0], scenarios.iloc[1]
    assert pop.is_baseline and not als.is_baseline
    assert pop.precision_at_k == pytest.approx(2 / (3 * K))
    assert als.precision_at_k == pytest.approx(3 / (3 * K))
    assert als.revenue_classic == pytest.approx(classic_revenue(0.5))
    assert als.uplift_classic == pytest.approx(0.5)
    assert pop.uplift_classic == 0.0
    assert pop.hits_without_price == 1 and als.hits_without_price == 0
    assert pop.value_per_impression == pytest.approx(10.0 / (3 * K))
    assert als.value_per_impression == pytest.approx(90.0 / (3 * K))
    assert als.revenue_price_aware == pytest.approx(1_000_000 * 0.05 * 90.0 / 6)
    assert als.uplift_price_aware == pytest.approx(8.0)
    assert math.isnan(pop.uplift_price_aware_ci_low)
    # the interval holds the point uplift (0.5, by hand above) and no impossible value
    # (an uplift below -100 %)
    assert -1.0 <= als.uplift_classic_ci_low < 0.5 < als.uplift_classic_ci_high
    assert als.n_boot == 200 and als.ci_level == pytest.approx(0.95)


def test_price_aware_equals_classic_at_constant_price(spark) -> None:
    products = [(p, 40.0) for p, _ in PRODUCTS]
    out = revenue_scenarios(
        spark.createDataFrame(RECS, "model string, user_id string, product_id string, rank int"),
        spark.createDataFrame(TRUTH, "user_id string, product_id string"),
        spark.createDataFrame(products, "product_id string, price double"),
        k=K,
        n_boot=0,
    )
    np.testing.assert_allclose(out.revenue_price_aware, out.revenue_classic)


def test_bootstrap_interval_covers_the_uplift() -> None:
    rng = np.random.default_rng(0)
    base = rng.binomial(1, 0.2, size=2000).astype(float)
    better = rng.binomial(1, 0.3, size=2000).astype(float)
    better[:100] = np.nan  # a model that skips some users
    low, high = bootstrap_uplift(np.column_stack([base, better]), 0, n_boot=300, seed=2)
    point = np.nanmean(better) / base.mean() - 1
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert low[1] < point < high[1]
    # the planted uplift (0.3 / 0.2 - 1 = 0.5) is inside, and no uplift (0) is outside
    assert low[1] < 0.5 < high[1] and low[1] > 0.0
    again = bootstrap_uplift(np.column_stack([base, better]), 0, n_boot=300, seed=2)
    assert again[0][1] == low[1] and again[1][1] == high[1]


def test_bootstrap_interval_holds_zero_when_nothing_was_planted() -> None:
    rng = np.random.default_rng(3)
    same = rng.binomial(1, 0.2, size=(3000, 2)).astype(float)  # two draws of one rate
    low, high = bootstrap_uplift(same, 0, n_boot=300, seed=4)
    assert low[1] < 0.0 < high[1]
    assert high[1] - low[1] < 0.3  # and it is not so wide that it holds everything


def test_unknown_baseline_is_an_error(spark) -> None:
    with pytest.raises(ValueError, match="baseline model 'random'"):
        revenue_scenarios(
            spark.createDataFrame(
                RECS, "model string, user_id string, product_id string, rank int"
            ),
            spark.createDataFrame(TRUTH, "user_id string, product_id string"),
            spark.createDataFrame(PRODUCTS, "product_id string, price string"),
            baseline="random",
        )


def test_bootstrap_draws_users_in_sorted_order(spark) -> None:
    # The interval must not depend on the order Spark returns users in (it changes with
    # dbt threads and partitioning): users are resampled in sorted order. 40 users, each
    # with one bought item; popularity lists it for every third user, als for every
    # second, so the hits per user (sorted) are known by hand.
    users = [f"u{i:02d}" for i in range(40)]
    recs = [("popularity", u, f"P{i}" if i % 3 == 0 else "Z", 1) for i, u in enumerate(users)]
    recs += [("als", u, f"P{i}" if i % 2 == 0 else "Z", 1) for i, u in enumerate(users)]
    truth = [(u, f"P{i}") for i, u in enumerate(users)]
    out = revenue_scenarios(
        spark.createDataFrame(recs, "model string, user_id string, product_id string, rank int"),
        spark.createDataFrame(truth, "user_id string, product_id string").repartition(7),
        spark.createDataFrame([("Z", 1.0)], "product_id string, price double"),
        k=1,
        n_boot=200,
        seed=1,
    )
    hits = np.array([[float(i % 3 == 0), float(i % 2 == 0)] for i in range(40)])
    low, high = bootstrap_uplift(hits, 0, 200, 1)
    als = out.set_index("model").loc["als"]
    assert als.uplift_classic == pytest.approx((20 / 40) / (14 / 40) - 1)
    assert (als.uplift_classic_ci_low, als.uplift_classic_ci_high) == pytest.approx(
        (low[1], high[1])
    )
