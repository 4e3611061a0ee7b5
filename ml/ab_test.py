"""A simulated A/B test on the holdout: control = popularity, treatment = ALS.

Population: the holdout users (at least one truth pair). Each is assigned to an arm by a
salted hash, stable across runs and computed in Spark:
``treatment`` iff ``pmod(xxhash64(salt, user_id), 10000) < treatment_share * 10000``.
A user is shown the top-K list of their arm's model; a treatment user without an ALS list
(e.g. cold) is shown the control list, as production would (``fallback_to_control``).

Per arm:

- ``impressions`` = recommendations shown (<= K per user), ``clicks`` = shown products that
  are in the user's holdout, ``ctr`` = clicks / impressions;
- ``converted_users`` = users with at least one click that is a purchase: if the truth has
  a boolean ``purchase_col`` (a purchase-strength holdout interaction), only such clicks
  count, otherwise any click counts; ``conversion_rate`` = converted_users / users.

Tests: ``lift`` = treatment / control - 1; two-proportion z-test with pooled variance,
``z = (p_t - p_c) / sqrt(p (1 - p) (1 / n_t + 1 / n_c))``, ``p = (x_t + x_c) / (n_t + n_c)``,
two-sided ``p_value = 2 * (1 - Phi(|z|))``. For CTR the trials are impressions (which are
not independent within a user, so its p-value is optimistic); for conversion the trials
are users.

Output (pandas, three rows): ``arm`` in ``control``, ``treatment`` (arm rows: ``model,
users, impressions, clicks, ctr, converted_users, conversion_rate``; test columns null)
and ``treatment_vs_control`` (the summary row: ``ctr`` and ``conversion_rate`` hold the
absolute differences treatment - control, counts are null, plus ``ctr_lift, ctr_z,
ctr_p_value, conversion_lift, conversion_z, conversion_p_value``). Every row carries
``k, salt, treatment_share``.
"""

from __future__ import annotations

import math

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from scipy.stats import norm

from ml.columns import ITEM, MODEL, USER, check_k
from ml.metrics import top_k_recs, truth_pairs
from ml.settings import DEFAULTS

BUCKETS = 10_000
AB_COLUMNS = [
    "arm",
    "model",
    "users",
    "impressions",
    "clicks",
    "ctr",
    "converted_users",
    "conversion_rate",
    "ctr_lift",
    "ctr_z",
    "ctr_p_value",
    "conversion_lift",
    "conversion_z",
    "conversion_p_value",
    "k",
    "salt",
    "treatment_share",
]


def two_proportion_ztest(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> tuple[float, float]:
    """Pooled two-proportion z-test of b vs a: ``(z, two-sided p-value)``.

    z > 0 when b's rate is higher. NaN when a group is empty or the pooled rate is 0 or 1.
    """
    if trials_a <= 0 or trials_b <= 0:
        return float("nan"), float("nan")
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    variance = pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b)
    if variance <= 0:
        return float("nan"), float("nan")
    z = (successes_b / trials_b - successes_a / trials_a) / math.sqrt(variance)
    return float(z), float(2 * norm.sf(abs(z)))


def assign_arms(
    users: DataFrame,
    salt: str = DEFAULTS.ab_salt,
    treatment_share: float = DEFAULTS.ab_treatment_share,
) -> DataFrame:
    """``user_id, arm`` ('control' / 'treatment') by salted hash (stable, no shuffle)."""
    if not 0 < treatment_share < 1:
        raise ValueError(f"treatment_share must be in (0, 1), got {treatment_share}")
    bucket = F.pmod(F.xxhash64(F.lit(salt), F.col(USER).cast("string")), F.lit(BUCKETS))
    threshold = int(round(treatment_share * BUCKETS))
    return (
        users.select(USER)
        .distinct()
        .select(USER, F.when(bucket < threshold, "treatment").otherwise("control").alias("arm"))
    )


def shown_lists(
    recs: DataFrame,
    arms: DataFrame,
    control_model: str,
    treatment_model: str,
    k: int,
    fallback_to_control: bool = True,
) -> DataFrame:
    """``user_id, arm, model, product_id, rank``: what each user of each arm is shown."""
    top = top_k_recs(recs, k)
    control = top.where(F.col(MODEL) == control_model)
    treatment = top.where(F.col(MODEL) == treatment_model)
    control_users = arms.where(F.col("arm") == "control").select(USER)
    treatment_users = arms.where(F.col("arm") == "treatment").select(USER)
    shown = control.join(control_users, USER, "left_semi").unionByName(
        treatment.join(treatment_users, USER, "left_semi")
    )
    if fallback_to_control:
        without = treatment_users.join(treatment.select(USER).distinct(), USER, "left_anti")
        shown = shown.unionByName(control.join(without, USER, "left_semi"))
    return shown.join(arms, USER)


