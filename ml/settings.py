"""Typed settings for the dbt Python models.

dbt Python models cannot call `var()`; the project passes the vars in through model config
(`python_models/_ml__models.yml`), where they arrive as rendered strings. This module is
the one place that names and types them.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from ml.als.params import AlsParams


class DbtConfig(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...


RECOMMENDERS = (
    "popularity",
    "trending",
    "buy_again",
    "item_knn",
    "ease",
    "als",
    "blend",
    "random",
)


@dataclass(frozen=True)
class AlsGrid:
    """The ALS tuning grid (vars ``als_grid_*``): every combination is one point."""

    rank: tuple[int, ...]
    max_iter: tuple[int, ...]
    reg_param: tuple[float, ...]
    alpha: tuple[float, ...]

    def points(self, seed: int, base: AlsParams) -> list[AlsParams]:
        """Every combination, plus ``base`` (the vars' model) if the grid lacks it, so the
        tuned model is at least the untuned one on the validation window."""
        grid = [
            AlsParams(rank=r, max_iter=i, reg_param=g, alpha=a, seed=seed)
            for r, i, g, a in itertools.product(
                self.rank, self.max_iter, self.reg_param, self.alpha
            )
        ]
        return grid if base in grid else [base, *grid]


@dataclass(frozen=True)
class Settings:
    """Every tunable of the ML step. The values come from the dbt vars (``from_config``,
    ``from_project``); the defaults in ``from_config`` equal ``dbt_project.yml`` (tested)."""

    top_k: int
    metric_ks: tuple[int, ...]
    als: AlsParams
    als_backend: str
    als_max_candidates: int
    active_users: int
    seed: int
    revenue_impressions: int
    revenue_conversion_rate: float
    revenue_average_order_value: float
    revenue_bootstrap_samples: int
    revenue_ci_alpha: float
    ab_salt: str
    ab_treatment_share: float
    recommenders: tuple[str, ...]
    trending_half_life_days: float
    knn_neighbours: int
    knn_shrink: float
    knn_max_user_items: int
    ease_l2: float
    ease_max_items: int
    blend_rank_offset: float
    blend_boost: float
    tune_als: bool
    als_grid: AlsGrid
    tracking: bool
    mlflow_experiment: str
    backend: str
    local_max_rows: int

    @property
    def list_length(self) -> int:
        """How many items each list holds: enough for the headline K and every metric K."""
        return max(self.top_k, *self.metric_ks)

    def with_als(self, params: AlsParams) -> Settings:
        return replace(self, als=params)


def _get(config: DbtConfig, key: str, cast: type, default: Any) -> Any:
    value = config.get(key, None)
    if value is None or value == "":
        return default
    try:
        return cast(float(value)) if cast is int else cast(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"model config {key!r} = {value!r} is not a valid {cast.__name__}"
        ) from exc


def _list(config: DbtConfig, key: str, cast: type, default: tuple) -> tuple:
    """A list var (``[5, 10, 20]``; dbt renders it as a string) as a tuple of ``cast``."""
    value = config.get(key, None)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (SyntaxError, ValueError):
            value = [v.strip() for v in value.strip("[]").split(",") if v.strip()]
    if isinstance(value, int | float | str):
        value = [value]
    try:
        items = tuple(cast(float(v)) if cast is int else cast(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"model config {key!r} = {value!r} is not a list of {cast.__name__}"
        ) from exc
    if not items:
        raise ValueError(f"model config {key!r} = {value!r} must name at least one value")
    return items


def _ks(config: DbtConfig, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """A list of cut-offs as sorted unique ints, each >= 1."""
    ks = tuple(sorted(set(_list(config, key, int, default))))
    if min(ks) < 1:
        raise ValueError(f"model config {key!r} = {ks!r}: every K must be >= 1")
    return ks


def _recommenders(config: DbtConfig) -> tuple[str, ...]:
    names = _list(config, "ml_recommenders", str, RECOMMENDERS)
    unknown = sorted(set(names) - set(RECOMMENDERS))
    if unknown:
        raise ValueError(
            f"var ml_recommenders names unknown recommenders {unknown}: "
            f"expected some of {', '.join(RECOMMENDERS)}"
        )
    return tuple(name for name in RECOMMENDERS if name in names)


def _bool(config: DbtConfig, key: str, default: bool) -> bool:
    value = config.get(key, None)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", "none"):
        return False
    raise ValueError(f"model config {key!r} = {value!r} is not true or false")


BACKENDS = ("auto", "local", "spark")


def _backend(config: DbtConfig) -> str:
    value = _get(config, "ml_backend", str, "auto")
    if value not in BACKENDS:
        raise ValueError(f"var ml_backend = {value!r}: expected one of {', '.join(BACKENDS)}")
    return value


def from_config(config: DbtConfig | None) -> Settings:
    """Settings from a mapping of the vars: a dbt Python model's
    ``dbt.config.meta_get("ml_vars")`` (defaults match dbt_project.yml).

    Raises:
        ValueError: ``config`` is None (the model's config lacks ``ml_vars``: the vars
            would silently fall back to the defaults).
    """
    if config is None:
        raise ValueError(
            "the model's config has no meta entry ml_vars (python_models/_ml__models.yml): "
            "without it every ML var would silently take its default"
        )
    seed = _get(config, "random_seed", int, 42)
    return Settings(
        top_k=_get(config, "top_k", int, 10),
        metric_ks=_ks(config, "ml_metric_ks", (5, 10, 20)),
        als=AlsParams(
            rank=_get(config, "als_rank", int, 64),
            max_iter=_get(config, "als_max_iter", int, 15),
            reg_param=_get(config, "als_reg_param", float, 0.05),
            alpha=_get(config, "als_alpha", float, 10.0),
            seed=seed,
        ),
        als_backend=_get(config, "als_backend", str, "auto"),
        als_max_candidates=_get(config, "als_max_candidates", int, 20_000),
        active_users=_get(config, "ml_active_users", int, 1000),
        seed=seed,
        revenue_impressions=_get(config, "revenue_impressions", int, 1_000_000),
        revenue_conversion_rate=_get(config, "revenue_conversion_rate", float, 0.05),
        revenue_average_order_value=_get(config, "revenue_average_order_value", float, 40.0),
        revenue_bootstrap_samples=_get(config, "revenue_bootstrap_samples", int, 1000),
        revenue_ci_alpha=_get(config, "revenue_ci_alpha", float, 0.05),
        ab_salt=_get(config, "ab_salt", str, "cartwheel-ab"),
        ab_treatment_share=_get(config, "ab_treatment_share", float, 0.5),
        recommenders=_recommenders(config),
        trending_half_life_days=_get(config, "trending_half_life_days", float, 14.0),
        knn_neighbours=_get(config, "knn_neighbours", int, 100),
        knn_shrink=_get(config, "knn_shrink", float, 10.0),
        knn_max_user_items=_get(config, "knn_max_user_items", int, 200),
        ease_l2=_get(config, "ease_l2", float, 200.0),
        ease_max_items=_get(config, "ease_max_items", int, 20_000),
        blend_rank_offset=_get(config, "blend_rank_offset", float, 10.0),
        blend_boost=_get(config, "blend_boost", float, 4.0),
        tune_als=_bool(config, "ml_tune", False),
        als_grid=AlsGrid(
            rank=_list(config, "als_grid_rank", int, (32, 64)),
            max_iter=_list(config, "als_grid_max_iter", int, (15,)),
            reg_param=_list(config, "als_grid_reg_param", float, (0.01, 0.1)),
            alpha=_list(config, "als_grid_alpha", float, (1.0, 10.0, 40.0)),
        ),
        tracking=_bool(config, "ml_tracking", True),
        mlflow_experiment=_get(config, "mlflow_experiment", str, "cartwheel"),
        backend=_backend(config),
        local_max_rows=_get(config, "ml_local_max_rows", int, 20_000_000),
    )


DEFAULTS = from_config({})
"""The defaults of every tunable (equal to dbt_project.yml's vars; tested): the ``ml/``
functions take their default arguments from here, never from literals of their own."""


def from_project(project_dir: Path) -> Settings:
    """Settings from the `vars` of a dbt project's `dbt_project.yml` (benchmarks, tests)."""
    import yaml

    project = yaml.safe_load((Path(project_dir) / "dbt_project.yml").read_text())
    return from_config(project.get("vars") or {})
