"""The whole DAG (staging, lake, marts, ML models, tests) on the real REES46 sample.

5,019 real events (2 h 28 min of one day) from `../shared`: thin for a recommender, but
real data with empty categories and brands, so every model and test must cope with it.
Here on the embedded default with the local ML backend (what `auto` picks for a window this
size). The Thrift target runs the same SQL on the generated shops (the session build and
test_cluster's, where the Spark ML backend and Spark ALS run on a cluster's executors).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REES46_SAMPLE, local_table, run_dbt

SCHEMA = "t_real"


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("real_raw")
    (root / "rees46").mkdir()
    shutil.copy(REES46_SAMPLE, root / "rees46")
    return root


def test_build_is_green_on_the_real_rees46_sample(raw_root: Path, cartwheel_home: Path) -> None:
    env = {"CARTWHEEL_RAW_ROOT": str(raw_root), "CARTWHEEL_SCHEMA": SCHEMA}
    # the unit tests check SQL on fixed inputs, not this data: the session's build runs them
    result = run_dbt(
        "build", "--exclude-resource-type", "unit_test", target="local", env=env,
        vars={"ml_backend": "local", "ml_backtest_folds": 3},
    )  # fmt: skip
    assert result.returncode == 0, result.output[-5000:]
    assert result.statuses()["model.cartwheel.ml_metrics"] == "success"
    runs = local_table(cartwheel_home, "ml_recommendations", schema=SCHEMA)
    by_model = runs.drop_duplicates("model").set_index("model")["backend"]
    # popularity says where it ran: pandas on the local backend (Spark SQL on the Spark one)
    assert by_model["popularity"] == "pandas", by_model
    counts = local_table(cartwheel_home, "audit_source_row_counts", schema=SCHEMA)
    rees46 = counts.set_index("source_name").loc["rees46"]
    assert int(rees46["raw_rows"]) == 5_019  # the sample's lines (SOURCE.txt)
    assert int(rees46["raw_rows"]) == sum(
        int(rees46[c]) for c in ("staged_rows", "duplicate_rows", "rejected_rows")
    )
