"""The whole DAG builds green on both targets, and its results make sense.

`dbt build` runs once per target per test session (fixtures in conftest.py) over a small
generated shop: sources, staging, the lake, the star schema, the marts and the dbt Python
models (in-process on `local`, over Spark Connect on `thrift`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, DbtResult, ServerInfo, local_table, run_dbt, thrift_query

ML_TABLES = (
    "ml_recommendations",
    "ml_metrics",
    "ml_validation_metrics",
    "ml_model_selection",
    "ml_backtest_folds",
    "ml_backtest",
    "ml_revenue_simulation",
    "ml_ab_test",
    "ml_runs",
)
VARS = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
K = VARS["top_k"]


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
    if target == "local":  # the demo's dbt step: Spark's warnings go to the home's log file
        warns = [line for line in result.output.splitlines() if re.search(r"(^|\s)WARN\s", line)]
        assert not warns, warns[:10]
        assert (request.getfixturevalue("cartwheel_home") / "logs" / "spark.log").exists()
    kinds = {uid.split(".")[0] for uid in statuses}
    assert {"model", "test", "unit_test", "seed"} <= kinds
    for table in ML_TABLES:
        assert statuses[f"model.cartwheel.{table}"] == "success"


def holdout_of_test_window(home: Path) -> pd.DataFrame:
    holdout = local_table(home, "ml_split_holdout")
    return holdout[holdout["window_name"].astype(str) == "test"]


@pytest.mark.parametrize("target", ["local", "thrift"])
def test_every_slice_is_reported_and_revenue_uses_purchases(
    target: str, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue(f"built_{target}")
    metrics = read(target, "ml_metrics", request)
    ks = sorted({K, *VARS["ml_metric_ks"]})
    models = VARS["ml_recommenders"]
    # every model x 2 targets x 2 protocols x 3 populations x every K
    assert len(metrics) == len(models) * 2 * 2 * 3 * len(ks)
    headline = metrics[metrics["is_headline"].astype(bool)]
    assert sorted(headline["model"]) == sorted(models)
    assert set(headline["population"]) == {"all"} and set(headline["k"].astype(int)) == {K}
    assert (headline["n_users"].astype(int) > 0).all()
    # the revenue figure is the purchase target of the headline protocol, priced by the vars
    protocol = headline["protocol"].iloc[0]
    revenue = read(target, "ml_revenue_simulation", request).set_index("model")
    assert set(revenue["target"]) == {"purchase"} and set(revenue["protocol"]) == {protocol}
    purchase = metrics[
        (metrics["target"] == "purchase")
        & (metrics["protocol"] == protocol)
        & (metrics["population"] == "all")
        & (metrics["k"].astype(int) == K)
    ].set_index("model")
    scale = (
        VARS["revenue_impressions"]
        * VARS["revenue_conversion_rate"]
        * VARS["revenue_average_order_value"]
    )
    for model in ("popularity", "als", "blend"):
        # two implementations (ml.revenue, ml.evaluation) of the same purchase precision
        precision = float(purchase.loc[model, "precision_at_k"])
        assert float(revenue.loc[model, "revenue_classic"]) == pytest.approx(scale * precision)
        assert int(revenue.loc[model, "n_users_evaluated"]) == int(purchase.loc[model, "n_users"])
    ab = read(target, "ml_ab_test", request).set_index("arm")
    assert set(ab.index) == {"control", "treatment", "treatment_vs_control"}
    assert set(ab["protocol"]) == {protocol}


def test_metrics_match_an_independent_pandas_computation(
    built_local: DbtResult, cartwheel_home: Path
) -> None:
    """Precision@K and recall@K per slice recomputed from the built tables with pandas."""
    recs = local_table(cartwheel_home, "ml_recommendations")
    recs = recs[recs["rank"] <= K]
    holdout = holdout_of_test_window(cartwheel_home)
    metrics = local_table(cartwheel_home, "ml_metrics")
    metrics = metrics[metrics["k"] == K].set_index(["model", "target", "protocol", "population"])
    checked = 0
    for (target, protocol), truth in {
        ("interaction", "new_items"): holdout[~holdout["is_repeat"]],
        ("interaction", "repeat_aware"): holdout,
        ("purchase", "repeat_aware"): holdout[holdout["is_purchase"]],
    }.items():
        for population, users in {
            "warm": truth[truth["is_warm_user"]],
            "cold": truth[~truth["is_warm_user"]],
            "all": truth,
        }.items():
            n_truth = users.groupby("user_id").size()
            for model in ("popularity", "trending", "als", "item_knn", "ease", "blend"):
                lists = recs[(recs["model"] == model) & (recs["protocol"] == protocol)]
                hits = lists.merge(users[["user_id", "product_id"]], on=["user_id", "product_id"])
                per_user = hits.groupby("user_id").size().reindex(n_truth.index, fill_value=0)
                row = metrics.loc[(model, target, protocol, population)]
                assert int(row["n_users"]) == len(n_truth)
                if len(n_truth):
                    assert row["precision_at_k"] == pytest.approx((per_user / K).mean())
                    assert row["recall_at_k"] == pytest.approx((per_user / n_truth).mean())
                    checked += 1
    assert checked >= 8 * 6


def test_backtest_fold_1_equals_the_test_window_fitted_again(
    built_local: DbtResult, cartwheel_home: Path
) -> None:
    """`ml_backtest_folds` takes fold 1's figures from `ml_metrics` (the test window has the
    same cutoff and end) instead of fitting every model on it twice. Fitting them all again
    here, on pandas, from fold 1's own rows of `ml_split_train` and `ml_split_holdout`,
    gives the same figures; the earlier folds are there too."""
    from ml.evaluation import QUALITY
    from ml.local.frames import HOLDOUT_FLAGS, TRAIN_COLUMNS
    from ml.local.recommend import recommend_all_local
    from ml.settings import from_project
    from ml.tuning import chosen_params
    from ml.windows import blend_weights_of, evaluate_recommendations

    def fold_1(table: str, columns: list[str]) -> pd.DataFrame:
        rows = local_table(cartwheel_home, table)
        return rows[rows["window_name"].astype(str) == "backtest_1"][columns].reset_index(drop=True)

    train = fold_1("ml_split_train", list(TRAIN_COLUMNS))
    for column in ("last_event_at", "last_purchase_at"):
        train[column] = pd.to_datetime(train[column]).astype("datetime64[ns]")
    holdout = fold_1("ml_split_holdout", ["user_id", "product_id", *HOLDOUT_FLAGS])
    settings = from_project(ROOT)
    settings = settings.with_als(chosen_params(local_table(cartwheel_home, "ml_tuning"), settings))
    weights = blend_weights_of(local_table(cartwheel_home, "ml_validation_metrics"))
    recs = recommend_all_local(train, holdout, settings, weights)
    categories = local_table(cartwheel_home, "dim_products")[["product_id", "category"]]
    refit = evaluate_recommendations(
        recs, holdout, settings, train["product_id"].nunique(), categories
    )

    folds = local_table(cartwheel_home, "ml_backtest_folds")
    assert sorted(set(folds["fold"])) == list(range(1, VARS["ml_backtest_folds"] + 1))
    keys = ["model", "target", "protocol", "population", "k"]
    built = folds[folds["fold"] == 1].astype({"k": int})
    both = built.merge(
        refit.astype({"k": int}), on=keys, suffixes=("_built", "_refit"), validate="1:1"
    )
    assert len(both) == len(built) == len(refit) > 0
    for column in (*QUALITY, "catalog_coverage", "intra_list_diversity"):
        pd.testing.assert_series_equal(
            both[f"{column}_built"].astype(float),
            both[f"{column}_refit"].astype(float),
            check_names=False,
            rtol=1e-9,
        )
    for column in ("n_users", "n_users_with_recs", "n_users_without_recs"):
        assert (both[f"{column}_built"] == both[f"{column}_refit"]).all(), column
    assert both["note_built"].fillna("").tolist() == both["note_refit"].fillna("").tolist()
    assert both["params_built"].fillna("").tolist() == both["params_refit"].fillna("").tolist()


def test_cold_users_are_evaluated_and_als_cannot_serve_them(
    built_local: DbtResult, cartwheel_home: Path
) -> None:
    metrics = local_table(cartwheel_home, "ml_metrics")
    cold = metrics[(metrics["population"] == "cold") & (metrics["k"] == K)]
    cold = cold[(cold["target"] == "interaction")].set_index(["model", "protocol"])
    assert (cold["n_users"] > 0).all(), "the test shop has cold holdout users"
    als = cold.loc[("als", "new_items")]
    assert als["n_users_without_recs"] == als["n_users"] and als["precision_at_k"] == 0
    for model in ("popularity", "trending", "blend"):  # blend falls back to trending
        assert cold.loc[(model, "new_items"), "n_users_without_recs"] == 0, model
    for model in ("item_knn", "ease"):  # scored from a history cold users do not have
        assert cold.loc[(model, "new_items"), "n_users_without_recs"] == als["n_users"], model
    # buy-again has nothing under new_items: null figures with the reason, never zeros
    buy_again = metrics[(metrics["model"] == "buy_again") & (metrics["protocol"] == "new_items")]
    assert buy_again["precision_at_k"].isna().all()
    assert buy_again["note"].str.contains("nothing to offer under new_items").all()


def test_new_items_lists_exclude_training_items_repeat_aware_lists_may_not(
    built_local: DbtResult, cartwheel_home: Path
) -> None:
    recs = local_table(cartwheel_home, "ml_recommendations")
    train = local_table(cartwheel_home, "ml_split_train")
    train = train[train["window_name"].astype(str) == "test"]
    seen = recs.merge(train, on=["user_id", "product_id"])
    assert seen[seen["protocol"] == "new_items"].empty
    assert not seen[seen["protocol"] == "repeat_aware"].empty
    assert set(recs["model"]) == set(VARS["ml_recommenders"])
    assert set(recs.loc[recs["model"] == "buy_again", "protocol"]) == {"repeat_aware"}
    assert recs["rank"].max() == max(K, *VARS["ml_metric_ks"])


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
    models = len(VARS["ml_recommenders"])  # every model has a row, a skipped one with its note
    assert len(runs) >= models and runs.groupby("run_id")["model"].nunique().eq(models).all()
    assert runs.loc[runs["note"].notna(), "n_users_scored"].eq(0).all()
    als = runs[runs["model"] == "als"].iloc[-1]
    assert als["backend"] in {"implicit", "spark"} and als["train_seconds"] > 0


@pytest.mark.parametrize("target", ["local", "thrift"])
def test_mlflow_holds_every_model_of_the_build(
    target: str, request: pytest.FixtureRequest, cartwheel_home: Path
) -> None:
    """Each ml_runs row of the last build names an MLflow run (the store under the data
    home) whose headline metric is the row's, nested under the build's parent run."""
    from mlflow.tracking import MlflowClient

    request.getfixturevalue(f"built_{target}")
    runs = read(target, "ml_runs", request)
    last = runs[runs["run_id"] == runs.loc[runs["trained_at"].idxmax(), "run_id"]]
    client = MlflowClient(tracking_uri=f"sqlite:///{cartwheel_home}/mlflow.db")
    parents = set()
    assert last["mlflow_run_id"].notna().all() and len(last) == len(VARS["ml_recommenders"])
    for row in last.to_dict("records"):
        tracked = client.get_run(row["mlflow_run_id"]).data
        assert tracked.tags["model"] == row["model"]
        key = f"{row['target']}.{row['protocol']}.all.precision_at_{K}"
        if pd.isna(row["precision_at_k"]):
            assert key not in tracked.metrics and tracked.tags["note"] == row["note"]
        else:
            assert tracked.metrics[key] == pytest.approx(row["precision_at_k"])
        parents.add(tracked.tags["mlflow.parentRunId"])
    (parent,) = parents
    assert client.get_run(parent).data.tags["cartwheel.run_id"] == last["run_id"].iloc[0]


def test_thrift_build_resumed_after_a_server_crash_equals_the_local_build(
    built_local: DbtResult, built_thrift: DbtResult, spark_server: ServerInfo, cartwheel_home: Path
) -> None:
    """The thrift build lost its server mid-way and `dbt retry` finished it (conftest):
    every mart has the rows of the uninterrupted local build of the same raw data."""
    assert "is gone" in built_thrift.output and "cartwheel server start" in built_thrift.output
    marts = sorted(p.stem for p in (ROOT / "models" / "marts").rglob("*.sql"))
    assert len(marts) >= 10
    for mart in marts:
        local = len(local_table(cartwheel_home, mart))
        thrift = int(
            thrift_query(spark_server, f"select count(*) from cartwheel.{mart}").iloc[0, 0]
        )
        assert (mart, thrift) == (mart, local)


def test_a_parsed_model_of_the_older_layout_is_named_with_its_command(
    spark_server: ServerInfo,
) -> None:
    """A data home built before the parsed models were partitioned by raw file (no
    `source_file_key`): the next run stops naming the model and the one command that
    rebuilds it, not with Spark's unresolved column."""
    schema = "t_older_layout"
    thrift_query(spark_server, f"create schema if not exists {schema}")
    thrift_query(
        spark_server,
        f"create table if not exists {schema}.base_rees46__parsed_events "
        "(line_id string, raw_line string, source_file string) using parquet",
    )
    result = run_dbt(
        "run", "--select", "base_rees46__parsed_events", target="thrift",
        env={**spark_server.env, "CARTWHEEL_SCHEMA": schema},
    )  # fmt: skip
    assert result.returncode == 1, result.output[-3000:]
    said = " ".join(result.output.split())  # dbt wraps long messages
    assert (
        f"{schema}.base_rees46__parsed_events was built before the parsed models were "
        "partitioned by raw file" in said
    ), result.output[-3000:]
    assert "`dbt run --full-refresh --select path:models/staging`" in said
    assert "UNRESOLVED_COLUMN" not in result.output
