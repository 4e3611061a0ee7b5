"""Revenue scenarios: what a recommender's hits are worth, and the uplift over a baseline.

Classic scenario (exactly the business back-of-envelope):

    revenue_classic = impressions * conversion_rate * average_order_value * precision_at_k

with ``precision_at_k`` the mean over the truth users (every user with a truth pair; the
project passes the purchase target, so a hit is a purchased product) of hits / K, a user
without a list counting zero hits;
defaults 1,000,000 impressions, 5 % conversion, 40.0 average order value) and
``uplift_classic = revenue_classic / revenue_classic[baseline] - 1`` (= the relative
precision uplift).

Price-aware scenario: a hit is worth the hit product's real price instead of the average
order value. Per truth user u: ``value_u`` = sum of the prices of the hit products
(a hit whose product has no price is worth 0 and counted in ``hits_without_price``). Then

    value_per_impression = sum_u value_u / (|U| * K)
    revenue_price_aware  = impressions * conversion_rate * value_per_impression

(with every price equal to the average order value this equals ``revenue_classic``), and
``uplift_price_aware = revenue_price_aware / revenue_price_aware[baseline] - 1``.

Confidence intervals: a paired bootstrap over holdout users. Each replicate resamples the
holdout users with replacement (the same draw for every model), recomputes each model's
statistic over the resampled users that model evaluates, and the uplift; the interval is
the (alpha/2, 1 - alpha/2) percentile interval of ``n_boot`` replicates (seeded numpy);
replicates in which the baseline's value is 0 (uplift undefined) are left out.
Only per-user aggregates (one row per model and evaluated user) reach the driver.

Output (tidy, one row per model, sorted baseline first then by model):
``model, is_baseline, k, n_users_evaluated, hits, hits_without_price, precision_at_k,
impressions, conversion_rate, average_order_value, revenue_classic, uplift_classic,
uplift_classic_ci_low, uplift_classic_ci_high, value_per_impression, revenue_price_aware,
uplift_price_aware, uplift_price_aware_ci_low, uplift_price_aware_ci_high, n_boot,
ci_level``. Uplift columns are 0 for the baseline row (CI null) and null when the
baseline's revenue is 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.columns import ITEM, MODEL, PRICE, USER, check_k
from ml.metrics import labelled_recs, truth_pairs
from ml.settings import DEFAULTS

DEFAULT_IMPRESSIONS = DEFAULTS.revenue_impressions
DEFAULT_CONVERSION_RATE = DEFAULTS.revenue_conversion_rate
DEFAULT_AVERAGE_ORDER_VALUE = DEFAULTS.revenue_average_order_value

REVENUE_COLUMNS = [
    MODEL,
    "is_baseline",
    "k",
    "n_users_evaluated",
    "hits",
    "hits_without_price",
    "precision_at_k",
    "impressions",
    "conversion_rate",
    "average_order_value",
    "revenue_classic",
    "uplift_classic",
    "uplift_classic_ci_low",
    "uplift_classic_ci_high",
    "value_per_impression",
    "revenue_price_aware",
    "uplift_price_aware",
    "uplift_price_aware_ci_low",
    "uplift_price_aware_ci_high",
    "n_boot",
    "ci_level",
]


def classic_revenue(
    precision_at_k: float,
    impressions: int = DEFAULT_IMPRESSIONS,
    conversion_rate: float = DEFAULT_CONVERSION_RATE,
    average_order_value: float = DEFAULT_AVERAGE_ORDER_VALUE,
) -> float:
    """impressions x conversion_rate x average_order_value x precision_at_k."""
    return float(impressions * conversion_rate * average_order_value * precision_at_k)


def relative_uplift(value: float, baseline: float) -> float:
    """value / baseline - 1 (NaN when the baseline is 0)."""
    return float(value / baseline - 1.0) if baseline else float("nan")


def per_user_values(recs: DataFrame, truth: DataFrame, products: DataFrame, k: int) -> pd.DataFrame:
    """Per (model, evaluated user): ``model, user_id, hits, hit_value, hits_without_price``.

    Collected to the driver (one row per model and evaluated user).
    """
    prices = products.select(ITEM, F.col(PRICE).cast("double").alias(PRICE)).dropDuplicates([ITEM])
    labelled = labelled_recs(recs, truth, k).join(prices, ITEM, "left")
    hit_price = F.when(F.col("hit") == 1, F.coalesce(F.col(PRICE), F.lit(0.0))).otherwise(0.0)
    priceless = ((F.col("hit") == 1) & F.col(PRICE).isNull()).cast("int")
    return (
        labelled.groupBy(MODEL, USER)
        .agg(
            F.sum("hit").cast("long").alias("hits"),
            F.sum(hit_price).alias("hit_value"),
            F.sum(priceless).cast("long").alias("hits_without_price"),
        )
        .toPandas()
    )


def _pivot(values: pd.DataFrame, column: str, users: pd.Index, models: list[str]) -> np.ndarray:
    """users x models matrix of a per-user column (NaN where a model skips a user)."""
    wide = values.pivot(index=USER, columns=MODEL, values=column).reindex(
        index=users, columns=models
    )
    return wide.to_numpy(dtype=np.float64)


def _ratio_to_baseline(sums: np.ndarray, counts: np.ndarray, base: int) -> np.ndarray:
    """Per replicate and model: (sum / count) / (baseline sum / count) - 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        means = sums / counts
        uplift = means / means[:, [base]] - 1.0
    uplift[~np.isfinite(uplift)] = np.nan  # baseline 0 in this replicate: undefined
    return uplift


