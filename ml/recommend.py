"""All recommenders for one run: popularity, ALS and a random baseline, in one table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.als import TrainingReport, train_and_recommend
from ml.columns import ITEM, MODEL, RANK, SCORE, USER, WEIGHT
from ml.popularity import recommend_popularity
from ml.random_baseline import recommend_random
from ml.settings import Settings

RUN_COLUMNS = ("run_id", "trained_at", "backend", "train_seconds", "score_seconds")


def target_users(train: DataFrame, holdout: DataFrame, active_users: int) -> DataFrame:
    """Every holdout user plus the `active_users` most active training users."""
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


def recommend_all(
    train: DataFrame, holdout: DataFrame, settings: Settings
) -> tuple[DataFrame, TrainingReport]:
    """`model, user_id, product_id, rank, score` plus the run's provenance columns."""
    users = target_users(train, holdout, settings.active_users).cache()
    k = settings.top_k
    als, report = train_and_recommend(
        train,
        users,
        k,
        settings.als,
        backend=settings.als_backend,
        max_candidates=settings.als_max_candidates,
    )
    run_id = uuid.uuid4().hex
    trained_at = datetime.now(UTC).replace(tzinfo=None)
    columns = [USER, ITEM, RANK, SCORE]
    parts = {
        "popularity": (recommend_popularity(train, users, k), "sql", 0.0, 0.0),
        "als": (als, report.backend, report.train_seconds, report.score_seconds),
        "random": (recommend_random(train, users, k, seed=settings.seed), "sql", 0.0, 0.0),
    }
    tables = [
        recs.select(*columns)
        .withColumn(MODEL, F.lit(name))
        .withColumn("run_id", F.lit(run_id))
        .withColumn("trained_at", F.lit(trained_at))
        .withColumn("backend", F.lit(backend))
        .withColumn("train_seconds", F.lit(float(train_s)))
        .withColumn("score_seconds", F.lit(float(score_s)))
        for name, (recs, backend, train_s, score_s) in parts.items()
    ]
    result = tables[0]
    for table in tables[1:]:
        result = result.unionByName(table)
    return result.select(MODEL, *columns, *RUN_COLUMNS), report
