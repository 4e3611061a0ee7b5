"""All recommenders for one run: popularity, ALS and a random baseline, in one table.

Each model makes one list per protocol (``ml.evaluation``): ``new_items`` leaves out the
products the user had in training, ``repeat_aware`` may recommend them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.als import TrainingReport, train_and_recommend
from ml.columns import ITEM, MODEL, RANK, SCORE, USER, WEIGHT
from ml.evaluation import PROTOCOL, PROTOCOLS
from ml.popularity import recommend_popularity
from ml.random_baseline import recommend_random
from ml.settings import Settings

RUN_COLUMNS = ("run_id", "trained_at", "backend", "train_seconds", "score_seconds")
MODELS = ("popularity", "als", "random")


@dataclass(frozen=True)
class ModelLists:
    """One model's lists for one protocol, and how they were made."""

    recs: DataFrame
    backend: str
    train_seconds: float = 0.0
    score_seconds: float = 0.0


def target_users(train: DataFrame, holdout: DataFrame, active_users: int) -> DataFrame:
    """Every holdout user (warm or cold) plus the ``active_users`` most active training users."""
    holdout_users = holdout.select(USER).distinct()
    if active_users <= 0:
        return holdout_users
    active = (
        train.groupBy(USER)
        .agg(F.sum(WEIGHT).alias("_activity"))
        .orderBy(F.desc("_activity"), USER)
        .limit(active_users)
        .select(USER)
    )
    return holdout_users.union(active).distinct()


def model_lists(
    train: DataFrame, users: DataFrame, settings: Settings, exclude_seen: bool
) -> tuple[dict[str, ModelLists], TrainingReport]:
    """Every model's lists for one protocol."""
    k = settings.list_length
    als, report = train_and_recommend(
        train,
        users,
        k,
        settings.als,
        backend=settings.als_backend,
        max_candidates=settings.als_max_candidates,
        exclude_seen=exclude_seen,
    )
    lists = {
        "popularity": ModelLists(
            recommend_popularity(train, users, k, exclude_seen=exclude_seen), "sql"
        ),
        "als": ModelLists(als, report.backend, report.train_seconds, report.score_seconds),
        "random": ModelLists(
            recommend_random(train, users, k, seed=settings.seed, exclude_seen=exclude_seen), "sql"
        ),
    }
    return lists, report


def recommend_all(
    train: DataFrame, holdout: DataFrame, settings: Settings
) -> tuple[DataFrame, TrainingReport]:
    """``model, protocol, user_id, product_id, rank, score`` plus the run's provenance.

    Returns the lists and the ALS report of the ``new_items`` run.
    """
    users = target_users(train, holdout, settings.active_users).cache()
    run_id = uuid.uuid4().hex
    trained_at = datetime.now(UTC).replace(tzinfo=None)
    columns = [USER, ITEM, RANK, SCORE]
    tables = []
    reports = {}
    for protocol in PROTOCOLS:
        lists, reports[protocol] = model_lists(
            train, users, settings, exclude_seen=protocol == "new_items"
        )
        tables += [
            made.recs.select(*columns)
            .withColumn(MODEL, F.lit(name))
            .withColumn(PROTOCOL, F.lit(protocol))
            .withColumn("run_id", F.lit(run_id))
            .withColumn("trained_at", F.lit(trained_at))
            .withColumn("backend", F.lit(made.backend))
            .withColumn("train_seconds", F.lit(float(made.train_seconds)))
            .withColumn("score_seconds", F.lit(float(made.score_seconds)))
            for name, made in lists.items()
        ]
    result = tables[0]
    for table in tables[1:]:
        result = result.unionByName(table)
    return result.select(MODEL, PROTOCOL, *columns, *RUN_COLUMNS), reports["new_items"]
