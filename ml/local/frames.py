"""The window's frames on the driver, and the per-user steps every local ranker shares:
target users, seen pairs and the top k per user (the counterparts of ``ml.topk``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ml.columns import CATEGORY, ITEM, RANK, SCORE, USER, WEIGHT, check_k

TRAIN_COLUMNS = {
    USER: "string",
    ITEM: "string",
    WEIGHT: "double",
    "last_event_at": "timestamp",
    "n_purchases": "bigint",
    "n_purchase_days": "bigint",
    "last_purchase_at": "timestamp",
}
HOLDOUT_FLAGS = ("is_purchase", "is_repeat", "is_warm_user")
REC_DTYPES = {USER: object, ITEM: object, RANK: np.int32, SCORE: np.float64}


def collect(frame: DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``columns`` (name -> Spark type) of ``frame`` as pandas; absent ones are null."""
    present = set(frame.columns)
    return frame.select(
        *[
            (F.col(name) if name in present else F.lit(None)).cast(kind).alias(name)
            for name, kind in columns.items()
        ]
    ).toPandas()


def train_frame(train: DataFrame) -> pd.DataFrame:
    return collect(train, TRAIN_COLUMNS)


def holdout_frame(holdout: DataFrame) -> pd.DataFrame:
    frame = collect(
        holdout, {USER: "string", ITEM: "string"} | dict.fromkeys(HOLDOUT_FLAGS, "boolean")
    )
    for flag in HOLDOUT_FLAGS:
        frame[flag] = frame[flag].fillna(False).astype(bool)
    return frame


def categories_frame(categories: DataFrame | None) -> pd.DataFrame | None:
    if categories is None:
        return None
    return collect(categories, {ITEM: "string", CATEGORY: "string"})


def unix_seconds(values: pd.Series) -> np.ndarray:
    """Timestamps as whole seconds since the epoch (Spark's ``unix_timestamp``); NaT -> nan."""
    stamps = pd.to_datetime(values)
    seconds = np.floor(stamps.astype("int64").to_numpy() / 1e9)
    return np.where(stamps.isna().to_numpy(), np.nan, seconds)


def target_users(train: pd.DataFrame, holdout: pd.DataFrame, active_users: int) -> np.ndarray:
    """Every holdout user plus the ``active_users`` most active training users (summed
    weight, ties by ``user_id``): ``ml.recommend.target_users`` on pandas, sorted."""
    users = set(holdout[USER].dropna())
    if active_users > 0 and len(train):
        activity = train.groupby(USER, as_index=False)[WEIGHT].sum()
        top = activity.sort_values([WEIGHT, USER], ascending=[False, True]).head(active_users)
        users |= set(top[USER])
    return np.array(sorted(users), dtype=object)


def seen_pairs(train: pd.DataFrame, users: np.ndarray) -> pd.DataFrame:
    """``user_id, product_id``: the training pairs of the target users."""
    return train.loc[train[USER].isin(users), [USER, ITEM]].drop_duplicates()


def top_k(
    scored: pd.DataFrame, k: int, order: Sequence[str], keys: Sequence[str] = ()
) -> pd.DataFrame:
    """Each (``keys``, user)'s k best rows: larger ``order`` values first, column by column
    (``order`` starts with ``score``; nulls last), as ``ml.topk.top_k_per_user``'s struct
    order. Returns ``*keys, user_id, product_id, rank, score``."""
    check_k(k)
    group = [*keys, USER]
    ranked = scored.sort_values(
        [*group, *order],
        ascending=[True] * len(group) + [False] * len(order),
        na_position="last",
        kind="mergesort",
    )
    best = ranked.groupby(group, sort=False).head(k).copy()
    best[RANK] = best.groupby(group, sort=False).cumcount().to_numpy() + 1
    return rec_table(best, keys)


def rec_table(frame: pd.DataFrame, keys: Sequence[str] = ()) -> pd.DataFrame:
    """``*keys, user_id, product_id, rank, score`` with the recommenders' types."""
    out = frame[[*keys, USER, ITEM, RANK, SCORE]].reset_index(drop=True)
    return out.astype(REC_DTYPES)
