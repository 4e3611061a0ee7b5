"""Every recommender of one run, in one table: a registry loop plus the provenance columns.

Each recommender (``ml.settings.RECOMMENDERS``; var ``ml_recommenders`` picks which run) is
fitted once per training window and then makes one list per protocol
(``ml.evaluation``): ``new_items`` leaves out the products the user had in training,
``repeat_aware`` may recommend them. A recommender that cannot run (EASE on a catalogue
above ``ease_max_items``, buy-again under ``new_items``) is reported in ``skipped`` with
the reason, never dropped silently.

``blend`` fuses the personal models with buy-again and trending (``ml.blend``) using
weights chosen on the validation window (``blend_weights``); without chosen weights (the
validation window itself) it makes one candidate list per weighting, named
``blend:<i>``, for ``ml.windows`` to choose from.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.als import train_and_recommend
from ml.blend import BLEND_NAME, blend_many, candidate_weights
from ml.buy_again import NOT_UNDER_NEW_ITEMS, recommend_buy_again
from ml.checkpoint import checkpoint
from ml.columns import ITEM, MODEL, RANK, SCORE, USER, WEIGHT
from ml.ease import fit_ease_model, too_many_items
from ml.evaluation import PROTOCOL, PROTOCOLS
from ml.item_knn import item_neighbours, recommend_item_knn
from ml.popularity import recommend_popularity
from ml.random_baseline import recommend_random
from ml.settings import RECOMMENDERS, Settings
from ml.topk import union_all
from ml.trending import recommend_trending

RUN_COLUMNS = ("run_id", "trained_at", "backend", "train_seconds", "score_seconds")
BLEND = "blend"
BLEND_COMPONENTS = ("als", "item_knn", "ease", "buy_again", "trending")
MODELS = RECOMMENDERS


@dataclass(frozen=True)
class ModelLists:
    """One model's lists for one protocol (None when skipped), and how they were made."""

    recs: DataFrame | None
    backend: str
    train_seconds: float = 0.0
    score_seconds: float = 0.0
    skipped: str | None = None


@dataclass
class Recommendations:
    """The table of every list, the reasons of skipped (model, protocol) pairs and the
    weighting (per protocol) behind ``blend`` or each ``blend:<i>`` candidate."""

    table: DataFrame
    settings_models: tuple[str, ...]
    skipped: dict[tuple[str, str], str] = field(default_factory=dict)
    blend_weights: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        """The reported model names (``blend:<i>`` candidates included), registry order."""
        names = [m for m in RECOMMENDERS if m in self.settings_models and m != BLEND]
        blends = sorted(self.blend_weights) or ([BLEND] if BLEND in self.settings_models else [])
        return names + blends


@dataclass(frozen=True)
class Context:
    """What every recommender is fitted from."""

    train: DataFrame
    users: DataFrame
    k: int
    settings: Settings


Recommend = Callable[[bool], ModelLists]  # exclude_seen -> lists
BlendWeights = dict[str, dict[str, float]]  # protocol -> model -> weight


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


def materialised(make: Callable[[], DataFrame], backend: str, train_seconds: float) -> ModelLists:
    """Compute a lazy list once (later readers reuse it) and time it."""
    started = time.perf_counter()
    recs = checkpoint(make())
    return ModelLists(recs, backend, train_seconds, time.perf_counter() - started)


def fit_popularity(ctx: Context) -> Recommend:
    return lambda exclude: materialised(
        lambda: recommend_popularity(ctx.train, ctx.users, ctx.k, exclude_seen=exclude), "sql", 0.0
    )


def fit_trending(ctx: Context) -> Recommend:
    half_life = ctx.settings.trending_half_life_days
    return lambda exclude: materialised(
        lambda: recommend_trending(ctx.train, ctx.users, ctx.k, half_life, exclude_seen=exclude),
        "sql",
        0.0,
    )


