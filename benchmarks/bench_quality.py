"""The recommender leaderboard on real data: the whole DAG per data set, then one table.

    .venv/bin/python benchmarks/bench_quality.py [--datasets a,b] [--shared DIR] [--work DIR]
        [--generated-interactions 1M] [--seeds 1,2,3] [--skip-build] [--update-readme]

Data sets: each folder of `<shared>/data/real/` that has a loader (REES46 CSV copied into
`raw/rees46/`, UCI Online Retail and Amazon 2014 through `cartwheel convert`), and generated
shops (`cartwheel generate`, one per seed), named `generated-1m-seed1` and so on.

Each data set gets its own data home `<work>/<dataset>/` (raw root `raw/`, warehouse,
metastore, dbt target and logs; cleared before its build) and one
`dbt build --target local` of the whole DAG. A failed data set is reported with the tail of
its log (`build.log`) and the others still run; the exit code is 1 if any failed (when the
failure lies elsewhere in the DAG and the ML tables were built, their rows are still shown,
the failure next to them). The metrics are then
read straight from the warehouse's Parquet files (`ml_metrics`, `ml_backtest`,
`ml_model_selection`) into `benchmarks/results/leaderboard.csv` (every slice) and
`leaderboard.md` (the headline slice of each data set, with a one-line finding: the best
personal model against the best non-personal one). `--update-readme` puts the markdown
between the `<!-- leaderboard:start -->` and `<!-- leaderboard:end -->` markers of README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from rich.console import Console

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
README = PROJECT / "README.md"
DEFAULT_SHARED = PROJECT.parent / "shared"
DEFAULT_WORK = PROJECT / "target" / "bench-quality"
DEFAULT_RESULTS = PROJECT / "benchmarks" / "results"
SCHEMA = "cartwheel"

# Models that give every user the same kind of list; every other model is personal.
NON_PERSONAL = frozenset({"popularity", "trending", "random"})
KEYS = ["model", "target", "protocol", "population"]
COLUMNS = [
    "dataset",
    *KEYS,
    "P@10",
    "R@20",
    "NDCG@10",
    "users",
    "P@10 backtest",
    "headline",
    "chosen",
    "p10_backtest_mean",
    "p10_backtest_std",
    "p10_backtest_folds",
    "note",
]
MARKDOWN_COLUMNS = ["model", "P@10", "R@20", "NDCG@10", "users", "P@10 backtest", "chosen"]
README_START = "<!-- leaderboard:start -->"
README_END = "<!-- leaderboard:end -->"
# Folders a build leaves in a data home; cleared before each build.
HOME_PARTS = ("raw", "warehouse", "metastore_db", "target", "logs", "derby.log", "build.log")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DBT_PROGRESS = re.compile(r"\b(\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP)\b")
PROGRESS_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Dataset:
    """One benchmark data set and how it gets into a raw root."""

    name: str
    kind: str  # rees46 | online-retail | amazon-2014 | generated
    file: str = ""  # real data sets: the file in <shared>/data/real/<name>/
    interactions: str = ""  # generated shops: `cartwheel generate --interactions`
    seed: int = 0


REAL_DATASETS = (
    Dataset("rees46-2019oct-head5k", "rees46", "2019-Oct.csv.gz"),
    Dataset("uci-online-retail-dec2010-28k", "online-retail", "Online Retail.csv.gz"),
    Dataset("uci-online-retail-full", "online-retail", "online_retail.csv.gz"),
    Dataset("amazon2014-beauty-5core", "amazon-2014", "amazon_beauty_5core_interactions.csv.gz"),
    Dataset("amazon2014-beauty-ratings-head30k", "amazon-2014", "ratings_Beauty.csv.gz"),
    Dataset(
        "amazon2014-musical-instruments-500",
        "amazon-2014",
        "Musical_instruments_reviews.csv.gz",
    ),
)


@dataclass
class Failure:
    """A data set that could not be built or read: where and why."""

    dataset: str
    stage: str
    tail: str
    rows_kept: bool = False  # the build failed elsewhere but made the ML tables


@dataclass
class DatasetResult:
    """The leaderboard rows of one data set and its size line."""

    dataset: str
    board: pd.DataFrame
    size: str


# ---------------------------------------------------------------- the pure part


def count_label(n: int) -> str:
    """1_000_000 -> '1m', 200_000 -> '200k', 1_500 -> '1500'."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def generated_datasets(interactions: int, seeds: Iterable[int]) -> list[Dataset]:
    """One generated shop per seed, named `generated-<count>-seed<seed>`."""
    label = count_label(interactions)
    return [
        Dataset(
            f"generated-{label}-seed{seed}", "generated", interactions=str(interactions), seed=seed
        )
        for seed in seeds
    ]


