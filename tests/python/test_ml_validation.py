"""Every choice is made on the validation window: changing only the test window's events
leaves the validation figures and the chosen models exactly as they were.

A data home of its own (the shared test home must not change under other tests): a small
generated shop, `dbt run` up to `ml_model_selection`, then a new raw file with purchases
dated inside the test window (between its cutoff and the last event, so no cutoff moves),
and the same `dbt run` again.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from conftest import local_table, run_dbt

SELECT = ["--select", "+ml_model_selection", "+ml_split_holdout"]


def build(home: Path) -> None:
    result = run_dbt("run", *SELECT, target="local", env={"CARTWHEEL_HOME": str(home)})
    assert result.returncode == 0, result.output[-5000:]


def window_rows(home: Path, table: str, window: str) -> pd.DataFrame:
    rows = local_table(home, table)
    return rows[rows["window_name"].astype(str) == window].drop(columns="window_name")


def sorted_frame(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def add_test_window_purchases(home: Path) -> int:
    """Purchases of known users and products, dated inside the test window."""
    windows = local_table(home, "ml_split_windows").set_index("window_name")
    cutoff, last = windows.loc["test", "cutoff_at"], windows.loc["test", "last_event_at"]
    when = cutoff + (last - cutoff) / 2
    train = window_rows(home, "ml_split_train", "test")
    users = sorted(train["user_id"].unique())[:60]
    products = sorted(train["product_id"].unique())[:5]
    rows = [
        (user, product, "purchase", when.strftime("%Y-%m-%d %H:%M:%S"), "", "", "1", "")
        for user in users
        for product in products
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "user_id",
            "item_id",
            "event_type",
            "event_time",
            "price",
            "category",
            "quantity",
            "order_id",
        ],
    )
    folder = home / "raw" / "interactions"
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "late_orders.csv", index=False)
    return len(frame)


@pytest.mark.usefixtures("cartwheel_home")  # the session's env (profiles dir) is set up
def test_choices_ignore_the_test_window(tmp_path: Path) -> None:
    from cartwheel.generate import generate_shop

    home = tmp_path / "home"
    generate_shop(
        home / "raw",
        interactions=12_000,
        seed=11,
        months=6,
        start=date(2023, 1, 1),
        progress=False,
    )
    build(home)
    chosen = sorted_frame(local_table(home, "ml_model_selection"), ["target", "protocol"])
    keys = ["model", "target", "protocol", "population", "k"]
    validation = sorted_frame(local_table(home, "ml_validation_metrics"), keys)
    test_before = window_rows(home, "ml_split_holdout", "test")

    added = add_test_window_purchases(home)
    build(home)

    test_after = window_rows(home, "ml_split_holdout", "test")
    assert len(test_after) > len(test_before), "the new events must land in the test window"
    assert int(test_after["is_purchase"].sum()) >= int(test_before["is_purchase"].sum()) + 1
    assert added > 0
    pd.testing.assert_frame_equal(
        sorted_frame(local_table(home, "ml_model_selection"), ["target", "protocol"]), chosen
    )
    quality = ["precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k", "n_users"]
    pd.testing.assert_frame_equal(
        sorted_frame(local_table(home, "ml_validation_metrics"), keys)[keys + quality],
        validation[keys + quality],
    )
