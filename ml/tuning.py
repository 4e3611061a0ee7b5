"""ALS tuning on the validation window: a grid of hyper-parameters (vars ``als_grid_*``),
each point fitted on the validation training data and scored on its holdout; the best
NDCG at ``top_k`` (headline target and protocol, all users) wins. The vars' own model is
always one of the points, so the tuned ALS is never worse than the untuned one there.

Tuning multiplies training time, so it runs only when var ``ml_tune`` is true
(``make tune``; the demo tunes). A build without it reuses the choice of the last tuning
(the ``ml_tuning`` table), or the vars when there is none (``tuned_settings``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.als import AlsParams, train_and_recommend
from ml.checkpoint import checkpoint
from ml.columns import ITEM, MODEL
from ml.evaluation import POPULATION, PROTOCOL, TARGET, evaluate
from ml.local import evaluation as local_evaluation
from ml.local.frames import holdout_frame, train_frame
from ml.local.frames import target_users as local_target_users
from ml.local.recommend import fit_implicit, is_local
from ml.recommend import target_users
from ml.settings import Settings
from ml.topk import union_all

PARAM_COLUMNS = ("rank", "max_iter", "reg_param", "alpha", "seed")
TUNING_COLUMNS = [
    "grid_point",
    *PARAM_COLUMNS,
    "backend",
    TARGET,
    PROTOCOL,
    "k",
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "n_users",
    "train_seconds",
    "is_vars",
    "is_chosen",
    "tuned_at",
    "mlflow_run_id",
]
TUNING_SCHEMA = (
    "grid_point int, rank int, max_iter int, reg_param double, alpha double, seed int, "
    "backend string, target string, protocol string, k int, precision_at_k double, "
    "recall_at_k double, ndcg_at_k double, n_users bigint, train_seconds double, "
    "is_vars boolean, is_chosen boolean, tuned_at timestamp, mlflow_run_id string"
)


def tune_als(
    train: DataFrame, holdout: DataFrame, settings: Settings, target: str, protocol: str
) -> pd.DataFrame:
    """One row per grid point (``TUNING_COLUMNS``); exactly one has ``is_chosen``."""
    points = settings.als_grid.points(settings.seed, settings.als)
    if is_local(train, settings):
        return choose(local_grid(train, holdout, settings, points, protocol), settings, target)
    users = target_users(train, holdout, 0).cache()
    train = train.cache()
    lists, seconds, backends = [], [], []
    for i, params in enumerate(points):
        recs, report = train_and_recommend(
            train,
            users,
            settings.top_k,
            params,
            backend=settings.als_backend,
            max_candidates=settings.als_max_candidates,
            exclude_seen=protocol == "new_items",
        )
        lists.append(
            recs.withColumn(MODEL, F.lit(f"als:{i}")).withColumn(PROTOCOL, F.lit(protocol))
        )
        seconds.append(report.train_seconds)
        backends.append(report.backend)
    table = union_all(lists)
    n_catalog = max(train.select(ITEM).distinct().count(), 1)
    models = [f"als:{i}" for i in range(len(points))]
    metrics = evaluate(checkpoint(table), holdout, (settings.top_k,), n_catalog, None, models)
    train.unpersist()
    users.unpersist()
    return choose(Grid(points, metrics, seconds, backends, protocol), settings, target)


@dataclass(frozen=True)
class Grid:
    """Every grid point's parameters, metrics (model ``als:<i>``), fit time and backend."""

    points: list[AlsParams]
    metrics: pd.DataFrame
    seconds: list[float]
    backends: list[str]
    protocol: str


