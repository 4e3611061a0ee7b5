"""The runs table record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd

from ml.als import AlsParams, TrainingReport
from ml.runs import run_record


def test_run_record() -> None:
    report = TrainingReport("implicit", 300, 200, 5000, 1.5, 0.25, n_target_users=290)
    metrics = pd.DataFrame(
        {
            "model": ["als", "popularity"],
            "k": [10, 10],
            "precision_at_k": [0.2, 0.08],
            "recall_at_k": [0.3, float("nan")],
            "ndcg_at_k": [0.25, 0.1],
        }
    )
    cet = timezone(timedelta(hours=1))
    row = run_record(
        report,
        AlsParams(rank=8),
        train_start="2024-01-01",
        cutoff=datetime(2024, 3, 1, 1, 0, tzinfo=cet),
        holdout_end=pd.Timestamp("2024-03-31 23:59:59"),
        n_holdout_pairs=1234,
        n_holdout_users=290,
        metrics=metrics,
        run_id="r1",
        run_at=datetime(2024, 4, 1, 12, 0, tzinfo=UTC),
    )
    assert len(row) == 1
    r = row.iloc[0]
    assert r.run_id == "r1" and r.backend == "implicit"
    assert r.run_at == pd.Timestamp("2024-04-01 12:00")
    assert r.cutoff == pd.Timestamp("2024-03-01 00:00")  # converted to UTC
    assert json.loads(r.params) == {
        "alpha": 10.0,
        "max_iter": 10,
        "rank": 8,
        "reg_param": 0.05,
        "seed": 42,
    }
    assert r.n_train_interactions == 5000 and r.n_holdout_pairs == 1234
    assert r.precision_at_k_als == 0.2 and r.ndcg_at_k_popularity == 0.1
    assert r.recall_at_k_popularity is None or pd.isna(r.recall_at_k_popularity)
    assert r.k == 10
    assert json.loads(r.metrics)[1]["recall_at_k"] is None
    assert str(row.run_at.dtype) == "datetime64[ns]"


def test_defaults() -> None:
    report = TrainingReport("spark", 1, 1, 1, 0.0, 0.0)
    row = run_record(report, {"rank": 4}, "2024-01-01", "2024-02-01", "2024-03-01", 0, 0)
    assert len(row.run_id[0]) == 32
    assert row.metrics[0] == "[]" and row.k[0] is None
    assert abs(pd.Timestamp.utcnow().tz_localize(None) - row.run_at[0]) < pd.Timedelta("1min")
