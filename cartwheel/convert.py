"""`cartwheel convert`: turn another shop log into the `interactions/` contract.

    cartwheel convert online-retail online_retail.csv.gz [--out DIR]
    cartwheel convert amazon-2014 ratings_Beauty.csv.gz [--out DIR]

writes one contract CSV into `DIR/interactions/` (default DIR: the raw root). The layout of
the file is found by its header; a file of neither layout fails naming the missing columns.

- `online-retail` -> `online_retail.csv.gz`: UCI "Online Retail" invoice lines
  (`InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country`)
  or its release "Online Retail II" (`Invoice, ..., Price, Customer ID, Country`). Every line
  becomes one `purchase` (user = customer, item = StockCode, order = invoice, quantity, unit
  price). Both releases are one shop, so they write the same file.
- `amazon-2014` -> `amazon_2014_<file name>.csv.gz`: the Amazon 2014 (McAuley) reviews as
  the 5-core long table (`user_id, item_id, timestamp, seq_pos`), the ratings-only CSV
  (`UserId, ProductId, Rating, Timestamp`) or the review CSV (`reviewerID, asin, ...,
  unixReviewTime, reviewTime`). Every review (rating) becomes one `purchase` of quantity 1
  at its unix time (UTC), without price, category or order: as in the literature's Beauty
  benchmark, a review stands for a purchase.

Dates are read in these formats only: 'YYYY-MM-DD HH:MM[:SS]', 'm/d/yy H:MM', 'm/d/yyyy H:MM'
(Online Retail), unix seconds (Amazon 2014), and written as 'YYYY-MM-DD HH:MM:SS'.
Nothing is dropped here: lines without a user, cancellations (quantity <= 0) and unreadable
dates (kept as they are) are written, so the loader rejects them into
`interactions_rejected` with a reason and counts them; the summary says how many of each.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cartwheel.home import raw_root

CONTRACT = ["user_id", "item_id", "event_type", "event_time", "price", "category", "quantity"]
CONTRACT += ["order_id"]
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
GZIP = {"method": "gzip", "compresslevel": 6, "mtime": 0}  # level 9 doubles the time

# layout -> {field the converter reads: the file's column}; the first layout whose columns
# are all in the header is the file's.
ONLINE_RETAIL = {
    "Online Retail": {
        "order": "InvoiceNo",
        "item": "StockCode",
        "quantity": "Quantity",
        "time": "InvoiceDate",
        "price": "UnitPrice",
        "user": "CustomerID",
    },
    "Online Retail II": {
        "order": "Invoice",
        "item": "StockCode",
        "quantity": "Quantity",
        "time": "InvoiceDate",
        "price": "Price",
        "user": "Customer ID",
    },
}
ONLINE_RETAIL_TIMES = (TIME_FORMAT, "%Y-%m-%d %H:%M", "%m/%d/%y %H:%M", "%m/%d/%Y %H:%M")
AMAZON_2014 = {
    "5-core interactions": {"user": "user_id", "item": "item_id", "time": "timestamp"},
    "ratings": {"user": "UserId", "item": "ProductId", "time": "Timestamp"},
    "reviews": {"user": "reviewerID", "item": "asin", "time": "unixReviewTime"},
}


@dataclass(frozen=True)
class ConvertSummary:
    layout: str
    rows: int
    rejected: dict[str, int]  # the loader's reject_reason -> rows it will reject for it
    out: Path

    def line(self) -> str:
        rejected = ", ".join(f"{n:,} {reason}" for reason, n in self.rejected.items())
        return (
            f"{self.layout}: wrote {self.rows:,} interactions to {self.out}; the loader will "
            f"reject and count {rejected or 'none of them'}"
        )


def online_retail(src: Path, out_dir: Path) -> ConvertSummary:
    """UCI Online Retail (or Online Retail II) -> `out_dir/interactions/online_retail.csv.gz`."""
    layout, lines = _read(src, ONLINE_RETAIL, "an Online Retail")
    event_time, bad_time = _times(lines["time"], _clock_times)
    events = {
        "user_id": lines["user"].str.removesuffix(".0"),
        "item_id": lines["item"],
        "event_time": event_time,
        "price": lines["price"],
        "quantity": lines["quantity"],
        "order_id": lines["order"],
    }
    target = out_dir / "interactions" / "online_retail.csv.gz"
    return _write(events, bad_time, target, layout)


def amazon_2014(src: Path, out_dir: Path) -> ConvertSummary:
    """Amazon 2014 reviews -> `out_dir/interactions/amazon_2014_<file name>.csv.gz`."""
    layout, reviews = _read(src, AMAZON_2014, "an Amazon 2014")
    event_time, bad_time = _times(reviews["time"], _unix_times)
    events = {
        "user_id": reviews["user"],
        "item_id": reviews["item"],
        "event_time": event_time,
        "quantity": "1",
    }
    stem = src.name.lower().removesuffix(".gz").removesuffix(".csv")
    name = re.sub(r"[^a-z0-9]+", "_", stem).strip("_") or "reviews"
    target = out_dir / "interactions" / f"amazon_2014_{name}.csv.gz"
    return _write(events, bad_time, target, f"Amazon 2014 {layout}")


def _read(src: Path, layouts: dict[str, dict[str, str]], what: str) -> tuple[str, pd.DataFrame]:
    """The file's layout (by its header) and the columns it needs, as text, named by field."""
    options = {"dtype": str, "keep_default_na": False, "index_col": False}
    options |= {"encoding": "utf-8-sig", "encoding_errors": "replace"}
    try:
        header = {c.strip(): c for c in pd.read_csv(src, nrows=0, **options).columns}
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise ValueError(f"{src}: not {what} file ({exc})") from exc
    missing = {}
    for layout, fields in layouts.items():
        missing[layout] = [c for c in fields.values() if c not in header]
        if not missing[layout]:
            columns = {header[c]: field for field, c in fields.items()}
            lines = pd.read_csv(src, usecols=list(columns), **options)
            return layout, lines.rename(columns=columns).fillna("")
    needs = "; ".join(f"{layout}: {', '.join(cols)}" for layout, cols in missing.items())
    raise ValueError(f"{src}: not {what} file, missing columns ({needs})")


