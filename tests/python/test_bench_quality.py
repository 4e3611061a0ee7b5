"""benchmarks/bench_quality.py without Spark or dbt: the leaderboard, the finding, the README.

Hand-made `ml_metrics` / `ml_backtest` / `ml_model_selection` frames and the values the
leaderboard must show for them, written out by hand.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
NAN = float("nan")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_quality", ROOT / "benchmarks" / "bench_quality.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_quality"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bq = _load()

METRIC_COLUMNS = [
    "model",
    "target",
    "protocol",
    "population",
    "k",
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "n_users",
    "note",
    "is_headline",
]


def metrics_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def hand_metrics(als_p10: float = 0.05) -> pd.DataFrame:
    """Headline: purchase / new_items / all at K=10 (as ml_metrics flags it)."""
    p = ("purchase", "new_items")
    return metrics_frame(
        [
            ("als", *p, "all", 10, als_p10, 0.20, 0.08, 100, None, True),
            ("als", *p, "all", 20, 0.04, 0.30, 0.09, 100, None, False),
            ("popularity", *p, "all", 10, 0.03, 0.10, 0.04, 100, None, True),
            ("popularity", *p, "all", 20, 0.02, 0.20, 0.05, 100, None, False),
            ("random", *p, "all", 10, 0.001, 0.002, 0.002, 100, None, True),
            ("random", *p, "all", 20, 0.001, 0.01, 0.003, 100, None, False),
            ("als", *p, "warm", 10, 0.06, 0.25, 0.09, 80, None, False),
            ("als", *p, "warm", 20, 0.05, 0.35, 0.10, 80, None, False),
            ("als", "interaction", "new_items", "all", 10, None, None, None, 0, "no users", False),
            ("als", "interaction", "new_items", "all", 20, None, None, None, 0, "no users", False),
        ]
    )


def hand_backtest() -> pd.DataFrame:
    p = ("purchase", "new_items", "all")
    return pd.DataFrame(
        [
            ("als", *p, 10, "precision_at_k", 3, 0.045, 0.005, 0.04, 0.05, 300),
            ("als", *p, 10, "recall_at_k", 3, 0.9, 0.1, 0.8, 1.0, 300),
            ("als", *p, 20, "precision_at_k", 3, 0.9, 0.1, 0.8, 1.0, 300),
            ("popularity", *p, 10, "precision_at_k", 3, 0.028, 0.004, 0.025, 0.032, 300),
            ("random", *p, 10, "precision_at_k", 1, 0.001, None, 0.001, 0.001, 100),
        ],
        columns=[
            "model",
            "target",
            "protocol",
            "population",
            "k",
            "metric",
            "n_folds",
            "mean_value",
            "std_value",
            "min_value",
            "max_value",
            "n_users_total",
        ],
    )


def hand_selection() -> pd.DataFrame:
    return pd.DataFrame(
        [("purchase", "new_items", "als"), ("interaction", "new_items", "popularity")],
        columns=["target", "protocol", "chosen_model"],
    )


def test_build_leaderboard_on_hand_made_tables() -> None:
    board = bq.build_leaderboard("shop", hand_metrics(), hand_backtest(), hand_selection())
    assert list(board.columns) == bq.COLUMNS
    shown = board[["model", "target", "population", "P@10", "R@20", "NDCG@10", "users"]]
    assert shown.astype(object).where(shown.notna(), None).values.tolist() == [
        ["als", "interaction", "all", None, None, None, 0],
        ["als", "purchase", "all", 0.05, 0.30, 0.08, 100],
        ["popularity", "purchase", "all", 0.03, 0.20, 0.04, 100],
        ["random", "purchase", "all", 0.001, 0.01, 0.002, 100],
        ["als", "purchase", "warm", 0.06, 0.35, 0.09, 80],
    ]
    assert board["P@10 backtest"].tolist() == [
        "n/a",
        "0.0450 ± 0.0050 (3 folds)",
        "0.0280 ± 0.0040 (3 folds)",
        "0.0010 (1 fold)",
        "n/a",
    ]
    assert board["headline"].tolist() == [False, True, True, True, False]
    assert board["chosen"].tolist() == [False, True, False, False, True]
    assert board["note"].tolist()[0] == "no users"
    assert set(board["dataset"]) == {"shop"}


def headline_rows(als_p10: float, metrics: pd.DataFrame | None = None) -> pd.DataFrame:
    metrics = hand_metrics(als_p10) if metrics is None else metrics
    board = bq.build_leaderboard("shop", metrics, hand_backtest())
    return board[board["headline"]]


def test_finding_personal_wins() -> None:
    assert bq.finding(headline_rows(0.05)) == (
        "best personal model als (P@10 0.0500) vs best non-personal popularity"
        " (P@10 0.0300): personal wins"
    )


def test_finding_personal_loses() -> None:
    assert bq.finding(headline_rows(0.01)) == (
        "best personal model als (P@10 0.0100) vs best non-personal popularity"
        " (P@10 0.0300): personal loses"
    )


def test_finding_within_the_backtest_spread() -> None:
    # |0.033 - 0.030| = 0.003 <= max(std 0.005 of als, 0.004 of popularity)
    assert bq.finding(headline_rows(0.033)) == (
        "best personal model als (P@10 0.0330) vs best non-personal popularity"
        " (P@10 0.0300): within the backtest spread (± 0.0050)"
    )


def test_finding_reads_no_fixed_model_list() -> None:
    p = ("purchase", "repeat_aware", "all", 10)
    metrics = metrics_frame(
        [
            ("item_knn", *p, 0.011, 0.1, 0.1, 50, None, True),
            ("buy_again", *p, 0.012, 0.1, 0.1, 50, None, True),
            ("trending", *p, 0.020, 0.1, 0.1, 50, None, True),
            ("popularity", *p, 0.015, 0.1, 0.1, 50, None, True),
        ]
    )
    assert bq.finding(headline_rows(0.0, metrics)) == (
        "best personal model buy_again (P@10 0.0120) vs best non-personal trending"
        " (P@10 0.0200): personal loses"
    )


def test_finding_without_a_personal_score() -> None:
    p = ("purchase", "new_items", "all", 10)
    metrics = metrics_frame(
        [
            ("als", *p, None, None, None, 0, "no purchase signal", True),
            ("popularity", *p, 0.02, 0.1, 0.1, 50, None, True),
        ]
    )
    assert bq.finding(headline_rows(0.0, metrics)) == (
        "no finding: no personal model has a P@10 in the headline slice"
    )


def test_format_backtest() -> None:
    assert bq.format_backtest(0.045, 0.005, 3) == "0.0450 ± 0.0050 (3 folds)"
    assert bq.format_backtest(0.001, NAN, 1) == "0.0010 (1 fold)"
    assert bq.format_backtest(NAN, NAN, 0) == "n/a"


def test_dataset_markdown() -> None:
    board = bq.build_leaderboard("shop", hand_metrics(), hand_backtest(), hand_selection())
    assert bq.dataset_markdown("shop", board, "5,019 events") == (
        "**shop**: 5,019 events; headline target `purchase`, protocol `new_items`,"
        " population all.\n"
        "\n"
        "| model | P@10 | R@20 | NDCG@10 | users | P@10 backtest | chosen |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        "| als | 0.0500 | 0.3000 | 0.0800 | 100 | 0.0450 ± 0.0050 (3 folds) | yes |\n"
        "| popularity | 0.0300 | 0.2000 | 0.0400 | 100 | 0.0280 ± 0.0040 (3 folds) |  |\n"
        "| random | 0.0010 | 0.0100 | 0.0020 | 100 | 0.0010 (1 fold) |  |\n"
        "\n"
        "Finding: best personal model als (P@10 0.0500) vs best non-personal popularity"
        " (P@10 0.0300): personal wins."
    )


def test_leaderboard_markdown_lists_failures() -> None:
    board = bq.build_leaderboard("shop", hand_metrics(), hand_backtest())
    failure = bq.Failure("other", "dbt build", "lots of log\nCompleted with 1 error\n")
    text = bq.leaderboard_markdown(board, {}, [failure], "Header.")
    assert text.startswith("Header.\n\n**shop**: headline target `purchase`")
    assert text.endswith(
        "Failed data sets (see the dbt log under the data set's work folder):\n"
        "- other (dbt build): Completed with 1 error\n"
    )


def test_replace_between_markers() -> None:
    text = "a\n<!-- leaderboard:start -->\nold\nlines\n<!-- leaderboard:end -->\nb\n"
    assert bq.replace_between_markers(text, "new table\n") == (
        "a\n<!-- leaderboard:start -->\nnew table\n<!-- leaderboard:end -->\nb\n"
    )
    with pytest.raises(ValueError, match="not found"):
        bq.replace_between_markers("a\n<!-- leaderboard:end -->\n", "x")


def test_readme_has_the_markers_once() -> None:
    text = (ROOT / "README.md").read_text()
    assert text.count(bq.README_START) == 1 and text.count(bq.README_END) == 1
    assert text.index("## Recommender leaderboard (real data)") < text.index(bq.README_START)


def test_data_set_names_and_commands(tmp_path: Path) -> None:
    generated = bq.generated_datasets(1_000_000, [1, 2, 3])
    assert [d.name for d in generated] == [
        "generated-1m-seed1",
        "generated-1m-seed2",
        "generated-1m-seed3",
    ]
    assert bq.count_label(200_000) == "200k" and bq.count_label(1_500) == "1500"
    known = [*bq.REAL_DATASETS, *generated]
    chosen = bq.select_datasets(known, "generated-1m-seed2,rees46-2019oct-head5k")
    assert [d.name for d in chosen] == ["generated-1m-seed2", "rees46-2019oct-head5k"]
    with pytest.raises(SystemExit, match="unknown data sets"):
        bq.select_datasets(known, "nope")
    cli = str(bq.BIN / "cartwheel")
    raw = tmp_path / "raw"
    assert bq.prepare_command(generated[0], Path("unused"), raw) == [
        *[cli, "generate", "--interactions", "1000000", "--seed", "1"],
        *["--out", str(raw), "--force", "--quiet"],
    ]
    retail = bq.select_datasets(known, "uci-online-retail-full")[0]
    src = tmp_path / "online_retail.csv.gz"
    assert bq.prepare_command(retail, src, raw) == [
        *[cli, "convert", "online-retail", str(src), "--out", str(raw)]
    ]
    assert bq.prepare_command(bq.REAL_DATASETS[0], src, raw) is None


def test_dataset_env_has_its_own_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CARTWHEEL_RAW_ROOT", "/elsewhere")
    env = bq.dataset_env(tmp_path / "shop")
    assert "CARTWHEEL_RAW_ROOT" not in env
    assert env["CARTWHEEL_HOME"] == str(tmp_path / "shop")
    assert env["DBT_PROFILES_DIR"] == str(ROOT / "profiles")


def test_log_tail_starts_at_the_dbt_summary(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_text("noise\n" * 100 + "Completed with 1 error\n\nFailure in model x\n")
    assert bq.log_tail(log) == "Completed with 1 error\nFailure in model x"
    assert bq.log_tail(tmp_path / "missing.log") == ""


def test_failure_summary_names_the_first_failure_and_the_totals() -> None:
    tail = (
        "\x1b[0m22:50:01  Completed with 2 errors:\n\n"
        "\x1b[0m22:50:01  Failure in unit_test test_x (models/a.yml)\n"
        "\x1b[0m22:50:01  actual differs\n"
        "\x1b[0m22:50:01  Failure in test unique_y (models/b.yml)\n"
        "\x1b[0m22:50:01  Done. PASS=10 WARN=0 ERROR=2 SKIP=1 TOTAL=13\n"
    )
    assert bq.failure_summary(tail) == (
        "22:50:01  Failure in unit_test test_x (models/a.yml);"
        " 22:50:01  Done. PASS=10 WARN=0 ERROR=2 SKIP=1 TOTAL=13"
    )
    assert bq.failure_summary("missing file /x.csv.gz") == "missing file /x.csv.gz"


def test_ml_tables_built_reads_run_results(tmp_path: Path) -> None:
    assert not bq.ml_tables_built(tmp_path)
    (tmp_path / "target").mkdir()
    results = [
        {"unique_id": "model.cartwheel.ml_metrics", "status": "success"},
        {"unique_id": "model.cartwheel.ml_backtest", "status": "success"},
        {"unique_id": "unit_test.cartwheel.funnel_conversion.t", "status": "fail"},
    ]
    path = tmp_path / "target" / "run_results.json"
    path.write_text(json.dumps({"results": results}))
    assert bq.ml_tables_built(tmp_path)
    results[1]["status"] = "skipped"
    path.write_text(json.dumps({"results": results}))
    assert not bq.ml_tables_built(tmp_path)


@pytest.mark.parametrize("terminal", [True, False])
def test_node_counts_only_on_a_terminal_errors_always(terminal: bool, monkeypatch) -> None:
    import io

    from rich.console import Console

    monkeypatch.setattr(bq, "PROGRESS_EVERY_SECONDS", 0.0)
    progress = bq.Progress()
    out = io.StringIO()
    progress.console = Console(file=out, force_terminal=terminal, width=200, highlight=False)
    watch = bq.DbtWatcher("shop", progress)
    watch("12:00:01  1 of 3 OK created sql table model cartwheel.a ....... [OK in 1.0s]")
    watch("12:00:02  2 of 3 ERROR creating sql table model cartwheel.b ... [ERROR in 1.0s]")
    text = bq.ANSI.sub("", out.getvalue())
    assert "2 of 3 ERROR creating sql table model cartwheel.b" in text
    assert ("2 of 3 nodes done" in text) is terminal
