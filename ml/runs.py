"""One row per training run, for the runs table (``ml_training_runs``-style).

Columns (in order): ``run_id`` (string; uuid4 hex unless given), ``run_at`` (UTC
timestamp, tz-naive in UTC so Spark stores it as a plain timestamp), ``backend``,
``params`` (JSON object string of the ALS parameters, keys sorted), ``train_start``,
``cutoff``, ``holdout_end`` (timestamps: the data window, training is
[train_start, cutoff), holdout [cutoff, holdout_end]), ``n_train_interactions``,
``n_train_users``, ``n_train_items``, ``n_holdout_pairs``, ``n_holdout_users``,
``train_seconds``, ``score_seconds``, then for every model m in the metrics table the flat
columns ``precision_at_k_<m>``, ``recall_at_k_<m>``, ``ndcg_at_k_<m>`` (model names
lower-cased, non-alphanumerics replaced by ``_``), then ``k`` and ``metrics`` (JSON array
string of the full metrics rows, so nothing is lost).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime

import pandas as pd

from ml.als.params import TrainingReport

FLAT_METRICS = ("precision_at_k", "recall_at_k", "ndcg_at_k")


def _timestamp(value: object) -> pd.Timestamp | None:
    """A tz-naive UTC timestamp (None stays None)."""
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def _json_safe(value: object) -> object:
    """Plain JSON values: NaN becomes null, numpy scalars become Python numbers."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    return value


def _slug(model: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(model).lower()).strip("_")


def run_record(
    report: TrainingReport,
    params: object,
    train_start: object,
    cutoff: object,
    holdout_end: object,
    n_holdout_pairs: int,
    n_holdout_users: int,
    metrics: pd.DataFrame | None = None,
    run_id: str | None = None,
    run_at: datetime | None = None,
) -> pd.DataFrame:
    """One-row pandas DataFrame describing a training run (columns in the module docstring).

    Args:
        report: the ``TrainingReport`` of ``ml.als.train_and_recommend``.
        params: ``AlsParams`` (any dataclass) or a mapping of parameters.
        train_start, cutoff, holdout_end: the data window (anything ``pd.Timestamp`` takes).
        n_holdout_pairs, n_holdout_users: holdout size.
        metrics: ``ml.metrics.ranking_metrics`` output (``model`` column), optional.
        run_id: defaults to a fresh uuid4 hex.
        run_at: defaults to now (UTC).
    """
    if is_dataclass(params) and not isinstance(params, type):
        param_dict = asdict(params)
    elif isinstance(params, Mapping):
        param_dict = dict(params)
    else:
        raise TypeError(f"params must be a dataclass or a mapping, got {type(params).__name__}")
    row: dict[str, object] = {
        "run_id": run_id or uuid.uuid4().hex,
        "run_at": _timestamp(run_at or datetime.now(UTC)),
        "backend": report.backend,
        "params": json.dumps({k: _json_safe(v) for k, v in param_dict.items()}, sort_keys=True),
        "train_start": _timestamp(train_start),
        "cutoff": _timestamp(cutoff),
        "holdout_end": _timestamp(holdout_end),
        "n_train_interactions": int(report.n_interactions),
        "n_train_users": int(report.n_users),
        "n_train_items": int(report.n_items),
        "n_holdout_pairs": int(n_holdout_pairs),
        "n_holdout_users": int(n_holdout_users),
        "train_seconds": float(report.train_seconds),
        "score_seconds": float(report.score_seconds),
    }
    k = None
    records: list[dict[str, object]] = []
    if metrics is not None and len(metrics):
        for record in metrics.to_dict(orient="records"):
            clean = {key: _json_safe(value) for key, value in record.items()}
            records.append(clean)
            for name in FLAT_METRICS:
                row[f"{name}_{_slug(clean['model'])}"] = clean.get(name)
            k = clean.get("k", k)
    row["k"] = k
    row["metrics"] = json.dumps(records, sort_keys=True)
    frame = pd.DataFrame([row])
    for column in ("run_at", "train_start", "cutoff", "holdout_end"):
        frame[column] = pd.to_datetime(frame[column])
    return frame
