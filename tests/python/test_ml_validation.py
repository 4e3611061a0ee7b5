"""Every choice is made on the validation window: changing only the test window's events
leaves the validation figures, the chosen models, the ALS tuning and the blend weights
exactly as they were; a build without tuning reuses the last tuning's rows.

A data home of its own (the shared test home must not change under other tests): a small
generated shop, `dbt run` up to `ml_model_selection`, then a new raw file with purchases
dated inside the test window (between its cutoff and the last event, so no cutoff moves),
and the same `dbt run` again.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import local_table, run_dbt

SELECT = ["--select", "+ml_model_selection", "+ml_split_holdout"]


# a small grid of its own (not the project's): it shows the vars reach the Python models
GRID = {
    "als_grid_rank": [8, 16],
    "als_grid_max_iter": [5],
    "als_grid_reg_param": [0.1],
    "als_grid_alpha": [1.0, 10.0],
}
TUNE = ["--vars", json.dumps({"ml_tune": True, **GRID})]
VARS = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())["vars"]


def build(home: Path, *args: str) -> None:
    result = run_dbt("run", *args, target="local", env={"CARTWHEEL_HOME": str(home)})
    assert result.returncode == 0, result.output[-5000:]
    # the demo tunes too: the tuning path's Spark warnings also stay in the home's log
    warns = [line for line in result.output.splitlines() if re.search(r"(^|\s)WARN\s", line)]
    assert not warns, warns[:10]


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
    build(home, *SELECT, *TUNE)
    chosen = sorted_frame(local_table(home, "ml_model_selection"), ["target", "protocol"])
    keys = ["model", "target", "protocol", "population", "k"]
    validation = sorted_frame(local_table(home, "ml_validation_metrics"), keys)
    tuning = sorted_frame(local_table(home, "ml_tuning"), ["grid_point"])
    test_before = window_rows(home, "ml_split_holdout", "test")

    # the vars reach the Python models: every grid point, plus the vars' own model
    grid = [GRID[f"als_grid_{p}"] for p in ("rank", "max_iter", "reg_param", "alpha")]
    n_points = len(grid[0]) * len(grid[1]) * len(grid[2]) * len(grid[3])
    in_grid = all(
        VARS[f"als_{p}"] in values
        for p, values in zip(("rank", "max_iter", "reg_param", "alpha"), grid, strict=True)
    )
    assert len(tuning) == n_points + (0 if in_grid else 1)
    assert set(tuning["rank"]) == set(GRID["als_grid_rank"]) | {VARS["als_rank"]}
    assert tuning["is_chosen"].sum() == 1 and tuning["is_vars"].sum() == 1
    best = tuning.loc[tuning["is_chosen"], "ndcg_at_k"].iloc[0]
    assert best >= tuning.loc[tuning["is_vars"], "ndcg_at_k"].iloc[0]
    assert best == tuning["ndcg_at_k"].max()

    added = add_test_window_purchases(home)
    build(home, *SELECT, *TUNE)

    test_after = window_rows(home, "ml_split_holdout", "test")
    assert len(test_after) > len(test_before), "the new events must land in the test window"
    assert int(test_after["is_purchase"].sum()) >= int(test_before["is_purchase"].sum()) + 1
    assert added > 0
    pd.testing.assert_frame_equal(
        sorted_frame(local_table(home, "ml_model_selection"), ["target", "protocol"]), chosen
    )
    quality = ["precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k", "n_users", "params"]
    pd.testing.assert_frame_equal(
        sorted_frame(local_table(home, "ml_validation_metrics"), keys)[keys + quality],
        validation[keys + quality],
    )
    assert local_table(home, "ml_validation_metrics")["params"].notna().any()  # blend, als
    tuned = ["grid_point", "rank", "reg_param", "alpha", "ndcg_at_k", "is_chosen"]
    after = sorted_frame(local_table(home, "ml_tuning"), ["grid_point"])
    pd.testing.assert_frame_equal(after[tuned], tuning[tuned])

    # One more run checks two things at once (one Spark start, not two): a build without
    # ml_tune keeps the last tuning (the same rows, the same tuned_at; ml_tuning does not
    # read the split tables when it does not tune, so the cap below cannot reach it), and
    # var ml_eval_max_users: a window keeps that many holdout users, with all their rows;
    # each row counts the window's users before the cap (as the uncapped table does)
    uncapped = local_table(home, "ml_split_holdout")
    cap = 25
    build(
        home,
        "--select",
        "ml_tuning",
        "ml_split_holdout",
        "ml_split_report",
        "--vars",
        f"{{ml_eval_max_users: {cap}}}",
    )
    pd.testing.assert_frame_equal(
        sorted_frame(local_table(home, "ml_tuning"), ["grid_point"]), after
    )
    capped = local_table(home, "ml_split_holdout")
    for window, rows in uncapped.groupby("window_name", observed=True):
        users = rows["user_id"].nunique()
        kept = capped[capped["window_name"].astype(str) == str(window)]
        kept_users = set(kept["user_id"])
        assert len(kept_users) == min(cap, users), window
        assert set(rows["n_users_before_cap"]) == set(kept["n_users_before_cap"]) == {users}
        columns = ["user_id", "product_id", "first_event_at", "is_purchase", "is_repeat"]
        pd.testing.assert_frame_equal(
            sorted_frame(kept[columns], ["user_id", "product_id"]),
            sorted_frame(
                rows[rows["user_id"].isin(kept_users)][columns], ["user_id", "product_id"]
            ),
        )
        if users > cap:  # drawn by hash, not the first users by id
            assert sorted(kept_users) != sorted(rows["user_id"].unique())[:cap]
    assert (uncapped.groupby("window_name", observed=True)["user_id"].nunique() > cap).any()