def _times(raw: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> tuple[pd.Series, pd.Series]:
    """`raw` as 'YYYY-MM-DD HH:MM:SS' and where `parse` could not read it (then kept as it is).

    Each distinct value is parsed once (invoices and review days repeat a lot)."""
    codes, distinct = pd.factorize(raw)
    parsed = parse(pd.Series(distinct, dtype=str).str.strip())
    text = parsed.dt.strftime(TIME_FORMAT).where(parsed.notna(), distinct)
    return (
        pd.Series(text.to_numpy()[codes], index=raw.index),
        pd.Series(parsed.isna().to_numpy()[codes], index=raw.index),
    )


def _clock_times(values: pd.Series) -> pd.Series:
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in ONLINE_RETAIL_TIMES:
        parsed = parsed.fillna(pd.to_datetime(values, format=fmt, errors="coerce"))
    return parsed


def _unix_times(values: pd.Series) -> pd.Series:
    seconds = pd.to_numeric(values, errors="coerce")
    in_range = seconds.between(-9e9, 9e9)  # pandas timestamps end in 1677 and 2262
    return pd.to_datetime(seconds.where(in_range), unit="s", errors="coerce")


def _write(
    events: dict[str, pd.Series | str], bad_time: pd.Series, target: Path, layout: str
) -> ConvertSummary:
    """Write `events` (contract columns; absent optional ones empty) as purchases to `target`."""
    frame = pd.DataFrame({"event_type": "purchase", **events}).reindex(
        columns=CONTRACT, fill_value=""
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target, index=False, compression=GZIP)
    return ConvertSummary(layout, len(frame), _rejected(frame, bad_time), target)


def _rejected(frame: pd.DataFrame, bad_time: pd.Series) -> dict[str, int]:
    """Rows the loader will reject, by reason: the first rule that matches, in its order."""
    given = {c: frame[c].str.strip() != "" for c in ["user_id", "item_id", "price", "quantity"]}
    price = pd.to_numeric(frame["price"], errors="coerce")
    quantity = pd.to_numeric(frame["quantity"], errors="coerce")
    rules = {
        "missing_user_id": ~given["user_id"],
        "missing_product_id": ~given["item_id"],
        "bad_timestamp": bad_time,
        "non_numeric_price": given["price"] & price.isna(),
        "negative_price": price < 0,
        "bad_number": given["quantity"] & ~(quantity > 0),
    }
    left = pd.Series(True, index=frame.index)
    counts = {}
    for reason, hit in rules.items():
        counts[reason] = int((hit & left).sum())
        left &= ~hit
    return {reason: n for reason, n in counts.items() if n}


FORMATS = {"online-retail": online_retail, "amazon-2014": amazon_2014}


def _run(args: argparse.Namespace) -> int:
    src = Path(args.src)
    if not src.is_file():
        raise ValueError(f"{src}: no such file")
    out = Path(args.out) if args.out else raw_root()
    print(FORMATS[args.format](src, out).line())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `convert` subcommand to the `cartwheel` CLI."""
    cmd = subparsers.add_parser(
        "convert",
        help="convert another shop log into the interactions/ contract",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("format", choices=sorted(FORMATS))
    cmd.add_argument("src", help="the file to convert (plain or .gz)")
    cmd.add_argument("--out", help="raw root to write into (default: the project's raw root)")
    cmd.set_defaults(handler=_run)