def local_grid(
    train: DataFrame, holdout: DataFrame, settings: Settings, points: list[AlsParams], protocol: str
) -> Grid:
    """The grid on the local backend (``implicit`` and the pandas evaluation)."""
    train_pd, holdout_pd = train_frame(train), holdout_frame(holdout)
    users = local_target_users(train_pd, holdout_pd, 0)
    lists, seconds = [], []
    for i, params in enumerate(points):
        made = fit_implicit(train_pd, users, settings.top_k, params)(protocol == "new_items")
        lists.append(made.recs.assign(**{MODEL: f"als:{i}", PROTOCOL: protocol}))
        seconds.append(made.train_seconds)
    metrics = local_evaluation.evaluate(
        pd.concat(lists, ignore_index=True),
        holdout_pd,
        (settings.top_k,),
        max(train_pd[ITEM].nunique(), 1),
        None,
        [f"als:{i}" for i in range(len(points))],
    )
    return Grid(points, metrics, seconds, ["implicit"] * len(points), protocol)


def choose(grid: Grid, settings: Settings, target: str) -> pd.DataFrame:
    """The tuning table of a scored grid; the best point ``is_chosen``."""
    points, seconds, backends, protocol = grid.points, grid.seconds, grid.backends, grid.protocol
    metrics = grid.metrics[
        (grid.metrics[TARGET] == target)
        & (grid.metrics[PROTOCOL] == protocol)
        & (grid.metrics[POPULATION] == "all")
    ].set_index(MODEL)
    rows = []
    tuned_at = datetime.now(UTC).replace(tzinfo=None)
    for i, params in enumerate(points):
        m = metrics.loc[f"als:{i}"]
        rows.append(
            {
                "grid_point": i,
                **{c: getattr(params, c) for c in PARAM_COLUMNS},
                "backend": backends[i],
                TARGET: target,
                PROTOCOL: protocol,
                "k": settings.top_k,
                "precision_at_k": m["precision_at_k"],
                "recall_at_k": m["recall_at_k"],
                "ndcg_at_k": m["ndcg_at_k"],
                "n_users": int(m["n_users"]),
                "train_seconds": float(seconds[i]),
                "is_vars": params == settings.als,
                "is_chosen": False,
                "tuned_at": tuned_at,
                "mlflow_run_id": None,
            }
        )
    out = pd.DataFrame(rows, columns=TUNING_COLUMNS)
    # best NDCG, then precision; ties: the vars' model, then the earlier point
    order = out.assign(_ndcg=out["ndcg_at_k"].fillna(-1.0), _p=out["precision_at_k"].fillna(-1.0))
    best = order.sort_values(
        ["_ndcg", "_p", "is_vars", "grid_point"], ascending=[False, False, False, True]
    ).index[0]
    out.loc[best, "is_chosen"] = True
    return out


def chosen_params(tuning: pd.DataFrame, settings: Settings) -> AlsParams:
    """The last tuning's chosen point, or the vars' model when there is none."""
    chosen = tuning[tuning["is_chosen"].astype(bool)] if len(tuning) else tuning
    if not len(chosen):
        return settings.als
    row = chosen.iloc[0]
    return AlsParams(
        rank=int(row["rank"]),
        max_iter=int(row["max_iter"]),
        reg_param=float(row["reg_param"]),
        alpha=float(row["alpha"]),
        seed=settings.seed,
    )


def tuned_settings(settings: Settings, tuning: DataFrame) -> Settings:
    """``settings`` with the ALS parameters of the ``ml_tuning`` table."""
    return settings.with_als(chosen_params(tuning.toPandas(), settings))


def save_tuning(table: pd.DataFrame, path: Path) -> None:
    """Keep a tuning's rows beside the warehouse, so a later build without ``ml_tune`` can
    reuse them (dbt drops a table model's old table before its code runs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table[TUNING_COLUMNS].to_parquet(path, index=False)


def load_tuning(path: Path) -> pd.DataFrame:
    """The last saved tuning, or an empty table when there is none (or it is unreadable)."""
    if not path.exists():
        return pd.DataFrame(columns=TUNING_COLUMNS)
    table = pd.read_parquet(path)
    if list(table.columns) != TUNING_COLUMNS:
        return pd.DataFrame(columns=TUNING_COLUMNS)
    return table
