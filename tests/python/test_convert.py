"""`cartwheel convert`: hand-made files of every layout, expected contract rows written out."""

from __future__ import annotations

import csv
import gzip
import subprocess
from pathlib import Path

import pytest

from cartwheel.convert import CONTRACT, amazon_2014, online_retail
from conftest import BIN, SHARED

HEADER = ",".join(CONTRACT)


def _write(path: Path, text: str) -> Path:
    """`text` as a file; gzipped when the name ends in .gz."""
    data = text.encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def _rows(path: Path) -> list[list[str]]:
    """The contract file's lines, header checked and left out."""
    with gzip.open(path, "rt", newline="") as f:
        lines = list(csv.reader(f))
    assert ",".join(lines[0]) == HEADER
    return lines[1:]


def test_online_retail(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "Online Retail.csv.gz",
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        '536365,85123A,"HEART, WHITE",6,12/1/10 8:26,2.55,17850,United Kingdom\n'
        "536366,22633,HAND WARMER,6,2011-12-09 12:50:00,1.85,,United Kingdom\n"
        "C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527,United Kingdom\n"
        "536380,22961,JAM,24,yesterday,0.85,17809,France\n",
    )
    summary = online_retail(src, tmp_path / "raw")
    assert summary.out == tmp_path / "raw" / "interactions" / "online_retail.csv.gz"
    assert (summary.layout, summary.rows) == ("Online Retail", 4)
    assert summary.rejected == {"missing_user_id": 1, "bad_timestamp": 1, "bad_number": 1}
    assert _rows(summary.out) == [
        ["17850", "85123A", "purchase", "2010-12-01 08:26:00", "2.55", "", "6", "536365"],
        ["", "22633", "purchase", "2011-12-09 12:50:00", "1.85", "", "6", "536366"],
        ["14527", "D", "purchase", "2010-12-01 09:41:00", "27.5", "", "-1", "C536379"],
        ["17809", "22961", "purchase", "yesterday", "0.85", "", "24", "536380"],
    ]


def test_online_retail_ii(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "online_retail_II.csv",
        "\ufeffInvoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
        "489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,"
        "United Kingdom\n"
        "489435,22350,CAT BOWL ,12,12/1/09 7:46,2.55,13085.0,United Kingdom\n"
        "581587,23256,KIDS CUTLERY SPACEBOY ,4,12/9/2011 12:50,4.15,,France\n"
        "581588,BANK CHARGES,Bank Charges,1,12/9/2011 13:00,-15,12680.0,France\n"
        "581589,22138,SPACEBOY,3,13/9/2011 12:50,4.15,12680.0,France\n",
    )
    summary = online_retail(src, tmp_path)
    assert (summary.layout, summary.rows) == ("Online Retail II", 5)
    assert summary.rejected == {"missing_user_id": 1, "negative_price": 1, "bad_timestamp": 1}
    assert _rows(summary.out) == [
        ["13085", "85048", "purchase", "2009-12-01 07:45:00", "6.95", "", "12", "489434"],
        ["13085", "22350", "purchase", "2009-12-01 07:46:00", "2.55", "", "12", "489435"],
        ["", "23256", "purchase", "2011-12-09 12:50:00", "4.15", "", "4", "581587"],
        ["12680", "BANK CHARGES", "purchase", "2011-12-09 13:00:00", "-15", "", "1", "581588"],
        ["12680", "22138", "purchase", "13/9/2011 12:50", "4.15", "", "3", "581589"],
    ]


