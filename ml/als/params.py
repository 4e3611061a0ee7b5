"""ALS hyper-parameters and the per-run training report (shared by both backends)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class AlsParams:
    """Implicit-feedback ALS hyper-parameters, named as in the dbt vars (the defaults equal
    the vars' defaults in ``dbt_project.yml``; a test fails if they drift apart).

    - ``rank``: number of latent factors.
    - ``max_iter``: ALS sweeps (one sweep = solve users, then items).
    - ``reg_param``: L2 regularisation. Spark MLlib multiplies it by the number of
      interactions of each user / item (ALS-WR); ``implicit`` uses it as is. The same value
      therefore regularises ``implicit`` less; see ``ml.als.implicit_backend``.
    - ``alpha``: confidence scaling, confidence = 1 + alpha * weight (both backends).
    - ``seed``: random seed of the factor initialisation.
    """

    rank: int = 64
    max_iter: int = 15
    reg_param: float = 0.05
    alpha: float = 10.0
    seed: int = 42

    def __post_init__(self) -> None:
        if self.rank < 1 or self.max_iter < 1:
            raise ValueError(f"rank and max_iter must be >= 1, got {self}")
        if self.reg_param < 0 or self.alpha < 0:
            raise ValueError(f"reg_param and alpha must be >= 0, got {self}")

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class TrainingReport:
    """What one ALS training + scoring run did (one row of the runs table).

    ``train_seconds`` covers everything up to a fitted model (for ``implicit`` including
    ``toPandas`` and building the sparse matrix; for ``spark`` the dense id maps and
    ``ALS.fit``). ``score_seconds`` covers top-k scoring up to materialised
    recommendations (for ``implicit`` including ``createDataFrame``).
    """

    backend: str
    n_users: int
    n_items: int
    n_interactions: int
    train_seconds: float
    score_seconds: float
    n_target_users: int | None = None  # target users that received recommendations
    n_candidates: int | None = None  # items scored per user (spark: <= max_candidates)
    estimated_implicit_bytes: int | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
