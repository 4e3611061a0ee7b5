"""`cartwheel convert online-retail` on the real UCI sample: every line kept, contract columns."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from cartwheel.convert import CONTRACT, online_retail
from conftest import BIN, SHARED

SAMPLE = SHARED / "uci-online-retail-dec2010-28k" / "Online Retail.csv.gz"


def test_every_line_becomes_an_interaction(tmp_path: Path) -> None:
    summary = online_retail(SAMPLE, tmp_path)
    assert (summary.rows, summary.without_user) == (28_492, 10_003)
    out = pd.read_csv(summary.out, dtype=str, keep_default_na=False)
    assert list(out.columns) == CONTRACT
    assert len(out) == 28_492
    first = out.iloc[0]
    assert (first.user_id, first.item_id, first.event_time, first.order_id) == (
        "17850",
        "85123A",
        "2010-12-01 08:26:00",
        "536365",
    )
    assert set(out["event_type"]) == {"purchase"}


def test_wrong_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="bad.csv: not an Online Retail file"):
        online_retail(bad, tmp_path)
    proc = subprocess.run(
        [str(BIN / "cartwheel"), "convert", "online-retail", str(bad), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "not an Online Retail file" in proc.stderr
