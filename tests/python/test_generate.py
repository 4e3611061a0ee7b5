"""`cartwheel generate`: formats, determinism, funnel sanity, shared ids and argument errors.

Every test uses a small shop (a few thousand events) so the module runs in seconds; no Spark.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cartwheel import cli, generate
from cartwheel.generate import GenerateSummary, generate_shop

N = 3000
SEED = 11
START = date(2023, 1, 1)
MONTHS = 24
HEADER = (
    "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
)
EVENT_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
CATEGORY_CODE = re.compile(r"[a-z_]+(\.[a-z_]+)+")
PRICE = re.compile(r"\d+\.\d{2}")
REVIEW_TYPES = {
    "rating": float,
    "title": str,
    "text": str,
    "images": list,
    "asin": str,
    "parent_asin": str,
    "user_id": str,
    "timestamp": int,
    "helpful_vote": int,
    "verified_purchase": bool,
}
META_KEYS = [
    "main_category",
    "title",
    "average_rating",
    "rating_number",
    "features",
    "description",
    "price",
    "images",
    "videos",
    "store",
    "categories",
    "details",
    "parent_asin",
    "bought_together",
]


def make_shop(out: Path, interactions: int = N, seed: int = SEED, **kwargs) -> GenerateSummary:
    return generate_shop(out, interactions=interactions, seed=seed, start=START, **kwargs)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    out = tmp_path_factory.mktemp("shop")
    return out, make_shop(out)


def read_lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return handle.read().splitlines()


def rees46_rows(out: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((out / "rees46").glob("events-*.csv.gz")):
        rows += list(csv.DictReader(io.StringIO("\n".join(read_lines(path)))))
    return rows


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in read_lines(path)]


def reviews(out: Path) -> list[dict]:
    return [r for p in sorted((out / "amazon_reviews").glob("*.jsonl.gz")) for r in jsonl(p)]


def all_files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for folder in generate.FOLDERS
        for p in sorted((out / folder).rglob("*"))
    }


def epoch(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC).timestamp()


def test_layout_one_file_per_month(shop: tuple[Path, GenerateSummary]) -> None:
    out, summary = shop
    events = sorted(p.name for p in (out / "rees46").iterdir())
    review_files = sorted(p.name for p in (out / "amazon_reviews").iterdir())
    assert len(events) == len(review_files) == MONTHS
    assert events[0] == "events-2023-01.csv.gz" and events[-1] == "events-2024-12.csv.gz"
    assert review_files[0] == "reviews-2023-01.jsonl.gz"
    assert [p.name for p in (out / "amazon_meta").iterdir()] == ["meta.jsonl.gz"]
    assert not any(p.name.startswith(".") for p in out.iterdir()), "staging folder left behind"
    assert summary.months == MONTHS and summary.bytes_written > 0


def test_rees46_header_and_values(shop: tuple[Path, GenerateSummary]) -> None:
    out, summary = shop
    for path in (out / "rees46").glob("*.csv.gz"):
        assert read_lines(path)[0] == HEADER
    rows = rees46_rows(out)
    assert len(rows) == N == summary.events
    lo, hi = epoch("2023-01-01 00:00:00 UTC"), epoch("2025-01-01 00:00:00 UTC")
    for row in rows:
        assert EVENT_TIME.fullmatch(row["event_time"]) and lo <= epoch(row["event_time"]) < hi
        assert row["event_type"] in {"view", "cart", "remove_from_cart", "purchase"}
        assert int(row["product_id"]) > 0 and int(row["category_id"]) > 10**18
        assert row["category_code"] == "" or CATEGORY_CODE.fullmatch(row["category_code"])
        assert row["brand"] == row["brand"].lower()
        assert PRICE.fullmatch(row["price"]) and float(row["price"]) > 0
        assert int(row["user_id"]) > 0 and UUID.fullmatch(row["user_session"])
    share_uncoded = sum(r["category_code"] == "" for r in rows) / len(rows)
    assert 0.02 < share_uncoded < 0.3


def test_events_are_in_time_order_within_each_month(shop: tuple[Path, GenerateSummary]) -> None:
    out, _ = shop
    for path in (out / "rees46").glob("events-*.csv.gz"):
        times = [line.split(",", 1)[0] for line in read_lines(path)[1:]]
        assert times == sorted(times)
        month = path.name[len("events-") : len("events-YYYY-MM")]
        assert all(t.startswith(month) for t in times)


def test_funnel_counts(shop: tuple[Path, GenerateSummary]) -> None:
    out, _ = shop
    kinds = [row["event_type"] for row in rees46_rows(out)]
    views, carts, buys = (kinds.count(k) for k in ("view", "cart", "purchase"))
    assert 0 < buys <= carts <= views
    assert 0.03 < carts / views < 0.15


def test_review_records(shop: tuple[Path, GenerateSummary]) -> None:
    out, summary = shop
    records = reviews(out)
    assert len(records) == summary.reviews > 0
    lo, hi = epoch("2023-01-01 00:00:00 UTC") * 1000, epoch("2025-01-01 00:00:00 UTC") * 1000
    for record in records:
        assert list(record) == list(REVIEW_TYPES)
        for key, kind in REVIEW_TYPES.items():
            assert type(record[key]) is kind, key
        assert 1.0 <= record["rating"] <= 5.0 and record["helpful_vote"] >= 0
        assert lo <= record["timestamp"] < hi
        assert record["asin"] == record["parent_asin"]
    for path in (out / "amazon_reviews").glob("*.jsonl.gz"):
        month = path.name[len("reviews-") : len("reviews-YYYY-MM")]
        stamps = [datetime.fromtimestamp(r["timestamp"] / 1000, UTC) for r in jsonl(path)]
        assert all(f"{s:%Y-%m}" == month for s in stamps)


def test_meta_records(shop: tuple[Path, GenerateSummary]) -> None:
    out, summary = shop
    records = jsonl(out / "amazon_meta" / "meta.jsonl.gz")
    assert len(records) == summary.products
    for record in records:
        assert list(record) == META_KEYS
        assert isinstance(record["average_rating"], float) and 1.0 <= record["average_rating"] <= 5
        assert isinstance(record["rating_number"], int) and record["rating_number"] >= 1
        assert record["price"] is None or record["price"] == "None" or record["price"] > 0
        assert all(isinstance(x, list) for x in (record["features"], record["images"]))
        assert isinstance(record["details"], dict) and record["bought_together"] is None
        if record["store"]:
            assert record["title"].startswith(record["store"])
            assert record["details"]["Brand"] == record["store"]
        if record["categories"]:
            assert record["categories"][0] == record["main_category"]


def test_ids_are_shared(shop: tuple[Path, GenerateSummary]) -> None:
    out, _ = shop
    rows = rees46_rows(out)
    meta = {r["parent_asin"]: r for r in jsonl(out / "amazon_meta" / "meta.jsonl.gz")}
    products = {row["product_id"] for row in rows}
    users = {row["user_id"] for row in rows}
    assert products <= set(meta)
    for record in reviews(out):
        assert record["parent_asin"] in meta and record["parent_asin"] in products
    verified_users = {r["user_id"] for r in reviews(out) if r["verified_purchase"]}
    assert verified_users <= users
    for row in rows:
        record = meta[row["product_id"]]
        if row["category_code"]:
            titles = [part.replace("_", " ").title() for part in row["category_code"].split(".")]
            assert record["categories"] == titles
        else:
            assert record["categories"] == []
        assert (record["store"] or "").lower() == row["brand"]


def test_verified_reviews_follow_a_purchase(shop: tuple[Path, GenerateSummary]) -> None:
    out, _ = shop
    first_purchase: dict[tuple[str, str], float] = {}
    for row in rees46_rows(out):
        if row["event_type"] == "purchase":
            key = (row["user_id"], row["product_id"])
            first_purchase.setdefault(key, epoch(row["event_time"]))
    records = reviews(out)
    verified = [r for r in records if r["verified_purchase"]]
    assert verified and len(verified) < len(records), "expect verified and unverified reviews"
    for record in verified:
        bought = first_purchase.get((record["user_id"], record["parent_asin"]))
        assert bought is not None and bought * 1000 < record["timestamp"]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    make_shop(tmp_path / "a")
    make_shop(tmp_path / "b")
    make_shop(tmp_path / "c", seed=SEED + 1)
    first, again = all_files(tmp_path / "a"), all_files(tmp_path / "b")
    assert first == again
    other = all_files(tmp_path / "c")
    assert other.keys() == first.keys()
    assert other["rees46/events-2023-01.csv.gz"] != first["rees46/events-2023-01.csv.gz"]
    assert other["amazon_meta/meta.jsonl.gz"] != first["amazon_meta/meta.jsonl.gz"]


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    make_shop(tmp_path, interactions=500, months=2)
    keep = tmp_path / "notes.txt"
    keep.write_text("not ours")
    with pytest.raises(ValueError, match="--force"):
        make_shop(tmp_path, interactions=500, months=2)
    summary = make_shop(tmp_path, interactions=700, months=2, force=True)
    assert summary.events == 700 and len(rees46_rows(tmp_path)) == 700
    assert keep.read_text() == "not ours"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interactions": 0}, "interactions must be between 1"),
        ({"interactions": -5}, "interactions must be between 1"),
        ({"interactions": 2.5}, "interactions must be a whole number"),
        ({"interactions": "100"}, "interactions must be a whole number"),
        ({"interactions": True}, "interactions must be a whole number"),
        ({"seed": -1}, "seed must be a non-negative"),
        ({"months": 0}, "months must be between 1"),
        ({"start": date(2023, 1, 15)}, "first day of a month"),
    ],
)
def test_bad_arguments_raise_value_error(tmp_path: Path, kwargs: dict, message: str) -> None:
    args = {"out": tmp_path, "interactions": 100, "seed": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        generate_shop(**args)
    assert not any(tmp_path.iterdir()), "nothing is written for bad arguments"


@pytest.mark.parametrize(
    ("text", "value"), [("2000", 2000), ("1_000", 1000), ("1e6", 10**6), ("2.5M", 2_500_000)]
)
def test_parse_count_accepts_common_spellings(text: str, value: int) -> None:
    assert generate.parse_count("--interactions", text) == value


@pytest.mark.parametrize("text", ["abc", "0", "-3", "1.5", "", "1e-3"])
def test_parse_count_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="--interactions must be a positive whole number"):
        generate.parse_count("--interactions", text)


def test_cli_writes_summary_and_reports_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "raw"
    argv = ["generate", "--interactions", "800", "--seed", "3", "--out", str(out), "--months", "3"]
    assert cli.main([*argv, "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "800 REES46 events" in captured.out and captured.err == ""
    assert cli.main(argv) == 2
    assert "pass --force" in capsys.readouterr().err
    assert cli.main([*argv, "--force"]) == 0
    assert "generate 2023-03" in capsys.readouterr().err, "progress lines on stderr"
    for bad in (["--interactions", "lots"], ["--interactions", "10", "--start-date", "2023-13-01"]):
        assert cli.main(["generate", "--out", str(tmp_path / "x"), *bad]) == 2
        assert "cartwheel: error:" in capsys.readouterr().err


def test_default_out_is_raw_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARTWHEEL_RAW_ROOT", str(tmp_path / "raw"))
    assert cli.main(["generate", "--interactions", "300", "--months", "1", "--quiet"]) == 0
    assert (tmp_path / "raw" / "rees46" / "events-2023-01.csv.gz").is_file()
    assert str(tmp_path / "raw") in capsys.readouterr().out