def bootstrap_uplift(
    per_user: np.ndarray,
    base: int,
    n_boot: int = DEFAULTS.revenue_bootstrap_samples,
    seed: int = DEFAULTS.seed,
    alpha: float = DEFAULTS.revenue_ci_alpha,
    chunk: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile CI of each model's uplift of the per-user mean over the baseline's.

    ``per_user`` is users x models with NaN where a model does not evaluate the user; the
    statistic of a model is the mean over its non-NaN users. Returns ``(low, high)`` per
    model (NaN for the baseline, or when undefined).
    """
    n_users, n_models = per_user.shape
    if n_users == 0 or n_boot <= 0:
        nan = np.full(n_models, np.nan)
        return nan, nan.copy()
    present = ~np.isnan(per_user)
    filled = np.where(present, per_user, 0.0)
    rng = np.random.default_rng(seed)
    replicates = []
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.integers(0, n_users, size=(size, n_users))
        weights = np.stack([np.bincount(row, minlength=n_users) for row in draws])
        sums = weights @ filled
        counts = weights @ present.astype(np.float64)
        replicates.append(_ratio_to_baseline(sums, counts, base))
    uplifts = np.concatenate(replicates)
    uplifts[:, base] = np.nan
    # quantiles only of the columns with a value (the baseline has none): numpy warns on an
    # all-NaN column, and that warning would reach the build's output
    defined = ~np.isnan(uplifts).all(axis=0)
    low, high = np.full(n_models, np.nan), np.full(n_models, np.nan)
    low[defined] = np.nanquantile(uplifts[:, defined], alpha / 2, axis=0)
    high[defined] = np.nanquantile(uplifts[:, defined], 1 - alpha / 2, axis=0)
    return low, high


def revenue_scenarios(
    recs: DataFrame,
    truth: DataFrame,
    products: DataFrame,
    k: int = DEFAULTS.top_k,
    baseline: str = "popularity",
    impressions: int = DEFAULT_IMPRESSIONS,
    conversion_rate: float = DEFAULT_CONVERSION_RATE,
    average_order_value: float = DEFAULT_AVERAGE_ORDER_VALUE,
    n_boot: int = DEFAULTS.revenue_bootstrap_samples,
    seed: int = DEFAULTS.seed,
    alpha: float = DEFAULTS.revenue_ci_alpha,
    models: list[str] | None = None,
) -> pd.DataFrame:
    """Classic and price-aware revenue per model and uplift over ``baseline``.

    Every model is scored on the same users: every user with a truth pair. A user a
    model has no list for counts with zero hits for that model (not skipped).

    Args:
        recs: ``model, user_id, product_id, rank`` (must contain the ``baseline`` model).
        truth: holdout ``user_id, product_id``.
        products: ``product_id, price`` (price may be null).
        k: cut-off K (the classic scenario uses precision at this K).
        baseline: model the uplifts are relative to.
        impressions, conversion_rate, average_order_value: scenario constants.
        n_boot, seed, alpha: bootstrap replicates, seed and 1 - confidence level.
        models: the models to report (default: those with a list for a truth user).

    Returns:
        pandas DataFrame with ``REVENUE_COLUMNS`` (see the module docstring).
    """
    check_k(k)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    values = per_user_values(recs, truth, products, k)
    if models is None:
        models = sorted(values[MODEL].unique().tolist()) if len(values) else []
    models = list(models)
    if baseline not in models:
        raise ValueError(f"baseline model {baseline!r} is not among the models {models}")
    models.remove(baseline)
    models.insert(0, baseline)
    # sorted: the bootstrap resamples rows by position, and Spark returns distinct users in
    # an order that changes with partitioning and concurrent jobs
    users = pd.Index(sorted(truth_pairs(truth).select(USER).distinct().toPandas()[USER]))
    hits = np.nan_to_num(_pivot(values, "hits", users, models))
    hit_value = np.nan_to_num(_pivot(values, "hit_value", users, models))

    summary = (
        values.groupby(MODEL)
        .agg(
            hits=("hits", "sum"),
            hits_without_price=("hits_without_price", "sum"),
            hit_value=("hit_value", "sum"),
        )
        .reindex(models)
        .fillna(0)
    )
    summary["n_users_evaluated"] = len(users)
    precision = (summary["hits"] / (summary["n_users_evaluated"] * k)).where(
        summary["n_users_evaluated"] > 0
    )
    revenue = precision.map(
        lambda p: classic_revenue(p, impressions, conversion_rate, average_order_value)
    )
    value_per_impression = summary["hit_value"] / (summary["n_users_evaluated"] * k)
    revenue_pa = impressions * conversion_rate * value_per_impression

    classic_low, classic_high = bootstrap_uplift(hits, 0, n_boot, seed, alpha)
    pa_low, pa_high = bootstrap_uplift(hit_value, 0, n_boot, seed, alpha)
    out = pd.DataFrame(
        {
            MODEL: models,
            "is_baseline": [m == baseline for m in models],
            "k": k,
            "n_users_evaluated": summary["n_users_evaluated"].to_numpy(dtype="int64"),
            "hits": summary["hits"].to_numpy(dtype="int64"),
            "hits_without_price": summary["hits_without_price"].to_numpy(dtype="int64"),
            "precision_at_k": precision.to_numpy(dtype="float64"),
            "impressions": int(impressions),
            "conversion_rate": float(conversion_rate),
            "average_order_value": float(average_order_value),
            "revenue_classic": revenue.to_numpy(dtype="float64"),
            "uplift_classic": [relative_uplift(r, revenue.iloc[0]) for r in revenue],
            "uplift_classic_ci_low": classic_low,
            "uplift_classic_ci_high": classic_high,
            "value_per_impression": value_per_impression.to_numpy(dtype="float64"),
            "revenue_price_aware": revenue_pa.to_numpy(dtype="float64"),
            "uplift_price_aware": [relative_uplift(r, revenue_pa.iloc[0]) for r in revenue_pa],
            "uplift_price_aware_ci_low": pa_low,
            "uplift_price_aware_ci_high": pa_high,
            "n_boot": int(n_boot),
            "ci_level": 1.0 - alpha,
        }
    )
    return out[REVENUE_COLUMNS]
