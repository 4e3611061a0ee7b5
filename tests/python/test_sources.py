"""Loaders for every raw format, rejection paths and the reconciliation test (real dbt)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import REES46_SAMPLE, ROOT, local_table, run_dbt

FIXTURES = ROOT / "tests" / "fixtures" / "raw"
SCHEMA = "t_sources"
SOURCE_MODELS = "+audit_source_row_counts +fct_interactions"
# only the tests of the selected models (fct_interactions' relationships to the dimensions
# would need the whole star schema)
CAUTIOUS = ("--indirect-selection", "cautious")


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hand-written fixtures (good and bad lines), the real REES46 sample, a Parquet log."""
    root = tmp_path_factory.mktemp("raw")
    shutil.copytree(FIXTURES, root, dirs_exist_ok=True)
    (root / "rees46").mkdir()
    shutil.copy(REES46_SAMPLE, root / "rees46")
    table = pa.table(
        {
            "user_id": ["pq1", "pq2", None],
            "item_id": ["P001", "P002", "P003"],
            "event_type": ["purchase", "cart", "view"],
            "event_time": ["2023-12-01T09:00:00Z", "2023-12-02T10:00:00+02:00", "2023-12-03"],
            "price": ["12.99", None, "1"],
        }
    )  # no category/quantity/order_id columns: optional columns may be absent
    pq.write_table(table, root / "interactions" / "events.parquet")
    with gzip.open(root / "interactions" / "more.csv.gz", "wt") as out:
        out.write("user_id,item_id,event_type,event_time,price,category,quantity,order_id\n")
        out.write("gz1,P002,purchase,2023-12-05 12:00:00,4.50,beauty,3,o9\n")
    return root


@pytest.fixture(scope="module")
def built(raw_root: Path, cartwheel_home: Path) -> Path:
    env = {"CARTWHEEL_RAW_ROOT": str(raw_root), "CARTWHEEL_SCHEMA": SCHEMA}
    result = run_dbt("build", "--select", SOURCE_MODELS, *CAUTIOUS, env=env)
    assert result.returncode == 0, result.output[-6000:]
    return cartwheel_home


def table(home: Path, name: str) -> pd.DataFrame:
    return local_table(home, name, schema=SCHEMA)


def test_every_source_reconciles(built: Path) -> None:
    counts = table(built, "audit_source_row_counts").set_index("source_name")
    assert counts["is_reconciled"].all()
    assert counts.loc["rees46", "raw_rows"] == 5019  # the real sample, as SOURCE.txt says
    assert counts.loc["rees46", "duplicate_rows"] == 3  # exact duplicate lines in the sample
    assert counts.loc["amazon_reviews"].to_dict() == {
        "raw_rows": 8,
        "staged_rows": 3,
        "duplicate_rows": 1,
        "rejected_rows": 4,
        "is_reconciled": True,
    }
    assert counts.loc["interactions", "raw_rows"] == 9 + 3 + 1


@pytest.mark.parametrize(
    ("rejected_table", "expected"),
    [
        (
            "amazon_reviews_rejected",
            {"rating_out_of_range", "missing_user_id", "bad_timestamp", "malformed_json"},
        ),
        ("amazon_meta_rejected", {"negative_price", "malformed_json"}),
        (
            "interactions_rejected",
            {
                "unknown_event_type",
                "missing_product_id",
                "bad_timestamp",
                "non_numeric_price",
                "negative_price",
                "wrong_field_count",
                "missing_user_id",
            },
        ),
    ],
)
def test_rejected_rows_keep_line_file_and_reason(
    built: Path, rejected_table: str, expected: set[str]
) -> None:
    rejected = table(built, rejected_table)
    assert set(rejected["reject_reason"]) == expected
    assert rejected["raw_line"].notna().all()
    assert rejected["source_file"].str.startswith("file:").all()


def test_values_are_normalised(built: Path) -> None:
    products = table(built, "fct_interactions")
    events = products.set_index("user_id")
    # "$24.50" in Amazon metadata, "None" price turned to null
    amazon = products[products["source_system"] == "amazon"].set_index("product_id")
    assert float(amazon.loc["P001", "price"].iloc[0]) == 12.99
    assert amazon.loc["P002", "price"] is None or pd.isna(amazon.loc["P002", "price"])
    # +02:00 offset converted to UTC; parquet and gzipped CSV rows both landed
    assert str(events.loc["pq2", "event_at"]) == "2023-12-02 08:00:00"
    assert events.loc["gz1", "quantity"] == 3
    assert events.loc["gz1", "category"] == "beauty"
    # category path separators normalised; empty strings became nulls
    assert events.loc["c2", "category_code"] == "tools.hand tools"
    rees46 = products[products["source_system"] == "rees46"]
    assert not (rees46["brand"] == "").any()
    assert set(rees46["category"]) >= {"electronics", "unknown"}


def test_lake_is_partitioned_parquet(built: Path) -> None:
    lake = built / "warehouse" / f"{SCHEMA}.db" / "fct_interactions"
    partitions = {p.relative_to(lake).as_posix() for p in lake.glob("*/*") if p.is_dir()}
    assert "event_year=2019/event_month=10" in partitions
    assert "event_year=2023/event_month=12" in partitions
    assert list(lake.glob("event_year=2019/event_month=10/*.parquet"))


def test_missing_folders_turn_sources_off(tmp_path: Path, cartwheel_home: Path) -> None:
    (tmp_path / "interactions").mkdir()
    shutil.copy(FIXTURES / "interactions" / "events.csv", tmp_path / "interactions")
    env = {"CARTWHEEL_RAW_ROOT": str(tmp_path), "CARTWHEEL_SCHEMA": "t_sources_off"}
    result = run_dbt("build", "--select", SOURCE_MODELS, *CAUTIOUS, env=env)
    assert result.returncode == 0, result.output[-6000:]
    counts = local_table(cartwheel_home, "audit_source_row_counts", "t_sources_off")
    by_source = counts.set_index("source_name")["raw_rows"].to_dict()
    assert by_source == {"rees46": 0, "amazon_reviews": 0, "amazon_meta": 0, "interactions": 9}


def test_a_file_of_garbage_fails_naming_the_file(tmp_path: Path, cartwheel_home: Path) -> None:
    (tmp_path / "rees46").mkdir()
    shutil.copy(REES46_SAMPLE, tmp_path / "rees46")
    (tmp_path / "rees46" / "garbage.csv").write_text("this is not\na csv file;;\n\x00\x01\n")
    env = {"CARTWHEEL_RAW_ROOT": str(tmp_path), "CARTWHEEL_SCHEMA": "t_sources_garbage"}
    result = run_dbt("build", "--select", "+rees46_rejected", env=env)
    assert result.returncode == 1
    assert "rees46: no line of these files could be read" in result.output
    assert "garbage.csv (3 lines" in result.output
    assert "2019-Oct.csv.gz" not in result.output.split("no line of these files")[1][:300]
    rejected = local_table(cartwheel_home, "rees46_rejected", "t_sources_garbage")
    assert len(rejected) == 3  # kept, not lost
