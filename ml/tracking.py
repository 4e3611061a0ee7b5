"""Experiment tracking in MLflow: every build's recommenders and every ALS grid point.

The tracking store is ``$MLFLOW_TRACKING_URI`` when set (a shared MLflow server), else a
SQLite database under the data home (``default_uri``): MLflow 3 needs a database store,
no server runs. One build is a parent run with one nested run per recommender (its
parameters, every test-window metric as ``<target>.<protocol>.<population>.<metric>_at_<k>``,
its validation metrics, training and scoring seconds, backend); one tuning is a parent run
with one nested run per grid point. ``ml_runs`` and ``ml_tuning`` carry the run ids, so
SQL and the MLflow UI show the same history.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.columns import MODEL
from ml.evaluation import QUALITY
from ml.settings import Settings
from ml.tuning import PARAM_COLUMNS
from ml.windows import best_on_validation

URI_ENV = "MLFLOW_TRACKING_URI"
DATABASE = "mlflow.db"
ARTIFACTS = "mlflow-artifacts"
BATCH = 1000  # MLflow's limits per log_batch call: metrics, params
PARAM_BATCH = 100
SLICE_METRICS = (*QUALITY, "catalog_coverage", "intra_list_diversity")


def default_uri(home: Path) -> str:
    """``$MLFLOW_TRACKING_URI``, else ``sqlite:///<home>/mlflow.db``."""
    return os.environ.get(URI_ENV) or f"sqlite:///{Path(home).resolve() / DATABASE}"


def ui_command(home: Path) -> str:
    """The command that shows the runs in MLflow's UI on 127.0.0.1."""
    return f"mlflow ui --backend-store-uri {default_uri(home)} --host 127.0.0.1 --port 5000"


def metric_key(row: Mapping[str, Any], metric: str) -> str:
    """``purchase.repeat_aware.all.precision_at_10``: every metric is named with its k."""
    k = int(row["k"])
    name = metric.replace("_at_k", f"_at_{k}") if "_at_k" in metric else f"{metric}_at_{k}"
    return f"{row['target']}.{row['protocol']}.{row['population']}.{name}"


def slice_metrics(rows: pd.DataFrame, prefix: str = "") -> dict[str, float]:
    """Every finite metric of an evaluation table's rows (one model), keyed by slice."""
    out: dict[str, float] = {}
    for row in rows.to_dict("records"):
        for metric in SLICE_METRICS:
            value = row.get(metric)
            if value is not None and math.isfinite(float(value)):
                out[prefix + metric_key(row, metric)] = float(value)
    return out


class Tracker:
    """A thin client over one MLflow experiment (no global MLflow state is touched)."""

    def __init__(self, uri: str, experiment: str, artifact_root: Path | None = None) -> None:
        from mlflow.tracking import MlflowClient

        for name in ("mlflow", "alembic"):  # store creation logs every migration at INFO
            logging.getLogger(name).setLevel(logging.WARNING)
        self.uri = uri
        self.client = MlflowClient(tracking_uri=uri)
        found = self.client.get_experiment_by_name(experiment)
        if found is not None:
            self.experiment_id = found.experiment_id
        else:
            location = artifact_root.resolve().as_uri() if artifact_root else None
            self.experiment_id = self.client.create_experiment(
                experiment, artifact_location=location
            )

    def run(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, str] | None = None,
        parent: str | None = None,
    ) -> str:
        """Log one finished run and return its id."""
        from mlflow.entities import Metric, Param

        all_tags = dict(tags or {})
        if parent:
            all_tags["mlflow.parentRunId"] = parent
        run = self.client.create_run(self.experiment_id, run_name=name, tags=all_tags)
        run_id = run.info.run_id
        now = int(time.time() * 1000)
        param_list = [Param(k, _text(v)) for k, v in sorted((params or {}).items())]
        metric_list = [Metric(k, float(v), now, 0) for k, v in sorted((metrics or {}).items())]
        for start in range(0, len(param_list), PARAM_BATCH):
            self.client.log_batch(run_id, params=param_list[start : start + PARAM_BATCH])
        for start in range(0, len(metric_list), BATCH):
            self.client.log_batch(run_id, metrics=metric_list[start : start + BATCH])
        self.client.set_terminated(run_id)
        return run_id


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:6000]


def flat_params(params_json: str | None) -> dict[str, Any]:
    """A model's ``params`` JSON (ml_metrics) as flat MLflow params (nested keys joined)."""
    if not params_json:
        return {}
    try:
        value = json.loads(params_json)
    except (TypeError, ValueError):
        return {"params": params_json}
    out: dict[str, Any] = {}

    def walk(prefix: str, item: Any) -> None:
        if isinstance(item, dict):
            for key, sub in item.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        else:
            out[prefix or "params"] = item

    walk("", value)
    return out


