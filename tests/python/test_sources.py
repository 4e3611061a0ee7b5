"""Loaders for every raw format, rejection paths and the reconciliation test (real dbt)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import REES46_SAMPLE, ROOT, local_table, rees46_data_lines, run_dbt

FIXTURES = ROOT / "tests" / "fixtures" / "raw"
SCHEMA = "t_sources"
SOURCE_MODELS = "+audit_source_row_counts +fct_interactions"
# only the tests of the selected models (fct_interactions' relationships to the dimensions
# would need the whole star schema)
CAUTIOUS = ("--indirect-selection", "cautious")


HEADER = "user_id,item_id,event_type,event_time,price,category,quantity,order_id"


def add_odd_drops(root: Path) -> None:
    """What real drops contain: each either loads correctly or is rejected with a reason."""
    drops = root / "interactions"
    # an Instacart-style export: a subset of the columns, in another order
    (drops / "instacart.csv").write_text(
        "user_id,item_id,event_type,event_time,order_id,quantity\n"
        "ic1,P010,purchase,2023-12-07 10:00:00,o77,2\n"
        "ic2,P011,view,2023-12-07 11:00:00,,\n"
    )
    (drops / "bom_crlf.csv").write_bytes(
        f"\ufeff{HEADER}\r\nbom1,P020,view,2023-12-08 10:00:00,3.00,toys,,\r\n".encode()
        + b"bom2,P021,purchase,2023-12-08 11:00:00,4.00,toys,1,o5\r\n"
    )
    (drops / "latin1.csv").write_bytes(
        f"{HEADER}\nlat1,P030,view,2023-12-09 10:00:00,3.00,caf\xe9s,,\n"
        "lat2,P031,view,2023-12-09 10:00:00,3.00,teas,,\n".encode("latin-1")
    )
    (drops / "header_only.csv").write_text(HEADER + "\n")
    (drops / "zero_bytes.csv").write_bytes(b"")
    # the same REES46 file dropped twice under two names
    shutil.copy(REES46_SAMPLE, root / "rees46" / "2019-Oct-copy.csv.gz")
    big = {
        "rating": 3.0,
        "title": "Long",
        "text": "x" * 10_000_000,
        "asin": "B009",
        "parent_asin": "P009",
        "user_id": "AUbig",
        "timestamp": 1700300000000,
    }
    (root / "amazon_reviews" / "big_line.jsonl").write_text(json.dumps(big) + "\n")


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hand-written fixtures (good and bad lines), the real REES46 sample, a Parquet log,
    odd drops; under a path with a quote, a space and a non-ASCII letter (it reaches SQL)."""
    root = tmp_path_factory.mktemp("raw") / "drops of o'brien é"
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
    add_odd_drops(root)
    return root


@pytest.fixture(scope="module")
def built(raw_root: Path, cartwheel_home: Path) -> Path:
    # relative to dbt's working directory, as a user's `CARTWHEEL_HOME=.cartwheel` is:
    # Spark itself would look for it under its warehouse and find no file (every count
    # below was then zero and still "reconciled")
    relative = os.path.relpath(raw_root, ROOT)
    env = {"CARTWHEEL_RAW_ROOT": relative, "CARTWHEEL_SCHEMA": SCHEMA}
    result = run_dbt("build", "--select", SOURCE_MODELS, *CAUTIOUS, env=env)
    assert result.returncode == 0, result.output[-6000:]
    return cartwheel_home


def table(home: Path, name: str) -> pd.DataFrame:
    return local_table(home, name, schema=SCHEMA)


def test_every_source_reconciles(built: Path) -> None:
    counts = table(built, "audit_source_row_counts").set_index("source_name")
    assert counts["is_reconciled"].all()
    # the real sample (5,019 lines, as SOURCE.txt says) twice
    assert counts.loc["rees46", "raw_rows"] == 5019 * 2
    # 3 exact duplicate lines in the sample, and the whole second copy
    assert counts.loc["rees46", "duplicate_rows"] == 3 + 5019
    assert counts.loc["rees46", "staged_rows"] == 5019 - 3
    assert counts.loc["amazon_reviews"].to_dict() == {
        "raw_rows": 8 + 1,
        "staged_rows": 3 + 1,
        "duplicate_rows": 1,
        "rejected_rows": 4,
        "is_reconciled": True,
    }
    # events.csv 9, the Parquet log 3, more.csv.gz 1, instacart 2, bom_crlf 2, latin1 2
    assert counts.loc["interactions", "raw_rows"] == 9 + 3 + 1 + 2 + 2 + 2
    assert counts.loc["interactions", "rejected_rows"] == 6 + 1 + 1  # + pq3, lat1


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
                "not_utf8",
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