def _at_k(metrics: pd.DataFrame, k: int, column: str, name: str) -> pd.DataFrame:
    part = metrics.loc[metrics["k"] == k, [*KEYS, column]]
    return part.rename(columns={column: name})


def _backtest_p10(backtest: pd.DataFrame) -> pd.DataFrame:
    rows = backtest[(backtest["metric"] == "precision_at_k") & (backtest["k"] == 10)]
    names = {"mean_value": "p10_backtest_mean", "std_value": "p10_backtest_std"}
    names["n_folds"] = "p10_backtest_folds"
    return rows[[*KEYS, *names]].rename(columns=names)


def format_backtest(mean: float, std: float, folds: float) -> str:
    """'0.0123 ± 0.0040 (3 folds)'; 'n/a' without a fold, no ± with one fold."""
    if folds is None or pd.isna(folds) or int(folds) == 0 or pd.isna(mean):
        return "n/a"
    n = int(folds)
    unit = "fold" if n == 1 else "folds"
    if pd.isna(std):
        return f"{mean:.4f} ({n} {unit})"
    return f"{mean:.4f} ± {std:.4f} ({n} {unit})"


def headline_slices(metrics: pd.DataFrame) -> set[tuple[str, str]]:
    """The (target, protocol) of the rows flagged `is_headline`."""
    flagged = metrics[metrics["is_headline"].fillna(False).astype(bool)]
    return set(zip(flagged["target"], flagged["protocol"], strict=True))


def chosen_models(selection: pd.DataFrame | None) -> set[tuple[str, str, str]]:
    """(model, target, protocol) chosen on the validation window."""
    if selection is None or selection.empty:
        return set()
    columns = [selection["chosen_model"], selection["target"], selection["protocol"]]
    return set(zip(*columns, strict=True))


