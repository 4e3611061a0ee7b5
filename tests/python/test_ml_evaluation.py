"""ml.evaluation on a tiny hand-made holdout: every figure below is computed by hand.

Holdout (user, product, is_purchase, is_repeat, is_warm_user):

    u1 a  purchase  repeat  warm      u1 b  -         -       warm
    u1 c  purchase  -       warm      u2 d  -         -       warm
    u3 a  purchase  -       cold

Truth per slice:
    interaction/new_items:     u1 {b, c}     u2 {d}   u3 {a}
    interaction/repeat_aware:  u1 {a, b, c}  u2 {d}   u3 {a}
    purchase/new_items:        u1 {c}                 u3 {a}
    purchase/repeat_aware:     u1 {a, c}              u3 {a}

Lists: model m serves everyone; model n has no list for the cold user u3 (as ALS).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ml.evaluation import EVALUATION_COLUMNS, NO_PURCHASES, evaluate

LOG2_3 = math.log2(3)
IDCG2 = 1 + 1 / LOG2_3  # ideal DCG over two positions

HOLDOUT = [
    ("u1", "a", True, True, True),
    ("u1", "b", False, False, True),
    ("u1", "c", True, False, True),
    ("u2", "d", False, False, True),
    ("u3", "a", True, False, False),
]
LISTS = {
    ("m", "new_items"): {"u1": "bxc", "u2": "xyd", "u3": "axy"},
    ("m", "repeat_aware"): {"u1": "abx", "u2": "dxy", "u3": "xay"},
    ("n", "new_items"): {"u1": "cbx", "u2": "d"},
    ("n", "repeat_aware"): {"u1": "xyz", "u2": "ydx"},
}


def frames(spark, holdout=HOLDOUT):
    truth = spark.createDataFrame(
        holdout,
        "user_id string, product_id string, is_purchase boolean, "
        "is_repeat boolean, is_warm_user boolean",
    )
    rows = [
        (model, protocol, user, item, rank)
        for (model, protocol), lists in LISTS.items()
        for user, items in lists.items()
        for rank, item in enumerate(items, start=1)
    ]
    recs = spark.createDataFrame(
        rows, "model string, protocol string, user_id string, product_id string, rank int"
    )
    return recs, truth


@pytest.fixture(scope="module")
def table(spark) -> pd.DataFrame:
    recs, truth = frames(spark)
    out = evaluate(recs, truth, [1, 3], n_catalog_items=10)
    return out.set_index(["model", "target", "protocol", "population", "k"])


def test_shape(table: pd.DataFrame) -> None:
    # 2 models x 2 targets x 2 protocols x 3 populations x 2 K
    assert len(table) == 48
    assert list(table.reset_index().columns) == EVALUATION_COLUMNS


def test_interaction_new_items_model_m(table: pd.DataFrame) -> None:
    # u1 [b x c] vs {b, c}: hits at 1 and 3; u2 [x y d] vs {d}: hit at 3; u3 [a x y] vs {a}
    ndcg_u1 = (1 + 1 / 2) / IDCG2
    warm = table.loc[("m", "interaction", "new_items", "warm", 3)]
    assert warm["precision_at_k"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert warm["recall_at_k"] == pytest.approx(1.0)
    assert warm["ndcg_at_k"] == pytest.approx((ndcg_u1 + 1 / 2) / 2)
    assert warm["map_at_k"] == pytest.approx(((1 + 2 / 3) / 2 + 1 / 3) / 2)
    assert warm["n_users"] == 2
    cold = table.loc[("m", "interaction", "new_items", "cold", 3)]
    assert (cold["precision_at_k"], cold["ndcg_at_k"], cold["map_at_k"]) == pytest.approx(
        (1 / 3, 1.0, 1.0)
    )
    both = table.loc[("m", "interaction", "new_items", "all", 3)]
    assert both["precision_at_k"] == pytest.approx(4 / 9)
    assert both["ndcg_at_k"] == pytest.approx((ndcg_u1 + 1 / 2 + 1) / 3)
    assert both["hit_rate_at_k"] == pytest.approx(1.0)
    # at K = 1 only u1 (b) and u3 (a) hit
    assert table.loc[("m", "interaction", "new_items", "all", 1)]["precision_at_k"] == (
        pytest.approx(2 / 3)
    )


def test_cold_users_without_a_list_count_as_zero(table: pd.DataFrame) -> None:
    # n: u1 [c b x] vs {b, c} (perfect), u2 [d] vs {d} (perfect), u3 no list
    warm = table.loc[("n", "interaction", "new_items", "warm", 3)]
    assert (warm["precision_at_k"], warm["ndcg_at_k"]) == pytest.approx((1 / 2, 1.0))
    cold = table.loc[("n", "interaction", "new_items", "cold", 3)]
    assert cold["precision_at_k"] == 0.0 and cold["n_users"] == 1
    assert cold["n_users_without_recs"] == 1 and cold["n_users_with_recs"] == 0
    both = table.loc[("n", "interaction", "new_items", "all", 3)]
    assert (both["precision_at_k"], both["ndcg_at_k"]) == pytest.approx((1 / 3, 2 / 3))
    assert both["n_users"] == 3 and both["n_users_without_recs"] == 1


def test_purchase_repeat_aware(table: pd.DataFrame) -> None:
    # m repeat_aware: u1 [a b x] vs {a, c}: hit at 1; u3 [x a y] vs {a}: hit at 2
    warm = table.loc[("m", "purchase", "repeat_aware", "warm", 3)]
    assert warm["n_users"] == 1  # u2 bought nothing
    assert (warm["precision_at_k"], warm["recall_at_k"], warm["ndcg_at_k"]) == pytest.approx(
        (1 / 3, 1 / 2, 1 / IDCG2)
    )
    cold = table.loc[("m", "purchase", "repeat_aware", "cold", 3)]
    assert (cold["recall_at_k"], cold["ndcg_at_k"], cold["map_at_k"]) == pytest.approx(
        (1.0, 1 / LOG2_3, 1 / 2)
    )
    both = table.loc[("m", "purchase", "repeat_aware", "all", 3)]
    assert (both["precision_at_k"], both["recall_at_k"]) == pytest.approx((1 / 3, 3 / 4))
    none = table.loc[("n", "purchase", "repeat_aware", "all", 3)]
    assert none["precision_at_k"] == 0.0 and none["n_users_without_recs"] == 1


def test_repeat_aware_counts_repeats_new_items_does_not(table: pd.DataFrame) -> None:
    # u1's list [a b x] hits the repeat a only under repeat_aware: P@1 over u1, u2, u3 is
    # 2/3 (a, d hit; x misses); under new_items m's lists at K = 1 are b, x, a: 2/3 too,
    # but the repeat_aware truth of u1 has 3 items, so recall differs: 1/3 vs 1/2 for u1.
    ra = table.loc[("m", "interaction", "repeat_aware", "all", 1)]
    assert ra["precision_at_k"] == pytest.approx(2 / 3)
    assert ra["recall_at_k"] == pytest.approx((1 / 3 + 1 + 0) / 3)


def test_coverage(table: pd.DataFrame) -> None:
    # m new_items lists hold b x c y d a (6 of 10) at K = 3, b x a at K = 1
    assert table.loc[("m", "interaction", "new_items", "all", 3)]["catalog_coverage"] == 0.6
    assert table.loc[("m", "purchase", "new_items", "cold", 1)]["catalog_coverage"] == 0.3


def test_no_purchase_signal_is_null_with_a_reason(spark) -> None:
    without = [(u, i, False, r, w) for u, i, _, r, w in HOLDOUT]
    recs, truth = frames(spark, without)
    out = evaluate(recs, truth, [3], n_catalog_items=10)
    purchase = out[out["target"] == "purchase"]
    assert purchase["precision_at_k"].isna().all()
    assert (purchase["note"] == NO_PURCHASES).all()
    assert out[out["target"] == "interaction"]["precision_at_k"].notna().all()


def test_agrees_with_spark_ranking_evaluator(spark, table: pd.DataFrame) -> None:
    """An independent implementation on a slice where every user has a list."""
    from pyspark.ml.evaluation import RankingEvaluator

    truth = {"u1": "abc", "u2": "d", "u3": "a"}  # interaction/repeat_aware

    def ids(items: str) -> list[float]:  # the evaluator wants numeric ids
        return [float(ord(item)) for item in items]

    rows = [(ids(LISTS[("m", "repeat_aware")][u]), ids(truth[u])) for u in ("u1", "u2", "u3")]
    data = spark.createDataFrame(rows, "prediction array<double>, label array<double>")
    ours = table.loc[("m", "interaction", "repeat_aware", "all", 3)]
    for metric, column in (
        ("precisionAtK", "precision_at_k"),
        ("recallAtK", "recall_at_k"),
        ("ndcgAtK", "ndcg_at_k"),
        ("meanAveragePrecisionAtK", "map_at_k"),
    ):
        evaluator = RankingEvaluator(metricName=metric, k=3)
        assert evaluator.evaluate(data) == pytest.approx(ours[column]), metric
