"""Typed settings for the dbt Python models.

dbt Python models cannot call `var()`; the project passes the vars in through model config
(`python_models/_ml__models.yml`), where they arrive as rendered strings. This module is
the one place that names and types them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ml.als.params import AlsParams


class DbtConfig(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...


@dataclass(frozen=True)
class Settings:
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

    @property
    def list_length(self) -> int:
        """How many items each list holds: enough for the headline K and every metric K."""
        return max(self.top_k, *self.metric_ks)


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


def _ks(config: DbtConfig, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """A list var (``[5, 10, 20]``; dbt renders it as a string) as sorted unique ints."""
    value = config.get(key, None)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        import ast

        try:
            value = ast.literal_eval(value)
        except (SyntaxError, ValueError) as exc:
            raise ValueError(f"model config {key!r} = {value!r} is not a list of K") from exc
    if isinstance(value, int | float | str):
        value = [value]
    try:
        ks = tuple(sorted({int(float(v)) for v in value}))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"model config {key!r} = {value!r} is not a list of K") from exc
    if not ks or min(ks) < 1:
        raise ValueError(f"model config {key!r} = {value!r}: every K must be >= 1")
    return ks


def from_config(config: DbtConfig) -> Settings:
    """Settings from a dbt Python model's `dbt.config` (defaults match dbt_project.yml)."""
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
    )


def from_project(project_dir: Path) -> Settings:
    """Settings from the `vars` of a dbt project's `dbt_project.yml` (benchmarks, tests)."""
    import yaml

    project = yaml.safe_load((Path(project_dir) / "dbt_project.yml").read_text())
    return from_config(project.get("vars") or {})