def build_leaderboard(
    dataset: str,
    metrics: pd.DataFrame,
    backtest: pd.DataFrame,
    selection: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per model, target, protocol and population of one data set (columns COLUMNS).

    P@10 and NDCG@10 are the K=10 precision and NDCG, R@20 the K=20 recall, users the
    slice's holdout users at K=10; the backtest is the K=10 precision over the folds.
    `headline` marks the headline target and protocol at population all.
    """
    board = metrics[KEYS].drop_duplicates()
    parts = [
        _at_k(metrics, 10, "precision_at_k", "P@10"),
        _at_k(metrics, 20, "recall_at_k", "R@20"),
        _at_k(metrics, 10, "ndcg_at_k", "NDCG@10"),
        _at_k(metrics, 10, "n_users", "users"),
        _at_k(metrics, 10, "note", "note"),
        _backtest_p10(backtest),
    ]
    for part in parts:
        board = board.merge(part, on=KEYS, how="left")
    board["users"] = board["users"].astype("Int64")
    board["P@10 backtest"] = [
        format_backtest(m, s, n)
        for m, s, n in zip(
            board["p10_backtest_mean"],
            board["p10_backtest_std"],
            board["p10_backtest_folds"],
            strict=True,
        )
    ]
    headline = headline_slices(metrics)
    chosen = chosen_models(selection)
    board["headline"] = [
        (t, p) in headline and pop == "all"
        for t, p, pop in zip(board["target"], board["protocol"], board["population"], strict=True)
    ]
    board["chosen"] = [
        (m, t, p) in chosen
        for m, t, p in zip(board["model"], board["target"], board["protocol"], strict=True)
    ]
    board.insert(0, "dataset", dataset)
    return sort_leaderboard(board[COLUMNS])


def sort_leaderboard(board: pd.DataFrame) -> pd.DataFrame:
    """By data set, target, protocol, population, then P@10 descending (nulls last)."""
    order = ["dataset", "target", "protocol", "population", "P@10", "model"]
    ascending = [True, True, True, True, False, True]
    ordered = board.sort_values(order, ascending=ascending, na_position="last", kind="stable")
    return ordered.reset_index(drop=True)


def _best(rows: pd.DataFrame) -> pd.Series | None:
    if rows.empty:
        return None
    ordered = rows.sort_values(["P@10", "model"], ascending=[False, True], kind="stable")
    return ordered.iloc[0]


def _spread(*rows: pd.Series) -> float:
    stds = [float(r["p10_backtest_std"]) for r in rows if pd.notna(r["p10_backtest_std"])]
    return max(stds, default=0.0)


def finding(rows: pd.DataFrame) -> str:
    """The best personal model against the best non-personal one on these (headline) rows.

    Personal wins or loses when the P@10 gap is larger than the larger backtest standard
    deviation of the two; otherwise the two are within the backtest spread.
    """
    scored = rows.dropna(subset=["P@10"])
    non_personal = scored["model"].isin(NON_PERSONAL)
    personal = _best(scored[~non_personal])
    baseline = _best(scored[non_personal])
    if personal is None or baseline is None:
        missing = "personal" if personal is None else "non-personal"
        return f"no finding: no {missing} model has a P@10 in the headline slice"
    a, b = float(personal["P@10"]), float(baseline["P@10"])
    spread = _spread(personal, baseline)
    if abs(a - b) <= spread:
        verdict = f"within the backtest spread (± {spread:.4f})"
    else:
        verdict = "personal wins" if a > b else "personal loses"
    return (
        f"best personal model {personal['model']} (P@10 {a:.4f}) vs best non-personal "
        f"{baseline['model']} (P@10 {b:.4f}): {verdict}"
    )


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(rows: pd.DataFrame, columns: Sequence[str]) -> str:
    """A GitHub markdown table of these columns (floats to 4 places, nulls 'n/a')."""
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for record in rows[list(columns)].astype(object).itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in record) + " |")
    return "\n".join(lines)


def dataset_markdown(dataset: str, board: pd.DataFrame, size: str = "") -> str:
    """A data set's headline rows (population all), its size line and its finding."""
    rows = board[(board["dataset"] == dataset) & board["headline"]]
    if rows.empty:
        return f"**{dataset}**{': ' + size if size else ''}; no headline slice in `ml_metrics`."
    target, protocol = rows.iloc[0]["target"], rows.iloc[0]["protocol"]
    intro = f"**{dataset}**: " + (f"{size}; " if size else "")
    intro += f"headline target `{target}`, protocol `{protocol}`, population all."
    table = markdown_table(sort_leaderboard(rows), MARKDOWN_COLUMNS)
    return f"{intro}\n\n{table}\n\nFinding: {finding(rows)}."


def leaderboard_markdown(
    board: pd.DataFrame,
    sizes: dict[str, str],
    failures: Sequence[Failure],
    header: str,
) -> str:
    """The whole markdown: header, one block per data set, then the failed data sets."""
    blocks = [header]
    for dataset in sorted(board["dataset"].unique()):
        blocks.append(dataset_markdown(dataset, board, sizes.get(dataset, "")))
    if failures:
        lines = ["Failed data sets (see the dbt log under the data set's work folder):"]
        for failure in failures:
            kept = "; its ML tables were built, rows above" if failure.rows_kept else ""
            lines.append(
                f"- {failure.dataset} ({failure.stage}{kept}): {failure_summary(failure.tail)}"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def failure_summary(tail: str) -> str:
    """The first 'Failure in' / 'Error in' line of a dbt tail and its last line."""
    lines = [ANSI.sub("", line).strip() for line in tail.strip().splitlines()]
    lines = [line for line in lines if line]
    first = [line for line in lines if re.search(r"\b(Failure|Error) in ", line)][:1]
    picked = first + [line for line in lines[-1:] if line not in first]
    return "; ".join(picked) or "no output"


def replace_between_markers(
    text: str, block: str, start: str = README_START, end: str = README_END
) -> str:
    """The text with everything between the two markers replaced by the block."""
    first = text.find(start)
    last = text.find(end, first + len(start)) if first >= 0 else -1
    if first < 0 or last < 0:
        raise ValueError(f"markers {start} ... {end} not found")
    return text[: first + len(start)] + "\n" + block.strip("\n") + "\n" + text[last:]


# ---------------------------------------------------------------- running the builds


class Progress:
    """Progress lines: total elapsed seconds, data set, stage, message (rich: styled on a
    terminal, plain text in a log)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.console = Console(highlight=False, soft_wrap=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def __call__(self, dataset: str, stage: str, message: str) -> None:
        line = f"[{self.elapsed():7.1f} s] {dataset:<36} {stage:<10} {message}"
        self.console.print(line, markup=False, style="bold red" if "FAILED" in line else None)


def dataset_env(home: Path) -> dict[str, str]:
    """The environment of one data set's commands: its own data home, the project's profiles."""
    env = {k: v for k, v in os.environ.items() if k not in {"CARTWHEEL_RAW_ROOT"}}
    env |= {
        "CARTWHEEL_HOME": str(home),
        "CARTWHEEL_SCHEMA": SCHEMA,
        "DBT_PROFILES_DIR": str(PROJECT / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "PYTHONUNBUFFERED": "1",
        "DBT_USE_COLORS": "False",
    }
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    return env


def log_tail(log: Path, lines: int = 30) -> str:
    """The end of a log: from dbt's 'Completed with' summary if there is one."""
    if not log.exists():
        return ""
    text = [ANSI.sub("", line) for line in log.read_text(errors="replace").splitlines()]
    text = [line for line in text if line.strip()]
    marks = [i for i, line in enumerate(text) if "Completed with" in line]
    start = marks[-1] if marks else len(text) - lines
    return "\n".join(text[max(start, 0) :][-lines * 2 :])


def run_logged(
    command: list[str], env: dict[str, str], log: Path, on_line: Callable[[str], None]
) -> int:
    """Run a command, appending its output to the log, each line also to on_line."""
    with log.open("a") as out:
        out.write("$ " + " ".join(command) + "\n")
        out.flush()
        with subprocess.Popen(
            command,
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                out.write(line)
                out.flush()
                on_line(line)
            return proc.wait()


def reset_home(home: Path) -> None:
    """Clear what an earlier build left in this data home (only the known parts)."""
    for part in HOME_PARTS:
        path = home / part
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    (home / "raw").mkdir(parents=True)


def prepare_command(dataset: Dataset, source: Path, raw: Path) -> list[str] | None:
    """The `cartwheel` command that writes this data set into the raw root (None: a copy)."""
    cli = str(BIN / "cartwheel")
    if dataset.kind == "generated":
        interactions = ["--interactions", dataset.interactions, "--seed", str(dataset.seed)]
        return [cli, "generate", *interactions, "--out", str(raw), "--force", "--quiet"]
    if dataset.kind in {"online-retail", "amazon-2014"}:
        return [cli, "convert", dataset.kind, str(source), "--out", str(raw)]
    return None


def prepare(dataset: Dataset, shared: Path, home: Path, env: dict[str, str]) -> Failure | None:
    """Write the data set into `<home>/raw` through the project's own loaders."""
    reset_home(home)
    raw, log = home / "raw", home / "build.log"
    source = shared / "data" / "real" / dataset.name / dataset.file
    if dataset.kind != "generated" and not source.is_file():
        return Failure(dataset.name, "prepare", f"missing file {source}")
    command = prepare_command(dataset, source, raw)
    if command is None:
        (raw / "rees46").mkdir()
        shutil.copy(source, raw / "rees46" / source.name)
        return None
    if run_logged(command, env, log, lambda line: None) != 0:
        return Failure(dataset.name, "prepare", log_tail(log))
    return None


class DbtWatcher:
    """Reports dbt's node count now and then (on a terminal only: a log keeps the stage
    lines), and every error line at once."""

    def __init__(self, dataset: str, progress: Progress) -> None:
        self.dataset, self.progress = dataset, progress
        self.done, self.total = 0, 0
        self.last_report = time.perf_counter()

    def __call__(self, line: str) -> None:
        match = DBT_PROGRESS.search(line)
        if not match:
            return
        total = int(match[2])
        # hooks count "1 of 1", the DAG's nodes "n of N": count each run on its own
        self.done = self.done + 1 if total == self.total else 1
        self.total = total
        if match[3] in {"ERROR", "FAIL"}:
            self.progress(self.dataset, "dbt build", ANSI.sub("", line).strip()[:160])
        due = time.perf_counter() - self.last_report >= PROGRESS_EVERY_SECONDS
        if due and self.progress.console.is_terminal:
            self.last_report = time.perf_counter()
            self.progress(self.dataset, "dbt build", f"{self.done} of {self.total} nodes done")


def dbt_build(dataset: str, home: Path, env: dict[str, str], progress: Progress) -> Failure | None:
    """`dbt build --target local` of the whole DAG into this data home, tuning ALS on the
    validation window as the demo does (`ml_tune`)."""
    command = [str(BIN / "dbt"), "build", "--target", "local", "--project-dir", str(PROJECT)]
    command += ["--vars", "{ml_tune: true}"]
    command += ["--target-path", str(home / "target"), "--log-path", str(home / "logs")]
    log = home / "build.log"
    if run_logged(command, env, log, DbtWatcher(dataset, progress)) != 0:
        return Failure(dataset, "dbt build", log_tail(log))
    return None


# ---------------------------------------------------------------- reading the warehouse


def table_path(home: Path, name: str) -> Path:
    return home / "warehouse" / f"{SCHEMA}.db" / name


def read_table(home: Path, name: str) -> pd.DataFrame:
    return pq.read_table(table_path(home, name)).to_pandas()


def row_count(home: Path, name: str) -> int | None:
    """Rows of a table from its Parquet metadata (None when the table is not there)."""
    path = table_path(home, name)
    if not path.is_dir():
        return None
    return pads.dataset(path, format="parquet").count_rows()


def dataset_size(home: Path) -> str:
    """'5,019 events, 3,022 users, 1,771 products, 2019-10-01 to 2019-10-01'."""
    counts = [
        (row_count(home, "fct_interactions"), "events"),
        (row_count(home, "dim_users"), "users"),
        (row_count(home, "dim_products"), "products"),
    ]
    parts = [f"{n:,} {what}" for n, what in counts if n is not None]
    if table_path(home, "ml_split_windows").is_dir():
        windows = read_table(home, "ml_split_windows")
        first, last = windows["first_event_at"].min(), windows["last_event_at"].max()
        if pd.notna(first) and pd.notna(last):
            parts.append(f"{first:%Y-%m-%d} to {last:%Y-%m-%d}")
    return ", ".join(parts)


def read_results(dataset: str, home: Path) -> DatasetResult:
    """The leaderboard rows of a built data set, from its warehouse's Parquet files."""
    selection = None
    if table_path(home, "ml_model_selection").is_dir():
        selection = read_table(home, "ml_model_selection")
    board = build_leaderboard(
        dataset, read_table(home, "ml_metrics"), read_table(home, "ml_backtest"), selection
    )
    return DatasetResult(dataset, board, dataset_size(home))


# ---------------------------------------------------------------- the command


def machine() -> str:
    """'2 cores, 23.5 GiB RAM' from os.cpu_count and /proc/meminfo."""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024**2:.1f} GiB RAM"
    return f"{os.cpu_count()} cores{memory}"


def wall(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{rest:02d}s" if hours else f"{minutes}m{rest:02d}s"


def header(seconds: float, skip_build: bool) -> str:
    how = "tables of an earlier run re-read" if skip_build else "one `dbt build` per data set"
    return (
        f"Run {date.today():%Y-%m-%d} on {machine()}; wall time {wall(seconds)} ({how}, "
        "`make bench-quality`). Each data set's headline target and protocol, population "
        "all, sorted by P@10; `P@10 backtest` is the mean ± standard deviation over the "
        "rolling folds, `chosen` the model picked on the validation window. Personal = every "
        f"model but {', '.join(sorted(NON_PERSONAL))}. Every slice: "
        "`benchmarks/results/leaderboard.csv`."
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="", help="comma-separated names (default: all)")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared folder")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="one data home per set")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="output folder")
    parser.add_argument("--generated-interactions", default="1M", help="events per shop")
    parser.add_argument("--seeds", default="1,2,3", help="generated shops' seeds")
    parser.add_argument("--skip-build", action="store_true", help="re-read an earlier run")
    parser.add_argument("--update-readme", action="store_true", help="put the table in README")
    return parser.parse_args(argv)


def all_datasets(args: argparse.Namespace) -> list[Dataset]:
    from cartwheel.generate import parse_count

    interactions = parse_count("--generated-interactions", args.generated_interactions)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    return [*REAL_DATASETS, *generated_datasets(interactions, seeds)]


def select_datasets(known: list[Dataset], names: str) -> list[Dataset]:
    """The data sets named (comma-separated), in the given order; all when empty."""
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    if not wanted:
        return known
    by_name = {d.name: d for d in known}
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise SystemExit(f"unknown data sets {unknown}; known: {', '.join(by_name)}")
    return [by_name[n] for n in wanted]


def note_unknown_folders(shared: Path) -> None:
    real = shared / "data" / "real"
    known = {d.name for d in REAL_DATASETS}
    extra = sorted(p.name for p in real.glob("*") if p.is_dir() and p.name not in known)
    for name in extra:
        print(f"note: {real / name} has no loader in this benchmark: skipped", flush=True)


def ml_tables_built(home: Path) -> bool:
    """Whether the last dbt build made `ml_metrics` and `ml_backtest` (its run_results.json)."""
    path = home / "target" / "run_results.json"
    if not path.exists():
        return False
    results = json.loads(path.read_text()).get("results", [])
    statuses = {r.get("unique_id"): r.get("status") for r in results}
    return all(
        statuses.get(f"model.cartwheel.{name}") == "success"
        for name in ("ml_metrics", "ml_backtest")
    )


def build(
    dataset: Dataset, args: argparse.Namespace, home: Path, progress: Progress
) -> Failure | None:
    """Prepare the raw root and run dbt build, with a progress line per stage."""
    env = dataset_env(home)
    steps: list[tuple[str, Callable[[], Failure | None]]] = [
        ("prepare", lambda: prepare(dataset, args.shared.resolve(), home, env)),
        ("dbt build", lambda: dbt_build(dataset.name, home, env, progress)),
    ]
    for stage, step in steps:
        started = time.perf_counter()
        progress(dataset.name, stage, "started")
        failure = step()
        seconds = time.perf_counter() - started
        if failure is not None:
            progress(dataset.name, stage, f"FAILED after {seconds:.1f} s")
            return failure
        progress(dataset.name, stage, f"done in {seconds:.1f} s")
    return None


def run_dataset(
    dataset: Dataset, args: argparse.Namespace, progress: Progress
) -> tuple[DatasetResult | None, Failure | None]:
    """Build and read one data set. A failed build whose ML tables were made (a test or
    model elsewhere in the DAG failed) is reported and its rows are still read."""
    home = (args.work / dataset.name).resolve()
    failure = None if args.skip_build else build(dataset, args, home, progress)
    if failure is not None:
        if failure.stage != "dbt build" or not ml_tables_built(home):
            return None, failure
        failure.rows_kept = True
        progress(dataset.name, "read", "the build failed elsewhere; ML tables built: reading")
    started = time.perf_counter()
    try:
        result = read_results(dataset.name, home)
    except (OSError, KeyError, ValueError) as exc:
        return None, failure or Failure(dataset.name, "read", f"{type(exc).__name__}: {exc}")
    progress(dataset.name, "read", f"done in {time.perf_counter() - started:.1f} s")
    return result, failure


def write_results(board: pd.DataFrame, markdown: str, results: Path) -> None:
    results.mkdir(parents=True, exist_ok=True)
    board.to_csv(results / "leaderboard.csv", index=False)
    (results / "leaderboard.md").write_text(markdown)


def report_failures(failures: Sequence[Failure]) -> None:
    for failure in failures:
        print(f"\nFAILED {failure.dataset} at {failure.stage}:", file=sys.stderr)
        print(failure.tail, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    progress = Progress()
    datasets = select_datasets(all_datasets(args), args.datasets)
    note_unknown_folders(args.shared)
    results: list[DatasetResult] = []
    failures: list[Failure] = []
    for dataset in datasets:
        result, failure = run_dataset(dataset, args, progress)
        results += [result] if result is not None else []
        failures += [failure] if failure is not None else []
    boards = [r.board for r in results]
    board = pd.concat(boards, ignore_index=True) if boards else pd.DataFrame(columns=COLUMNS)
    sizes = {r.dataset: r.size for r in results}
    markdown = leaderboard_markdown(
        board, sizes, failures, header(progress.elapsed(), args.skip_build)
    )
    write_results(board, markdown, args.results)
    print("\n" + markdown)
    print(f"wrote {args.results / 'leaderboard.csv'} and {args.results / 'leaderboard.md'}")
    if args.update_readme and results:
        README.write_text(replace_between_markers(README.read_text(), markdown))
        print(f"updated {README}")
    report_failures(failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
