"""The whole DAG (staging, lake, marts, ML models, tests) on the real REES46 sample.

5,019 real events (2 h 28 min of one day) from `../shared`: thin for a recommender, but
real data with empty categories and brands, so every model and test must cope with it, on
the embedded default and over the Thrift server. The embedded build runs the ML on the
local backend (what `auto` picks for a window this size); the Thrift build forces the
Spark backend (`ml_backend: spark`, what `auto` picks past `ml_local_max_rows`), so the
distributed recommenders and evaluation run end to end through dbt and Spark Connect.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REES46_SAMPLE, local_table, run_dbt, thrift_query

SCHEMA = "t_real"


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("real_raw")
    (root / "rees46").mkdir()
    shutil.copy(REES46_SAMPLE, root / "rees46")
    return root


@pytest.mark.parametrize("target", ["local", "thrift"])
def test_build_is_green_on_the_real_rees46_sample(
    target: str, raw_root: Path, cartwheel_home: Path, request: pytest.FixtureRequest
) -> None:
    env = {"CARTWHEEL_RAW_ROOT": str(raw_root), "CARTWHEEL_SCHEMA": SCHEMA}
    if target == "thrift":
        server = request.getfixturevalue("spark_server")
        env |= server.env
    backend = "local" if target == "local" else "spark"
    # one backtest fold on the Spark backend: each window costs it minutes of small jobs
    folds = 3 if backend == "local" else 1
    result = run_dbt(
        "build", target=target, env=env, vars={"ml_backend": backend, "ml_backtest_folds": folds}
    )
    assert result.returncode == 0, result.output[-5000:]
    assert result.statuses()["model.cartwheel.ml_metrics"] == "success"
    if target == "local":
        runs = local_table(cartwheel_home, "ml_recommendations", schema=SCHEMA)
    else:
        runs = thrift_query(
            server, f"select distinct model, backend from {SCHEMA}.ml_recommendations"
        )
    by_model = runs.drop_duplicates("model").set_index("model")["backend"]
    # popularity says where it ran: pandas on the local backend, Spark SQL on the Spark one
    assert by_model["popularity"] == ("pandas" if target == "local" else "sql"), by_model
    if target == "local":
        counts = local_table(cartwheel_home, "audit_source_row_counts", schema=SCHEMA)
    else:
        counts = thrift_query(server, f"select * from {SCHEMA}.audit_source_row_counts")
    rees46 = counts.set_index("source_name").loc["rees46"]
    assert int(rees46["raw_rows"]) == 5_019
    assert int(rees46["raw_rows"]) == sum(
        int(rees46[c]) for c in ("staged_rows", "duplicate_rows", "rejected_rows")
    )
