"""The whole DAG builds green on both targets, and its results make sense.

`dbt build` runs once per target per test session (fixtures in conftest.py) over a small
generated shop: sources, staging, the lake, the star schema, the marts and the dbt Python
models (in-process on `local`, over Spark Connect on `thrift`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import DbtResult, ServerInfo, local_table, thrift_query

ML_TABLES = ("ml_recommendations", "ml_metrics", "ml_revenue_simulation", "ml_ab_test", "ml_runs")


def read(target: str, table: str, request: pytest.FixtureRequest) -> pd.DataFrame:
    if target == "local":
        return local_table(request.getfixturevalue("cartwheel_home"), table)
    server: ServerInfo = request.getfixturevalue("spark_server")
    return thrift_query(server, f"select * from cartwheel.{table}")


@pytest.mark.parametrize("target", ["local", "thrift"])
def test_build_is_green(target: str, request: pytest.FixtureRequest) -> None:
    result: DbtResult = request.getfixturevalue(f"built_{target}")
    statuses = result.statuses()
    assert set(statuses.values()) <= {"success", "pass", "no-op"}, {
        k: v for k, v in statuses.items() if v not in ("success", "pass", "no-op")
    }
    kinds = {uid.split(".")[0] for uid in statuses}
    assert {"model", "test", "unit_test", "seed"} <= kinds
    for table in ML_TABLES:
        assert statuses[f"model.cartwheel.{table}"] == "success"


@pytest.mark.parametrize("target", ["local", "thrift"])
def test_als_beats_popularity_beats_random(target: str, request: pytest.FixtureRequest) -> None:
    request.getfixturevalue(f"built_{target}")
    metrics = read(target, "ml_metrics", request).set_index("model")
    precision = metrics["precision_at_k"].astype(float)
    assert precision["als"] > precision["popularity"] > precision["random"], precision
    assert (metrics["n_users_evaluated"].astype(int) > 0).all()
    ab = read(target, "ml_ab_test", request).set_index("arm")
    assert set(ab.index) == {"control", "treatment", "treatment_vs_control"}
    revenue = read(target, "ml_revenue_simulation", request).set_index("model")
    classic = revenue["revenue_classic"].astype(float)
    expected = 1_000_000 * 0.05 * 40 * precision["als"]
    assert classic["als"] == pytest.approx(expected)


def test_recommendations_exclude_training_items(
    built_local: DbtResult, cartwheel_home: Path
) -> None:
    recs = local_table(cartwheel_home, "ml_recommendations")
    train = local_table(cartwheel_home, "ml_train_interactions")
    seen = recs.merge(train, on=["user_id", "product_id"])
    assert seen.empty, seen.head()
    assert set(recs["model"]) == {"popularity", "als", "random"}
    assert recs.groupby(["model", "user_id"])["rank"].max().max() <= 10


def test_local_tables_are_parquet_under_the_data_home(
    built_local: DbtResult, cartwheel_home: Path
) -> None:
    for table in ("fct_interactions", "ml_recommendations"):
        folder = cartwheel_home / "warehouse" / "cartwheel.db" / table
        assert list(folder.rglob("*.parquet")), f"no parquet files in {folder}"


def test_python_models_write_parquet_over_connect(
    built_thrift: DbtResult, spark_server: ServerInfo
) -> None:
    described = thrift_query(spark_server, "describe table extended cartwheel.ml_metrics")
    provider = described[described.iloc[:, 0] == "Provider"].iloc[0, 1]
    assert provider.lower() == "parquet"


def test_ml_runs_appends_one_row_per_model_per_build(
    built_local: DbtResult, cartwheel_home: Path
) -> None:
    runs = local_table(cartwheel_home, "ml_runs")
    assert len(runs) >= 3 and runs.groupby("run_id")["model"].nunique().eq(3).all()
    als = runs[runs["model"] == "als"].iloc[-1]
    assert als["backend"] in {"implicit", "spark"} and als["train_seconds"] > 0