def test_odd_drops_load_by_name_or_are_rejected(built: Path) -> None:
    events = table(built, "fct_interactions").set_index("user_id")
    # read by header name: the Instacart-style subset in another order
    assert events.loc["ic1", "order_id"] == "o77" and events.loc["ic1", "quantity"] == 2
    assert events.loc["ic1", "product_id"] == "P010" and events.loc["ic2", "quantity"] == 1
    assert pd.isna(events.loc["ic1", "price"])
    # byte-order mark and CRLF: clean ids and values
    assert events.loc["bom1", "category"] == "toys" and events.loc["bom2", "order_id"] == "o5"
    # Latin-1: the line with a non-UTF-8 byte is rejected, the ASCII line loads
    assert "lat2" in events.index and "lat1" not in events.index
    rejected = table(built, "interactions_rejected").set_index("reject_reason")
    assert rejected.loc["not_utf8", "source_file"].endswith("latin1.csv")
    # a 10 MB JSONL line loads
    assert events.loc["AUbig", "product_id"] == "P009"


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
    sample = "2019 Oct+head%.csv.gz"  # a space, a plus and a percent sign in its name
    shutil.copy(REES46_SAMPLE, tmp_path / "rees46" / sample)
    (tmp_path / "rees46" / "garbage.csv").write_text("this is not\na csv file;;\n\x00\x01\n")
    (tmp_path / "rees46" / "reordered.csv").write_text(  # REES46 columns in another order
        "user_id,product_id,event_time,event_type,price,category_id,category_code,brand,"
        "user_session\n"
        "541312140,44600062,2019-10-30 00:00:00 UTC,view,35.79,2103807459595387724,,"
        "shiseido,72d76fde-8bb3-4e00-8c23-a032dfed738c\n"
    )
    (tmp_path / "interactions").mkdir()
    (tmp_path / "interactions" / "no_item.csv").write_text(  # a required column is missing
        "user_id,event_type,event_time,order_id\nx1,purchase,2023-12-07 10:00:00,o1\n"
        "x2,view,2023-12-07 10:00:00,\n"
    )
    env = {"CARTWHEEL_RAW_ROOT": str(tmp_path), "CARTWHEEL_SCHEMA": "t_sources_garbage"}
    result = run_dbt("build", "--select", "+rees46_rejected +interactions_rejected", env=env)
    assert result.returncode == 1
    assert "rees46: no line of these files could be read" in result.output
    assert "garbage.csv (3 lines" in result.output
    assert "reordered.csv (2 lines, e.g. bad_timestamp)" in result.output  # never loaded
    assert "no_item.csv (2 lines, e.g. missing_column:item_id)" in result.output
    assert "Oct+head" not in result.output.split("no line of these files")[1][:300]
    rejected = local_table(cartwheel_home, "rees46_rejected", "t_sources_garbage")
    assert len(rejected) == 3 + 2  # kept, not lost
    reordered = rejected[rejected["source_file"].str.endswith("reordered.csv")]
    assert sorted(reordered["reject_reason"]) == ["bad_timestamp", "unexpected_header"]
    rejected = local_table(cartwheel_home, "interactions_rejected", "t_sources_garbage")
    assert set(rejected["reject_reason"]) == {"missing_column:item_id"} and len(rejected) == 2

    # moved away, as the message asks: the next (incremental) run forgets their lines, and
    # only theirs (the sample's odd name is matched against the folder's listing)
    for path in ("rees46/garbage.csv", "rees46/reordered.csv", "interactions/no_item.csv"):
        (tmp_path / path).rename(tmp_path / path.replace("/", "_moved_"))
    again = run_dbt("build", "--select", "+rees46_rejected +interactions_rejected", env=env)
    assert again.returncode == 0, again.output[-3000:]
    for table in ("rees46_rejected", "interactions_rejected"):
        assert local_table(cartwheel_home, table, "t_sources_garbage").empty
    parsed = local_table(cartwheel_home, "base_rees46__parsed_events", "t_sources_garbage")
    names = {unquote(path.rsplit("/", 1)[-1]) for path in parsed["source_file"]}
    assert names == {sample} and len(parsed) == rees46_data_lines(REES46_SAMPLE)


def test_corrupt_files_fail_naming_them(tmp_path: Path) -> None:
    (tmp_path / "rees46").mkdir()
    data = REES46_SAMPLE.read_bytes()
    (tmp_path / "rees46" / "truncated.csv.gz").write_bytes(data[: len(data) // 2])
    (tmp_path / "interactions").mkdir()
    (tmp_path / "interactions" / "broken.parquet").write_bytes(b"PAR1" + b"\0" * 64 + b"x")
    env = {"CARTWHEEL_RAW_ROOT": str(tmp_path), "CARTWHEEL_SCHEMA": "t_sources_corrupt"}
    result = run_dbt(
        "run", "--select", "base_rees46__parsed_events base_interactions__parsed_events", env=env
    )
    assert result.returncode == 1
    for name in ("rees46/truncated.csv.gz", "interactions/broken.parquet"):
        assert f"Encountered error while reading file file://{tmp_path}/{name}" in result.output


def test_a_var_that_is_not_a_number_fails_naming_it() -> None:
    """Numeric vars are pasted into SQL: anything but a number stops the run at parse."""
    env = {"DBT_PROFILES_DIR": str(ROOT / "profiles")}
    hostile = {"high_value_min_reviews": "1) or (1 = 1"}
    result = run_dbt("parse", target="lint", vars=hostile, env=env)
    assert result.returncode != 0
    assert "var high_value_min_reviews must be a number, got 1) or (1 = 1" in result.output
    weights = {"event_weights": {"view": 1, "cart": "3; drop table x", "purchase": 5}}
    result = run_dbt("parse", target="lint", vars=weights, env=env)
    assert result.returncode != 0 and "var event_weights.cart must be a number" in result.output
