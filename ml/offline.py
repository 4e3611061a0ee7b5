"""Offline evaluation straight from generated REES46 files, with pandas (no dbt).

For the ALS benchmark and the quality test: the same global-time-cutoff split as the dbt
models ``ml_train_interactions`` / ``ml_holdout_interactions`` (train strictly before the
cutoff at 90 % of the span, summed weight per pair; holdout = unseen pairs at/after it of
users and products seen in training), on REES46 events only and with the default weights.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

EVENT_WEIGHTS = {"view": 1.0, "cart": 3.0, "purchase": 5.0, "remove_from_cart": 0.0}
COLUMNS = ["event_time", "event_type", "product_id", "category_code", "price", "user_id"]


def read_events(root: Path) -> pd.DataFrame:
    """All REES46 event files, with ``weight`` and a parsed UTC ``event_time``."""
    frames = [
        pd.read_csv(
            path,
            usecols=COLUMNS,
            dtype={"product_id": str, "user_id": str, "category_code": str, "price": float},
        )
        for path in sorted((root / "rees46").glob("events-*.csv.gz"))
    ]
    events = pd.concat(frames, ignore_index=True)
    events["event_time"] = pd.to_datetime(
        events["event_time"].str.removesuffix(" UTC"), format="%Y-%m-%d %H:%M:%S"
    )
    events["weight"] = events["event_type"].map(EVENT_WEIGHTS).fillna(0.0)
    return events[events["weight"] > 0]


def split(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Training pairs (summed weight, last event) and holdout pairs, at 90 % of the span."""
    start, end = events["event_time"].min(), events["event_time"].max()
    cutoff = start + 0.9 * (end - start)
    before = events[events["event_time"] < cutoff]
    train = before.groupby(["user_id", "product_id"], as_index=False).agg(
        weight=("weight", "sum"), last_event_at=("event_time", "max")
    )
    after = events[events["event_time"] >= cutoff][["user_id", "product_id"]].drop_duplicates()
    after = after[
        after["user_id"].isin(train["user_id"]) & after["product_id"].isin(train["product_id"])
    ]
    seen = after.merge(train[["user_id", "product_id"]], how="left", indicator=True)
    holdout = seen[seen["_merge"] == "left_only"][["user_id", "product_id"]]
    return train, holdout.reset_index(drop=True), cutoff