def log_build(
    tracker: Tracker,
    run_id: str,
    metrics: pd.DataFrame,
    validation: pd.DataFrame,
    runs: pd.DataFrame,
    chosen: str | None,
    headline: Mapping[str, str],
) -> dict[str, str]:
    """One parent run for the build and a nested run per model; returns model -> run id.

    Args:
        run_id: the build's run id (``ml_recommendations.run_id``), kept as a tag.
        metrics: the test window's evaluation (``ml_metrics`` rows, with ``params``).
        validation: the validation window's evaluation (``ml_validation_metrics`` rows).
        runs: ``model, backend, train_seconds, score_seconds`` (one row per model).
        chosen: the model chosen on the validation window, if any.
        headline: ``target`` and ``protocol`` of the headline slice.
    """
    tags = {
        "cartwheel.run_id": run_id,
        **{f"headline.{k}": str(v or "") for k, v in headline.items()},
    }
    parent = tracker.run(
        f"build {run_id[:8]}",
        params={"models": ",".join(sorted(metrics["model"].unique()))},
        tags={**tags, "chosen_model": chosen or ""},
    )
    timing = runs.set_index("model").to_dict("index") if len(runs) else {}
    out: dict[str, str] = {}
    for model, rows in metrics.groupby("model", sort=True):
        info = timing.get(model, {})
        values = slice_metrics(rows)
        values.update(slice_metrics(validation[validation["model"] == model], "validation."))
        for key in ("train_seconds", "score_seconds"):
            if info.get(key) is not None and math.isfinite(float(info[key])):
                values[key] = float(info[key])
        notes = [n for n in rows["note"].dropna().unique() if n]
        out[model] = tracker.run(
            model,
            params=flat_params(_first(rows["params"])),
            metrics=values,
            tags={
                **tags,
                "model": model,
                "backend": str(info.get("backend") or ""),
                "chosen": str(model == chosen).lower(),
                **({"note": "; ".join(notes)[:5000]} if notes else {}),
            },
            parent=parent,
        )
    return out


def log_tuning(tracker: Tracker, tuning: pd.DataFrame, params: Iterable[str]) -> list[str | None]:
    """One parent run for an ALS tuning and one nested run per grid point (same order)."""
    params = list(params)
    chosen = tuning[tuning["is_chosen"].astype(bool)]
    parent = tracker.run(
        "als tuning",
        params={"grid_points": len(tuning)},
        tags={
            "model": "als",
            "target": str(tuning["target"].iloc[0]) if len(tuning) else "",
            "protocol": str(tuning["protocol"].iloc[0]) if len(tuning) else "",
            "chosen_grid_point": str(int(chosen["grid_point"].iloc[0])) if len(chosen) else "",
        },
    )
    ids: list[str | None] = []
    for row in tuning.to_dict("records"):
        values = slice_metrics(pd.DataFrame([{**row, "population": "all"}]), "validation.")
        values["train_seconds"] = float(row["train_seconds"])
        ids.append(
            tracker.run(
                f"als grid point {int(row['grid_point'])}",
                params={p: row[p] for p in params},
                metrics=values,
                tags={
                    "model": "als",
                    "backend": str(row["backend"]),
                    "is_chosen": str(bool(row["is_chosen"])).lower(),
                    "is_vars": str(bool(row["is_vars"])).lower(),
                },
                parent=parent,
            )
        )
    return ids


def _first(values: pd.Series) -> str | None:
    present = values.dropna()
    return str(present.iloc[0]) if len(present) else None


def track_build(
    settings: Settings,
    home: Path,
    metrics: pd.DataFrame,
    validation: pd.DataFrame,
    recommendations: DataFrame,
    headline: Mapping[str, str],
) -> dict[str, str]:
    """Log a build's test metrics (``ml_metrics``) to MLflow; model -> MLflow run id.
    Nothing is logged (and no id returned) when var ``ml_tracking`` is false."""
    if not settings.tracking:
        return {}
    runs = (
        recommendations.groupBy(MODEL)
        .agg(
            F.first("run_id").alias("run_id"),
            F.first("backend").alias("backend"),
            F.max("train_seconds").alias("train_seconds"),
            F.max("score_seconds").alias("score_seconds"),
        )
        .toPandas()
    )
    run_id = str(runs["run_id"].iloc[0]) if len(runs) else "no-recommendations"
    chosen = best_on_validation(
        validation, headline["target"], headline["protocol"], settings.top_k
    )
    return log_build(_tracker(settings, home), run_id, metrics, validation, runs, chosen, headline)


def track_tuning(settings: Settings, home: Path, tuning: pd.DataFrame) -> list[str | None]:
    """Log an ALS tuning to MLflow; the run id of each grid point (None when not tracked)."""
    if not settings.tracking:
        return [None] * len(tuning)
    return log_tuning(_tracker(settings, home), tuning, PARAM_COLUMNS)


def _tracker(settings: Settings, home: Path) -> Tracker:
    """The project's experiment in the default store of ``home``."""
    return Tracker(default_uri(home), settings.mlflow_experiment, home / ARTIFACTS)