def fit_buy_again(ctx: Context) -> Recommend:
    def recommend(exclude: bool) -> ModelLists:
        if exclude:
            return ModelLists(None, "sql", skipped=NOT_UNDER_NEW_ITEMS)
        return materialised(lambda: recommend_buy_again(ctx.train, ctx.users, ctx.k), "sql", 0.0)

    return recommend


def fit_item_knn(ctx: Context) -> Recommend:
    s = ctx.settings
    started = time.perf_counter()
    neighbours = checkpoint(
        item_neighbours(ctx.train, s.knn_neighbours, s.knn_shrink, s.knn_max_user_items)
    )
    seconds = time.perf_counter() - started
    return lambda exclude: materialised(
        lambda: recommend_item_knn(
            ctx.train, ctx.users, ctx.k, neighbours, s.knn_max_user_items, exclude
        ),
        "spark",
        seconds,
    )


def fit_ease(ctx: Context) -> Recommend:
    model = fit_ease_model(ctx.train, ctx.settings.ease_l2, ctx.settings.ease_max_items)

    def recommend(exclude: bool) -> ModelLists:
        if model.skipped is not None:
            return ModelLists(None, "numpy", skipped=model.skipped)
        started = time.perf_counter()
        recs = model.recommend(ctx.users, ctx.k, exclude)
        return ModelLists(recs, "numpy", model.train_seconds, time.perf_counter() - started)

    return recommend


def fit_als(ctx: Context) -> Recommend:
    s = ctx.settings

    def recommend(exclude: bool) -> ModelLists:
        recs, report = train_and_recommend(
            ctx.train,
            ctx.users,
            ctx.k,
            s.als,
            backend=s.als_backend,
            max_candidates=s.als_max_candidates,
            exclude_seen=exclude,
        )
        return ModelLists(recs, report.backend, report.train_seconds, report.score_seconds)

    return recommend


def fit_random(ctx: Context) -> Recommend:
    return lambda exclude: materialised(
        lambda: recommend_random(
            ctx.train, ctx.users, ctx.k, seed=ctx.settings.seed, exclude_seen=exclude
        ),
        "sql",
        0.0,
    )


REGISTRY: dict[str, Callable[[Context], Recommend]] = {
    "popularity": fit_popularity,
    "trending": fit_trending,
    "buy_again": fit_buy_again,
    "item_knn": fit_item_knn,
    "ease": fit_ease,
    "als": fit_als,
    "random": fit_random,
}


Fuse = Callable[[dict[str, Any], dict[str, dict[str, float]]], dict[str, ModelLists]]
"""A backend's fusion: (component lists, named weightings) -> one list per weighting name."""


