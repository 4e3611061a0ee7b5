"""MLflow tracking (ml/tracking.py) on hand-made tables, read back through MLflow's own
client from a real SQLite store."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from ml.tracking import Tracker, default_uri, log_build, log_tuning, ui_command
from ml.tuning import PARAM_COLUMNS


def metric_rows(model: str, precision: float | None, note: str | None = None) -> list[dict]:
    base = {"model": model, "target": "purchase", "protocol": "new_items", "note": note}
    rows = []
    for population, k in (("all", 10), ("warm", 10), ("all", 5)):
        value = None if precision is None else precision / (2 if population == "warm" else 1)
        rows.append(
            {
                **base,
                "population": population,
                "k": k,
                "precision_at_k": value,
                "recall_at_k": value,
                "ndcg_at_k": value,
                "map_at_k": value,
                "hit_rate_at_k": value,
                "catalog_coverage": 0.25 if value is not None else None,
                "intra_list_diversity": math.nan,
                "params": '{"als": {"rank": 8, "alpha": 1.0}}' if model == "als" else None,
            }
        )
    return rows


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Tracker:
    """One store for the module (creating a SQLite store runs MLflow's migrations)."""
    home = tmp_path_factory.mktemp("mlflow")
    return Tracker(f"sqlite:///{home}/mlflow.db", "pytest", home / "artifacts")


def test_default_store_is_sqlite_under_the_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert default_uri(tmp_path) == f"sqlite:///{tmp_path.resolve()}/mlflow.db"
    assert f"--backend-store-uri sqlite:///{tmp_path.resolve()}/mlflow.db" in ui_command(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.example:5000")
    assert default_uri(tmp_path) == "http://mlflow.example:5000"


def test_build_is_a_parent_run_with_one_nested_run_per_model(tracker: Tracker) -> None:
    metrics = pd.DataFrame(
        metric_rows("als", 0.2) + metric_rows("ease", None, "skipped: 30000 items > 20000")
    )
    validation = pd.DataFrame(metric_rows("als", 0.1))
    runs = pd.DataFrame(
        [{"model": "als", "backend": "implicit", "train_seconds": 1.5, "score_seconds": 0.25}]
    )
    ids = log_build(
        tracker, "run-1", metrics, validation, runs, "als", {"target": "purchase", "protocol": "x"}
    )
    assert set(ids) == {"als", "ease"}
    als = tracker.client.get_run(ids["als"]).data
    assert als.params == {"als.rank": "8", "als.alpha": "1.0"}
    assert als.metrics["purchase.new_items.all.precision_at_10"] == pytest.approx(0.2)
    assert als.metrics["purchase.new_items.warm.ndcg_at_10"] == pytest.approx(0.1)
    assert als.metrics["purchase.new_items.all.recall_at_5"] == pytest.approx(0.2)
    assert als.metrics["purchase.new_items.all.catalog_coverage_at_10"] == pytest.approx(0.25)
    assert als.metrics["validation.purchase.new_items.all.precision_at_10"] == pytest.approx(0.1)
    assert als.metrics["train_seconds"] == 1.5 and als.metrics["score_seconds"] == 0.25
    assert not any("diversity" in key for key in als.metrics)  # NaN is not logged
    assert len(als.metrics) == 3 * 6 * 2 + 2  # 3 slices x 6 finite metrics, test + validation
    assert als.tags["backend"] == "implicit" and als.tags["chosen"] == "true"
    ease = tracker.client.get_run(ids["ease"]).data
    assert ease.metrics == {} and ease.tags["note"] == "skipped: 30000 items > 20000"
    parent_id = als.tags["mlflow.parentRunId"]
    assert ease.tags["mlflow.parentRunId"] == parent_id
    parent = tracker.client.get_run(parent_id).data
    assert parent.tags["cartwheel.run_id"] == "run-1" and parent.tags["chosen_model"] == "als"
    assert parent.params["models"] == "als,ease"


def test_every_grid_point_is_a_run(tracker: Tracker) -> None:
    tuning = pd.DataFrame(
        [
            {
                "grid_point": i,
                "rank": rank,
                "max_iter": 5,
                "reg_param": 0.1,
                "alpha": 1.0,
                "seed": 42,
                "backend": "implicit",
                "target": "purchase",
                "protocol": "repeat_aware",
                "k": 10,
                "precision_at_k": p,
                "recall_at_k": p,
                "ndcg_at_k": p,
                "train_seconds": 0.5,
                "is_vars": i == 0,
                "is_chosen": i == 1,
            }
            for i, (rank, p) in enumerate([(8, 0.1), (16, 0.3)])
        ]
    )
    ids = log_tuning(tracker, tuning, PARAM_COLUMNS)
    assert len(ids) == 2 and len(set(ids)) == 2
    second = tracker.client.get_run(ids[1]).data
    assert second.params["rank"] == "16" and second.tags["is_chosen"] == "true"
    assert second.metrics["validation.purchase.repeat_aware.all.ndcg_at_10"] == pytest.approx(0.3)
    parent = tracker.client.get_run(second.tags["mlflow.parentRunId"]).data
    assert parent.tags["chosen_grid_point"] == "1" and parent.params["grid_points"] == "2"
    assert tracker.client.get_run(ids[0]).data.tags["is_chosen"] == "false"
