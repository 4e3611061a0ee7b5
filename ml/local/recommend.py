"""Every recommender of one window on the driver: ``ml.recommend.recommend_all`` for the
local backend (same registry, protocols, blend candidates, skips and provenance)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame

from ml.als import AlsParams
from ml.als.choose import available_memory_bytes
from ml.als.implicit_backend import (
    effective_regularization,
    fit_model,
    interaction_matrix,
    top_k_frame,
)
from ml.blend import BLEND_NAME, candidate_weights
from ml.buy_again import NOT_UNDER_NEW_ITEMS
from ml.columns import ITEM, MODEL, USER, WEIGHT
from ml.ease import fit_ease, too_many_items, top_k_scores
from ml.evaluation import PROTOCOL
from ml.local import rankers
from ml.local.blend import blend_many
from ml.local.frames import REC_DTYPES, target_users
from ml.local.item_knn import ItemKnn
from ml.matrix import codes_of, weight_matrix
from ml.recommend import (
    BLEND,
    BLEND_COMPONENTS,
    RUN_COLUMNS,
    BlendWeights,
    ModelLists,
    Recommend,
    Recommendations,
    run_registry,
)
from ml.settings import Settings

# Peak bytes of the local backend's Python process per list row (user, product, rank,
# score and the provenance columns of every model's, protocol's and blend weighting's top
# list, plus the evaluation's joins): measured on a generated 1M-event shop's validation
# window, 5.4M list rows and ~3 GB. And per training pair (the collected frame, matrices).
BYTES_PER_LIST_ROW = 500
BYTES_PER_TRAIN_ROW = 200
# auto keeps a window local when its estimate is at most this share of the available memory
LOCAL_BUDGET_SHARE = 0.5


def estimate_local_bytes(
    n_train_rows: int, n_target_users: int, settings: Settings, choosing_blend: bool = True
) -> int:
    """Rough peak memory of one window on the local backend: every recommender's list for
    both protocols, ``list_length`` rows per target user, plus the training pairs. With
    ``choosing_blend`` (the validation window) ``blend`` makes one list per candidate
    weighting, else one."""
    models = [name for name in settings.recommenders if name != BLEND]
    n_blend = 0
    if BLEND in settings.recommenders:
        components = [name for name in settings.recommenders if name in BLEND_COMPONENTS]
        n_blend = len(candidate_weights(components, settings.blend_boost)) if choosing_blend else 1
    list_rows = n_target_users * settings.list_length * 2 * (len(models) + n_blend)
    return list_rows * BYTES_PER_LIST_ROW + n_train_rows * BYTES_PER_TRAIN_ROW


def use_local(
    settings: Settings,
    n_train_rows: int,
    n_target_users: int = 0,
    memory_bytes: int | None = None,
    choosing_blend: bool = True,
) -> bool:
    """The backend of a window: var ``ml_backend``; ``auto``: local when the window has at
    most ``ml_local_max_rows`` training pairs and its estimate (``estimate_local_bytes``)
    fits in ``LOCAL_BUDGET_SHARE`` of ``memory_bytes`` (default: the memory available to
    this process now), else the Spark backend (a window past one machine's memory there
    would have the Python model killed)."""
    if settings.backend != "auto":
        return settings.backend == "local"
    if n_train_rows > settings.local_max_rows:
        return False
    memory = available_memory_bytes() if memory_bytes is None else memory_bytes
    estimate = estimate_local_bytes(n_train_rows, n_target_users, settings, choosing_blend)
    return estimate <= LOCAL_BUDGET_SHARE * memory


def is_local(
    train: DataFrame,
    settings: Settings,
    holdout: DataFrame | None = None,
    choosing_blend: bool = True,
) -> bool:
    """Whether a window runs on the local backend (var ``ml_backend``; ``auto``: by its
    training pairs and target users, ``use_local``: two counts). Without ``holdout`` (ALS
    tuning) the target users are the active ones alone."""
    if settings.backend != "auto":
        return settings.backend == "local"
    n_users = 0 if holdout is None else holdout.select(USER).distinct().count()
    return use_local(
        settings, train.count(), n_users + settings.active_users, choosing_blend=choosing_blend
    )


def timed(make: Callable[[], pd.DataFrame], backend: str, train_seconds: float) -> ModelLists:
    started = time.perf_counter()
    recs = make()
    return ModelLists(recs, backend, train_seconds, time.perf_counter() - started)


def _fit_ease(train: pd.DataFrame, users: np.ndarray, k: int, s: Settings) -> Recommend:
    started = time.perf_counter()
    reason = too_many_items(train[ITEM].nunique(), s.ease_max_items)
    if reason is not None:
        return lambda exclude: ModelLists(None, "numpy", skipped=reason)
    matrix, user_ids, item_ids = weight_matrix(train[[USER, ITEM, WEIGHT]])
    matrix.data[:] = 1.0
    weights = fit_ease(matrix, s.ease_l2)
    seconds = time.perf_counter() - started
    codes = codes_of(user_ids, users)
    return lambda exclude: timed(
        lambda: top_k_scores(matrix, weights, codes, k, user_ids, item_ids, exclude),
        "numpy",
        seconds,
    )


def fit_implicit(train: pd.DataFrame, users: np.ndarray, k: int, params: AlsParams) -> Recommend:
    """ALS on ``implicit`` (the local backend's ALS), fitted once for both protocols."""
    started = time.perf_counter()
    matrix, user_ids, item_ids = interaction_matrix(train[[USER, ITEM, WEIGHT]], params.alpha)
    model = fit_model(matrix, params, effective_regularization(params, matrix))
    seconds = time.perf_counter() - started
    codes = codes_of(user_ids, users)
    return lambda exclude: timed(
        lambda: top_k_frame(model, matrix, codes, k, user_ids, item_ids, exclude_seen=exclude),
        "implicit",
        seconds,
    )


def _fit_item_knn(train: pd.DataFrame, users: np.ndarray, k: int, s: Settings) -> Recommend:
    started = time.perf_counter()
    model = ItemKnn(train, s.knn_neighbours, s.knn_shrink, s.knn_max_user_items)
    seconds = time.perf_counter() - started
    return lambda exclude: timed(lambda: model.recommend(users, k, exclude), "scipy", seconds)


def _ranked(
    rank: Callable[[], pd.DataFrame], train: pd.DataFrame, users: np.ndarray, k: int
) -> Recommend:
    """A global ranker: its ranking is computed once (its training time), for both
    protocols."""
    started = time.perf_counter()
    ranking = rank()
    seconds = time.perf_counter() - started
    return lambda exclude: timed(
        lambda: rankers.ranked_lists(ranking, train, users, k, exclude), "pandas", seconds
    )


def _fit_buy_again(train: pd.DataFrame, users: np.ndarray, k: int, s: Settings) -> Recommend:
    def lists(exclude: bool) -> ModelLists:
        if exclude:
            return ModelLists(None, "pandas", skipped=NOT_UNDER_NEW_ITEMS)
        return timed(lambda: rankers.recommend_buy_again(train, users, k), "pandas", 0.0)

    return lists


REGISTRY: dict[str, Callable[[pd.DataFrame, np.ndarray, int, Settings], Recommend]] = {
    "popularity": lambda t, u, k, s: _ranked(lambda: rankers.popularity_ranking(t), t, u, k),
    "trending": lambda t, u, k, s: _ranked(
        lambda: rankers.trending_ranking(t, s.trending_half_life_days), t, u, k
    ),
    "buy_again": _fit_buy_again,
    "item_knn": _fit_item_knn,
    "ease": _fit_ease,
    "als": lambda t, u, k, s: fit_implicit(t, u, k, s.als),
    "random": lambda t, u, k, s: (
        lambda exclude: timed(
            lambda: rankers.recommend_random(t, u, k, s.seed, exclude), "pandas", 0.0
        )
    ),
}


def recommend_all_local(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    settings: Settings,
    blend_weights: BlendWeights | None = None,
) -> Recommendations:
    """``ml.recommend.recommend_all`` on pandas frames; ``table`` is a pandas frame."""
    users = target_users(train, holdout, settings.active_users)
    k = settings.list_length
    run_id = uuid.uuid4().hex
    trained_at = datetime.now(UTC).replace(tzinfo=None)
    fitted = {
        name: REGISTRY[name](train, users, k, settings)
        for name in settings.recommenders
        if name in REGISTRY
    }

    def fuse(parts: dict, weightings: dict) -> dict[str, ModelLists]:
        fused = timed(
            lambda: blend_many(parts, weightings, k, settings.blend_rank_offset), "pandas", 0.0
        )
        by_name = dict(tuple(fused.recs.groupby(BLEND_NAME, sort=False)))
        empty = fused.recs.iloc[:0]
        return {
            name: ModelLists(
                by_name.get(name, empty).drop(columns=BLEND_NAME),
                "pandas",
                0.0,
                fused.score_seconds,
            )
            for name in weightings
        }

    made_lists, skipped, used_weights = run_registry(fitted, fuse, settings, blend_weights)
    tables = [
        made.recs.astype(REC_DTYPES).assign(
            **{
                MODEL: name,
                PROTOCOL: protocol,
                "run_id": run_id,
                "trained_at": trained_at,
                "backend": made.backend,
                "train_seconds": float(made.train_seconds),
                "score_seconds": float(made.score_seconds),
            }
        )
        for name, protocol, made in made_lists
    ]
    columns = [MODEL, PROTOCOL, *REC_DTYPES, *RUN_COLUMNS]
    table = (
        pd.concat(tables, ignore_index=True)[columns] if tables else pd.DataFrame(columns=columns)
    )
    return Recommendations(table, settings.recommenders, skipped, used_weights)