def blend_weightings(
    lists: Mapping[str, ModelLists], weights: Mapping[str, float] | None, settings: Settings
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """The blend's component lists and its named weightings: ``blend`` with ``weights``
    (empty: all equal), or, with ``weights=None``, one ``blend:<i>`` per candidate
    weighting. No components: nothing to blend (two empty dicts)."""
    parts = {
        name: made.recs
        for name, made in lists.items()
        if name in BLEND_COMPONENTS and made.recs is not None
    }
    if not parts:
        return {}, {}
    if weights is None:
        candidates = candidate_weights(sorted(parts), settings.blend_boost)
        names = [f"{BLEND}:{i}" for i in range(len(candidates))]
    else:
        missing = 0.0 if weights else 1.0  # no weighting chosen: all equal
        candidates = [{name: float(weights.get(name, missing)) for name in parts}]
        names = [BLEND]
    return parts, dict(zip(names, candidates, strict=True))


def run_registry(
    fitted: Mapping[str, Recommend],
    fuse: Fuse,
    settings: Settings,
    blend_weights: BlendWeights | None,
) -> tuple[list[tuple[str, str, ModelLists]], dict[tuple[str, str], str], dict]:
    """Every fitted model's list per protocol, plus the blends (``fuse`` is the
    backend's): ``(model, protocol, lists)`` of every list made, the reasons of the
    skipped pairs, and the weighting (per protocol) behind each blend name."""
    made_lists: list[tuple[str, str, ModelLists]] = []
    skipped: dict[tuple[str, str], str] = {}
    used_weights: dict[str, dict[str, dict[str, float]]] = {}
    for protocol in PROTOCOLS:
        lists = {name: recommend(protocol == "new_items") for name, recommend in fitted.items()}
        if BLEND in settings.recommenders:
            weights = None if blend_weights is None else blend_weights.get(protocol, {})
            parts, weightings = blend_weightings(lists, weights, settings)
            for name, made in (fuse(parts, weightings) if parts else {}).items():
                lists[name] = made
                used_weights.setdefault(name, {})[protocol] = weightings[name]
        for name, made in lists.items():
            if made.recs is None:
                skipped[(name, protocol)] = made.skipped or f"{name} made no list"
            else:
                made_lists.append((name, protocol, made))
    return made_lists, skipped, used_weights


def skip_reason(model: str, protocol: str, settings: Settings, n_catalog: int) -> str:
    """Why a model that runs left a protocol without lists (read back from a built table)."""
    if model == "buy_again" and protocol == "new_items":
        return NOT_UNDER_NEW_ITEMS
    if model == "ease":
        reason = too_many_items(n_catalog, settings.ease_max_items)
        if reason is not None:
            return reason
    return f"{model} made no list under {protocol} (no training rows it could use)"


def from_table(
    table: DataFrame, settings: Settings, n_catalog: int, blend_weights: BlendWeights
) -> Recommendations:
    """A built ``ml_recommendations`` table as ``Recommendations`` (skips and weights)."""
    present = {(r[MODEL], r[PROTOCOL]) for r in table.select(MODEL, PROTOCOL).distinct().collect()}
    skipped = {
        (model, protocol): skip_reason(model, protocol, settings, n_catalog)
        for model in settings.recommenders
        for protocol in PROTOCOLS
        if (model, protocol) not in present
    }
    weights = {BLEND: dict(blend_weights)} if blend_weights else {}
    return Recommendations(table, settings.recommenders, skipped, weights)


def recommend_all(
    train: DataFrame,
    holdout: DataFrame,
    settings: Settings,
    blend_weights: BlendWeights | None = None,
) -> Recommendations:
    """``model, protocol, user_id, product_id, rank, score`` plus the run's provenance.

    ``blend_weights`` maps a protocol to its chosen weighting; None (the validation
    window) makes the ``blend:<i>`` candidates instead.
    """
    users = target_users(train, holdout, settings.active_users).cache()
    ctx = Context(train, users, settings.list_length, settings)
    run_id = uuid.uuid4().hex
    trained_at = datetime.now(UTC).replace(tzinfo=None)
    fitted = {name: REGISTRY[name](ctx) for name in settings.recommenders if name in REGISTRY}
    columns = [USER, ITEM, RANK, SCORE]

    def fuse(parts: dict, weightings: dict) -> dict[str, ModelLists]:
        fused = materialised(
            lambda: blend_many(parts, weightings, ctx.k, settings.blend_rank_offset), "sql", 0.0
        )
        return {
            name: ModelLists(
                fused.recs.where(F.col(BLEND_NAME) == name).drop(BLEND_NAME),
                "sql",
                0.0,
                fused.score_seconds,
            )
            for name in weightings
        }

    made_lists, skipped, used_weights = run_registry(fitted, fuse, settings, blend_weights)
    tables = [
        made.recs.select(
            F.lit(name).alias(MODEL),
            F.lit(protocol).alias(PROTOCOL),
            *columns,
            F.lit(run_id).alias("run_id"),
            F.lit(trained_at).alias("trained_at"),
            F.lit(made.backend).alias("backend"),
            F.lit(float(made.train_seconds)).alias("train_seconds"),
            F.lit(float(made.score_seconds)).alias("score_seconds"),
        )
        for name, protocol, made in made_lists
    ]
    table = union_all(tables)
    return Recommendations(
        table.select(MODEL, PROTOCOL, *columns, *RUN_COLUMNS),
        settings.recommenders,
        skipped,
        used_weights,
    )