def simulate_ab_test(
    recs: DataFrame,
    truth: DataFrame,
    k: int = DEFAULTS.top_k,
    control_model: str = "popularity",
    treatment_model: str = "als",
    salt: str = DEFAULTS.ab_salt,
    treatment_share: float = DEFAULTS.ab_treatment_share,
    purchase_col: str | None = None,
    fallback_to_control: bool = True,
) -> pd.DataFrame:
    """Simulate the A/B test (definitions and output shape in the module docstring).

    Args:
        recs: ``model, user_id, product_id, rank`` with both models.
        truth: holdout ``user_id, product_id`` (plus ``purchase_col`` if given).
        k: list length shown.
        control_model, treatment_model: values of ``recs.model`` per arm.
        salt, treatment_share: assignment.
        purchase_col: optional boolean truth column marking purchase-strength pairs.
        fallback_to_control: show control recs to treatment users without treatment recs.
    """
    check_k(k)
    extra = (purchase_col,) if purchase_col else ()
    pairs = truth_pairs(truth, extra)
    arms = assign_arms(pairs.select(USER).distinct(), salt, treatment_share)
    shown = shown_lists(recs, arms, control_model, treatment_model, k, fallback_to_control)
    truth_flags = pairs.withColumn("_hit", F.lit(1))
    if purchase_col:
        truth_flags = truth_flags.withColumn(
            "_purchase", F.coalesce(F.col(purchase_col).cast("boolean"), F.lit(False))
        )
    else:
        truth_flags = truth_flags.withColumn("_purchase", F.lit(True))
    clicked = shown.join(truth_flags.select(USER, ITEM, "_hit", "_purchase"), [USER, ITEM], "left")
    per_user = clicked.groupBy(USER).agg(
        F.count(F.lit(1)).alias("impressions"),
        F.sum(F.coalesce("_hit", F.lit(0))).alias("clicks"),
        F.max(F.coalesce("_purchase", F.lit(False)).cast("int")).alias("converted"),
    )
    per_arm = (
        arms.join(per_user, USER, "left")
        .groupBy("arm")
        .agg(
            F.count(F.lit(1)).alias("users"),
            F.sum(F.coalesce("impressions", F.lit(0))).cast("long").alias("impressions"),
            F.sum(F.coalesce("clicks", F.lit(0))).cast("long").alias("clicks"),
            F.sum(F.coalesce("converted", F.lit(0))).cast("long").alias("converted_users"),
        )
        .toPandas()
        .set_index("arm")
    )
    rows = []
    for arm, model in (("control", control_model), ("treatment", treatment_model)):
        counts = (
            per_arm.loc[arm]
            if arm in per_arm.index
            else pd.Series({"users": 0, "impressions": 0, "clicks": 0, "converted_users": 0})
        )
        rows.append(
            {
                "arm": arm,
                "model": model,
                "users": int(counts["users"]),
                "impressions": int(counts["impressions"]),
                "clicks": int(counts["clicks"]),
                "ctr": _rate(counts["clicks"], counts["impressions"]),
                "converted_users": int(counts["converted_users"]),
                "conversion_rate": _rate(counts["converted_users"], counts["users"]),
            }
        )
    control, treatment = rows
    ctr_z, ctr_p = two_proportion_ztest(
        control["clicks"], control["impressions"], treatment["clicks"], treatment["impressions"]
    )
    conv_z, conv_p = two_proportion_ztest(
        control["converted_users"],
        control["users"],
        treatment["converted_users"],
        treatment["users"],
    )
    rows.append(
        {
            "arm": "treatment_vs_control",
            "model": f"{treatment_model} vs {control_model}",
            "ctr": treatment["ctr"] - control["ctr"],
            "conversion_rate": treatment["conversion_rate"] - control["conversion_rate"],
            "ctr_lift": _lift(treatment["ctr"], control["ctr"]),
            "ctr_z": ctr_z,
            "ctr_p_value": ctr_p,
            "conversion_lift": _lift(treatment["conversion_rate"], control["conversion_rate"]),
            "conversion_z": conv_z,
            "conversion_p_value": conv_p,
        }
    )
    out = pd.DataFrame(rows, columns=AB_COLUMNS)
    for column in ("users", "impressions", "clicks", "converted_users"):
        out[column] = out[column].astype("Int64")
    out["k"] = k
    out["salt"] = salt
    out["treatment_share"] = float(treatment_share)
    return out


def _rate(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _lift(value: float, baseline: float) -> float:
    return value / baseline - 1.0 if baseline and not math.isnan(baseline) else float("nan")
