"""`cartwheel convert`: turn another shop log into the `interactions/` contract.

    cartwheel convert online-retail "Online Retail.csv.gz" [--out DIR]

writes `DIR/interactions/online_retail.csv.gz` (default DIR: the raw root). Supported:

- `online-retail`: the UCI "Online Retail" invoice lines (`InvoiceNo, StockCode,
  Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country`, dates `m/d/yy H:MM`).
  Every line becomes one `purchase` (user = CustomerID, item = StockCode, order = InvoiceNo,
  quantity, unit price). Nothing is dropped here: lines without a customer and
  cancellations (negative quantities) are written as they are, so the loader rejects them
  into `interactions_rejected` with a reason and counts them.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cartwheel.home import raw_root

CONTRACT = ["user_id", "item_id", "event_type", "event_time", "price", "category", "quantity"]
CONTRACT += ["order_id"]
ONLINE_RETAIL = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]


@dataclass(frozen=True)
class ConvertSummary:
    rows: int
    without_user: int
    non_positive_quantity: int
    out: Path

    def line(self) -> str:
        return (
            f"wrote {self.rows:,} interactions to {self.out} ({self.without_user:,} without a "
            f"user and {self.non_positive_quantity:,} with quantity <= 0: the loader will "
            "reject and count them)"
        )


def online_retail(src: Path, out_dir: Path) -> ConvertSummary:
    """UCI Online Retail invoice lines -> `out_dir/interactions/online_retail.csv.gz`."""
    header = pd.read_csv(src, nrows=0, encoding="latin-1").columns
    missing = [c for c in ONLINE_RETAIL if c not in header]
    if missing:
        raise ValueError(f"{src}: not an Online Retail file, missing columns {missing}")
    lines = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="latin-1")
    when = pd.to_datetime(lines["InvoiceDate"], format="%m/%d/%y %H:%M", errors="coerce")
    event_time = when.dt.strftime("%Y-%m-%d %H:%M:%S").fillna(lines["InvoiceDate"])
    frame = pd.DataFrame(
        {
            "user_id": lines["CustomerID"].str.removesuffix(".0"),
            "item_id": lines["StockCode"],
            "event_type": "purchase",
            "event_time": event_time,
            "price": lines["UnitPrice"],
            "category": "",
            "quantity": lines["Quantity"],
            "order_id": lines["InvoiceNo"],
        }
    )[CONTRACT]
    target = out_dir / "interactions" / "online_retail.csv.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target, index=False)
    quantity = pd.to_numeric(lines["Quantity"], errors="coerce")
    return ConvertSummary(
        rows=len(frame),
        without_user=int((frame["user_id"] == "").sum()),
        non_positive_quantity=int((quantity.fillna(0) <= 0).sum()),
        out=target,
    )


FORMATS = {"online-retail": online_retail}


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