def test_wrong_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = _write(
        tmp_path / "bad.csv", "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice\n1,2,3,4,5\n"
    )
    with pytest.raises(ValueError, match="bad.csv: not an Online Retail file") as err:
        online_retail(bad, tmp_path)
    assert "Online Retail: CustomerID;" in str(err.value)
    assert "Online Retail II: Invoice, Price, Customer ID" in str(err.value)
    with pytest.raises(ValueError, match=r"bad.csv: not an Amazon 2014 file.*reviewerID, asin"):
        amazon_2014(bad, tmp_path)
    proc = subprocess.run(
        [str(BIN / "cartwheel"), "convert", "online-retail", str(bad), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "not an Online Retail file" in proc.stderr
    assert not (tmp_path / "interactions").exists()


def test_amazon_5core(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "amazon_beauty_5core_interactions.csv.gz",
        "user_id,item_id,timestamp,seq_pos\n1,7873,1318896000,0\n1,6846,1328140800,1\n"
        "2,816,x,0\n2,817,1e30,1\n",
    )
    summary = amazon_2014(src, tmp_path)
    assert summary.out.name == "amazon_2014_amazon_beauty_5core_interactions.csv.gz"
    assert (summary.layout, summary.rows) == ("Amazon 2014 5-core interactions", 4)
    assert summary.rejected == {"bad_timestamp": 2}
    assert _rows(summary.out) == [
        ["1", "7873", "purchase", "2011-10-18 00:00:00", "", "", "1", ""],
        ["1", "6846", "purchase", "2012-02-02 00:00:00", "", "", "1", ""],
        ["2", "816", "purchase", "x", "", "", "1", ""],
        ["2", "817", "purchase", "1e30", "", "", "1", ""],
    ]


def test_amazon_ratings(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "ratings_Beauty.csv",
        "UserId,ProductId,Rating,Timestamp,\r\n"
        "A39HTATAQ9V7YF,205616461,5,1369699200,\r\n"
        "A3JM6GV9MNOF9X,0558925278,3,1355443200,\r\n",
    )
    summary = amazon_2014(src, tmp_path)
    assert summary.out.name == "amazon_2014_ratings_beauty.csv.gz"
    assert (summary.layout, summary.rows, summary.rejected) == ("Amazon 2014 ratings", 2, {})
    assert _rows(summary.out) == [
        ["A39HTATAQ9V7YF", "205616461", "purchase", "2013-05-28 00:00:00", "", "", "1", ""],
        ["A3JM6GV9MNOF9X", "0558925278", "purchase", "2012-12-14 00:00:00", "", "", "1", ""],
    ]


def test_amazon_reviews(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "Musical_instruments_reviews.csv",
        "reviewerID,asin,reviewerName,helpful,reviewText,overall,summary,unixReviewTime,reviewTime\n"
        'A2IBPI20UZIR0U,1384719342,"cassandra tu ""Yeah, well""","[0, 0]","Not much.\n'
        'It filters, ""pops"".\n",5,good,1393545600,"02 28, 2014"\n'
        'A14VAT5EAX3D9S,1384719342,Jake,"[13, 14]",Fine,5,Jake,1363392000,"03 16, 2013"\n',
    )
    summary = amazon_2014(src, tmp_path)
    assert summary.out.name == "amazon_2014_musical_instruments_reviews.csv.gz"
    assert (summary.layout, summary.rows, summary.rejected) == ("Amazon 2014 reviews", 2, {})
    assert _rows(summary.out) == [
        ["A2IBPI20UZIR0U", "1384719342", "purchase", "2014-02-28 00:00:00", "", "", "1", ""],
        ["A14VAT5EAX3D9S", "1384719342", "purchase", "2013-03-16 00:00:00", "", "", "1", ""],
    ]


def test_real_uci_sample(tmp_path: Path) -> None:
    summary = online_retail(
        SHARED / "uci-online-retail-dec2010-28k" / "Online Retail.csv.gz", tmp_path
    )
    assert (summary.rows, summary.rejected) == (
        28_492,
        {"missing_user_id": 10_003, "bad_number": 386},
    )
    first = _rows(summary.out)[0]
    assert first == [
        "17850",
        "85123A",
        "purchase",
        "2010-12-01 08:26:00",
        "2.55",
        "",
        "6",
        "536365",
    ]


@pytest.mark.parametrize(
    ("path", "rows", "users", "items"),
    [
        (
            "amazon2014-beauty-5core/amazon_beauty_5core_interactions.csv.gz",
            198_502,
            22_363,
            12_101,
        ),
        ("amazon2014-beauty-ratings-head30k/ratings_Beauty.csv.gz", 29_999, 28_456, 1_858),
        ("amazon2014-musical-instruments-500/Musical_instruments_reviews.csv.gz", 499, 389, 44),
    ],
)
def test_real_amazon_2014(tmp_path: Path, path: str, rows: int, users: int, items: int) -> None:
    summary = amazon_2014(SHARED / path, tmp_path)
    out = _rows(summary.out)
    assert (summary.rows, len(out), summary.rejected) == (rows, rows, {})
    assert len({r[0] for r in out}) == users
    assert len({r[1] for r in out}) == items
    assert all(len(r[3]) == 19 and r[3].endswith(" 00:00:00") for r in out)
