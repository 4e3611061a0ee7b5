"""Simulated A/B test: stable assignment, per-arm counts, the two-proportion z-test."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ml.ab_test import AB_COLUMNS, assign_arms, simulate_ab_test, two_proportion_ztest


def test_ztest_by_hand() -> None:
    # control 200 / 1000, treatment 250 / 1000
    pooled = 450 / 2000
    se = math.sqrt(pooled * (1 - pooled) * (1 / 1000 + 1 / 1000))
    z_hand = (0.25 - 0.20) / se
    p_hand = math.erfc(abs(z_hand) / math.sqrt(2))  # 2 * (1 - Phi(|z|))
    z, p = two_proportion_ztest(200, 1000, 250, 1000)
    assert z == pytest.approx(z_hand) and z == pytest.approx(2.677, abs=1e-3)
    assert p == pytest.approx(p_hand) and p == pytest.approx(0.00742, abs=1e-4)
    z_rev, p_rev = two_proportion_ztest(250, 1000, 200, 1000)
    assert z_rev == pytest.approx(-z) and p_rev == pytest.approx(p)
    assert all(math.isnan(v) for v in two_proportion_ztest(0, 10, 0, 10))
    assert all(math.isnan(v) for v in two_proportion_ztest(1, 0, 1, 10))


@pytest.fixture(scope="module")
def data(spark):
    users = [f"u{i:02d}" for i in range(40)]
    truth = [(u, "hit", i % 3 == 0) for i, u in enumerate(users)]
    recs = []
    for i, u in enumerate(users):
        recs += [("popularity", u, "miss", 1), ("popularity", u, "miss2", 2)]
        if i % 5 != 0:  # als has no list for every fifth user -> fallback to popularity
            recs += [("als", u, "hit", 1), ("als", u, "miss", 2)]
    return (
        spark.createDataFrame(recs, "model string, user_id string, product_id string, rank int"),
        spark.createDataFrame(truth, "user_id string, product_id string, purchased boolean"),
        users,
    )


def test_assignment_is_stable_and_roughly_balanced(spark) -> None:
    users = spark.createDataFrame([(f"user-{i}",) for i in range(2000)], "user_id string")
    first = assign_arms(users, salt="s1").toPandas().sort_values("user_id")
    again = assign_arms(users, salt="s1").toPandas().sort_values("user_id")
    other = assign_arms(users, salt="s2").toPandas().sort_values("user_id")
    assert list(first.arm) == list(again.arm)
    assert list(first.arm) != list(other.arm)
    assert 0.45 < (first.arm == "treatment").mean() < 0.55


@pytest.mark.parametrize("purchase_col", [None, "purchased"])
def test_simulation_counts(spark, data, purchase_col) -> None:
    recs, truth, users = data
    out = simulate_ab_test(recs, truth, k=2, salt="ab", purchase_col=purchase_col)
    assert list(out.columns) == AB_COLUMNS
    assert list(out.arm) == ["control", "treatment", "treatment_vs_control"]
    arms = (
        assign_arms(spark.createDataFrame([(u,) for u in users], "user_id string"), "ab")
        .toPandas()
        .set_index("user_id")
        .arm
    )
    index = {u: i for i, u in enumerate(users)}
    treated = [u for u in users if arms[u] == "treatment"]
    with_als = [u for u in treated if index[u] % 5 != 0]
    converting = [u for u in with_als if purchase_col is None or index[u] % 3 == 0]
    control, treatment, summary = (row for _, row in out.iterrows())
    assert control.users == len(users) - len(treated) and treatment.users == len(treated)
    assert control.impressions == 2 * control.users and control.clicks == 0
    assert treatment.impressions == 2 * len(treated)
    assert treatment.clicks == len(with_als)
    assert treatment.converted_users == len(converting)
    assert treatment.ctr == pytest.approx(len(with_als) / (2 * len(treated)))
    z, p = two_proportion_ztest(0, control.users, len(converting), treatment.users)
    assert summary.conversion_z == pytest.approx(z) and summary.conversion_p_value == p
    assert summary.ctr == pytest.approx(treatment.ctr - control.ctr)
    assert math.isnan(summary.ctr_lift)  # control CTR is 0
    assert pd.isna(summary.users) and pd.isna(control.ctr_z)
