"""The speed benchmark: a scaling table of the whole pipeline, the demo and the test suite.

    .venv/bin/python benchmarks/bench_speed.py [--sizes 1M,3M,10M] [--work DIR]
        [--demo] [--tests] [--incremental] [--update-readme]

For every size, a shop is generated (`cartwheel generate`, 24 months) into its own data home
under ``--work`` and built on the embedded ``local`` target, stage by stage, each a dbt
command timed on its own with the peak memory of its process tree (dbt, the Spark driver
JVM) sampled from ``/proc``:

- generate: the raw files;
- lake: seeds, staging, intermediate, the audit and ``fct_interactions`` (``--full-refresh``);
- marts: the rest of the star schema and the analytic marts;
- ML: splits, every recommender, validation, backtests, metrics, revenue, A/B (no tuning);
- tests: every data and unit test (``dbt test``).

``--incremental`` then lands one more day of events (a copy of the last day's REES46 rows,
a day later, as a new file) at the largest size and times ``dbt run --select
+fct_interactions``, listing the partitions whose files changed. ``--demo`` times ``make
demo``'s build in a fresh home; ``--tests`` times ``make pytest``. ``--update-readme``
writes the output into the README's "Figures" section. Per-recommender training and
scoring seconds come from ``ml_runs``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_quality import replace_between_markers  # noqa: E402
from cartwheel.generate import parse_count  # noqa: E402

BEGIN = "<!-- bench-speed:begin -->"
END = "<!-- bench-speed:end -->"
STAGES = {
    "lake": [
        ["seed"],
        [
            "run",
            "--full-refresh",
            "--select",
            "path:models/staging path:models/intermediate path:models/audit fct_interactions",
        ],
    ],
    "marts": [["run", "--select", "path:models/marts", "--exclude", "fct_interactions"]],
    "ML": [["run", "--select", "path:models/ml path:python_models"]],
    "tests": [["test"]],
}


@dataclass
class Stage:
    name: str
    seconds: float = 0.0
    peak_mib: float = 0.0
    driver_mib: float = 0.0
    ok: bool = True
    detail: str = ""
    # the slowest dbt nodes of the stage, (node name, seconds), from run_results.json
    slowest: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class Size:
    interactions: int
    stages: list[Stage] = field(default_factory=list)
    models: list[dict] = field(default_factory=list)
    measured_on: str = field(default_factory=lambda: f"{date.today():%Y-%m-%d}")

    @classmethod
    def load(cls, path: Path) -> Size:
        data = json.loads(path.read_text())
        stages = [
            Stage(**{**s, "slowest": [tuple(n) for n in s["slowest"]]}) for s in data.pop("stages")
        ]
        return cls(**data, stages=stages)


def tree_rss(root_pid: int) -> tuple[float, float]:
    """(RSS of the process tree under ``root_pid``, RSS of its largest java process) in MiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, float] = {}
    java: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(pid)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1]) / 1024
        if "(java)" in stat:
            java.add(pid)
    total, driver, todo = 0.0, 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0.0)
        if pid in java:
            driver = max(driver, rss.get(pid, 0.0))
        todo.extend(children.get(pid, []))
    return total, driver


def timed(
    command: list[str], env: dict[str, str], log: Path, timeout: float | None = None
) -> Stage:
    """Run a command, sampling its tree's memory twice a second; stop it (its whole process
    group) after ``timeout`` seconds."""
    stage = Stage(" ".join(command[:2]))
    started = time.perf_counter()
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True
        )
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.5):
                total, driver = tree_rss(proc.pid)
                stage.peak_mib = max(stage.peak_mib, total)
                stage.driver_mib = max(stage.driver_mib, driver)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            code = proc.wait(timeout=timeout)
            stage.ok = code == 0
            if code < 0:  # the kernel's OOM killer sends SIGKILL; SIGSEGV is a crash
                name = signal.Signals(-code).name
                hint = " (out of memory? see dmesg)" if -code == signal.SIGKILL else ""
                stage.detail = f"killed by signal {-code} {name}{hint}"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            stage.ok, stage.detail = False, f"stopped after {timeout:.0f} s"
        done.set()
        sampler.join()
    stage.seconds = time.perf_counter() - started
    return stage


def slowest_nodes(target: Path, since: float, n: int = 5) -> list[tuple[str, float]]:
    """The ``n`` slowest nodes of the dbt command that wrote ``target``'s run_results.json
    after ``since`` (a wall-clock time), as (node name, seconds)."""
    path = target / "run_results.json"
    if not path.is_file() or path.stat().st_mtime < since:
        return []
    results = json.loads(path.read_text()).get("results", [])
    ranked = sorted(results, key=lambda r: -r["execution_time"])[:n]
    # unique ids: model.<project>.<name>, test.<project>.<name>.<hash>
    return [(r["unique_id"].split(".")[2], round(r["execution_time"], 1)) for r in ranked]


def timed_dbt(
    args: list[str], home: Path, timeout: float | None = None, keep_as: str = ""
) -> Stage:
    """One dbt command, timed; with ``keep_as`` its run_results.json is kept beside the
    home's target/ as ``run_results-<keep_as>.json`` (every node's time, for profiles)."""
    started = time.time()
    stage = timed(dbt(args, home), env_for(home), home / "bench.log", timeout)
    stage.slowest = slowest_nodes(home / "target", started)
    results = home / "target" / "run_results.json"
    if keep_as and results.is_file() and results.stat().st_mtime >= started:
        shutil.copy(results, home / "target" / f"run_results-{keep_as}.json")
    return stage


def dbt(args: list[str], home: Path) -> list[str]:
    target = home / "target"
    return [str(BIN / "dbt"), *args, "--target", "local", "--target-path", str(target)]


def env_for(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CARTWHEEL_HOME": str(home),
        "DBT_PROFILES_DIR": str(ROOT / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "CARTWHEEL_RAW_ROOT": str(home / "raw"),
    }


def combine(name: str, parts: list[Stage]) -> Stage:
    return Stage(
        name,
        seconds=sum(p.seconds for p in parts),
        peak_mib=max(p.peak_mib for p in parts),
        driver_mib=max(p.driver_mib for p in parts),
        ok=all(p.ok for p in parts),
        detail="; ".join(p.detail for p in parts if p.detail),
        slowest=sorted((n for p in parts for n in p.slowest), key=lambda n: -n[1])[:5],
    )


def run_size(
    interactions: int,
    work: Path,
    months: int,
    seed: int,
    stages: tuple[str, ...] = tuple(STAGES),
    timeout: float | None = None,
    keep_home: bool = False,
) -> Size:
    """Generate a shop of ``interactions`` and time each dbt stage on it. Every stage runs,
    also after one failed (its tests still time the tables that were built). With
    ``keep_home`` an existing shop of that size is reused and only ``stages`` are timed
    again, replacing those of its saved result."""
    home = work / f"shop-{interactions}"
    env, log = env_for(home), home / "bench.log"
    saved = work / "results" / f"size-{interactions}.json"
    if keep_home and (home / "raw").is_dir() and saved.is_file():
        size = Size.load(saved)
        size.stages = [s for s in size.stages if s.name not in stages]
    else:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        size = Size(interactions)
        generate = [
            str(BIN / "cartwheel"),
            "generate",
            "--interactions",
            str(interactions),
            "--months",
            str(months),
            "--seed",
            str(seed),
            "--out",
            str(home / "raw"),
        ]
        size.stages.append(combine("generate", [timed(generate, env, log)]))
    for name, commands in STAGES.items():
        if name not in stages:
            continue
        stage = combine(
            name,
            [timed_dbt(c, home, timeout, f"{name}-{i}") for i, c in enumerate(commands, 1)],
        )
        size.stages.append(stage)
        print(f"  {interactions:>12,} {name:<9} {stage.seconds:8.1f} s", flush=True)
        if not stage.ok:
            stage.detail = stage.detail or f"failed: see {log}"
    order = ["generate", *STAGES]
    size.stages.sort(key=lambda s: order.index(s.name) if s.name in order else len(order))
    size.models = ml_runs(home) or size.models
    save(work, f"size-{interactions}", size)
    return size


def save(work: Path, name: str, result: Size) -> None:
    """Keep a result under ``work/results``: the report shows every size measured there, so
    the sizes can be measured in separate runs (the largest alone takes the longest)."""
    folder = work / "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(result, default=lambda o: o.__dict__, indent=1))


def saved_sizes(work: Path) -> list[Size]:
    folder = work / "results"
    sizes = [Size.load(path) for path in folder.glob("size-*.json")] if folder.is_dir() else []
    return sorted(sizes, key=lambda size: size.interactions)


def ml_runs(home: Path) -> list[dict]:
    """Per-recommender training and scoring seconds of the last run (``ml_runs``)."""
    import pyarrow.parquet as pq

    path = home / "warehouse" / "cartwheel.db" / "ml_runs"
    if not path.is_dir():
        return []
    runs = pq.read_table(path).to_pandas()
    last = runs[runs["run_id"] == runs.loc[runs["trained_at"].idxmax(), "run_id"]]
    return last[["model", "backend", "train_seconds", "score_seconds"]].to_dict("records")


def add_one_day(home: Path) -> int:
    """Land one more day of events: the last day's REES46 rows, a day later, as a new file."""
    files = sorted((home / "raw" / "rees46").glob("*.csv*"))
    last_file = files[-1]
    opener = gzip.open if last_file.suffix == ".gz" else open
    with opener(last_file, "rt", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    day = max(r[0][:10] for r in body)
    next_day = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    new = [[next_day + r[0][10:], *r[1:]] for r in body if r[0].startswith(day)]
    out = home / "raw" / "rees46" / f"{next_day}-extra.csv"
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(new)
    return len(new)


def partition_mtimes(home: Path) -> dict[str, float]:
    lake = home / "warehouse" / "cartwheel.db" / "fct_interactions"
    return {str(p.parent.relative_to(lake)): p.stat().st_mtime for p in lake.rglob("*.parquet")}


def run_incremental(home: Path) -> tuple[Stage, int, list[str], int]:
    before = partition_mtimes(home)
    added = add_one_day(home)
    stage = timed_dbt(["run", "--select", "+fct_interactions"], home)
    after = partition_mtimes(home)
    touched = sorted(p for p, t in after.items() if before.get(p) != t)
    return stage, added, touched, len(after)


def run_demo(work: Path) -> Stage:
    home = work / "demo"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    # the demo's own data (200k events) first, untimed, then the timed demo as a user runs it
    env = {**env_for(home)}
    env.pop("CARTWHEEL_RAW_ROOT")
    log = home / "bench.log"
    return combine("make demo", [timed([str(BIN / "python"), "-m", "cartwheel.demo"], env, log)])


def run_tests(work: Path) -> Stage:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTWHEEL_")}
    return combine(
        "make pytest",
        [timed([str(BIN / "python"), "-m", "pytest", "-q"], env, work / "pytest.log")],
    )


def machine() -> str:
    mem = next(
        int(line.split()[1]) / 2**20
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} cores, {mem:.0f} GiB, {platform.system()} {platform.machine()}"


def report(sizes: list[Size], extra: list[str]) -> str:
    present = {s.name for size in sizes for s in size.stages}
    names = [n for n in ("generate", *STAGES) if n in present]
    lines = [
        f"`make bench-speed` on {datetime.now():%Y-%m-%d}, {machine()} "
        "(embedded `local` target, generated shops over 24 months, no tuning):",
        "",
        "| interactions | measured | "
        + " | ".join(f"{n} s (peak MiB)" for n in names)
        + " | total s |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " | --- |",
    ]
    for size in sizes:
        timed_stages = {s.name: s for s in size.stages}
        cells = [
            f"{s.seconds:.0f} ({s.peak_mib:,.0f})" + ("" if s.ok else " FAILED")
            if (s := timed_stages.get(name))
            else "not run"
            for name in names
        ]
        total = sum(s.seconds for s in size.stages)
        lines.append(
            f"| {size.interactions:,} | {size.measured_on} | "
            + " | ".join(cells)
            + f" | {total:.0f} |"
        )
    if len(sizes) >= 2:
        first, last = sizes[0], sizes[-1]
        done = {s.name: s for s in first.stages if s.ok}
        both = [(done[s.name], s) for s in last.stages if s.ok and s.name in done]
        whole = len(both) == len(first.stages) == len(last.stages)
        ratio = last.interactions / first.interactions
        if whole:
            grow = sum(b.seconds for _, b in both) / max(sum(a.seconds for a, _ in both), 1)
            growth = f"{grow:.1f}x wall for {ratio:.0f}x data"
        else:  # a stage failed or was not run: only the stages both sizes finished
            growth = f"for {ratio:.0f}x data, the stages both finished: " + ", ".join(
                f"{b.name} {b.seconds / max(a.seconds, 1):.1f}x" for a, b in both
            )
        lines += [
            "",
            f"Growth {first.interactions:,} -> {last.interactions:,}: {growth}. "
            "Peak driver (JVM) memory: "
            + ", ".join(
                f"{s.interactions:,}: {max(st.driver_mib for st in s.stages) / 1024:.1f} GiB"
                for s in sizes
            )
            + ".",
        ]
    for size in sizes:
        profile = [
            f"{s.name} ("
            + "; ".join(
                ([s.detail] if s.detail else [])
                + ([", ".join(f"{node} {sec:.0f}" for node, sec in s.slowest)] if s.slowest else [])
            )
            + ")"
            for s in size.stages
            if s.slowest or s.detail
        ]
        if profile:
            lines += ["", f"Slowest dbt nodes at {size.interactions:,} (s): " + "; ".join(profile)]
        if size.models:
            lines += [
                "",
                f"Recommenders at {size.interactions:,} (`ml_runs`, seconds): "
                + ", ".join(
                    f"{m['model']} {m['train_seconds'] or 0:.1f} + {m['score_seconds'] or 0:.1f}"
                    for m in size.models
                ),
            ]
    return "\n".join(lines + extra)


def update_readme(text: str) -> None:
    readme = ROOT / "README.md"
    readme.write_text(replace_between_markers(readme.read_text(), text, BEGIN, END))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,3M,10M", help="'' reports the saved results")
    parser.add_argument("--work", type=Path, default=ROOT / "target" / "bench-speed")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--incremental", action="store_true")
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--tests", action="store_true")
    parser.add_argument("--update-readme", action="store_true")
    parser.add_argument(
        "--stages",
        default=",".join(STAGES),
        help=f"dbt stages to time after generate (default all: {','.join(STAGES)})",
    )
    parser.add_argument(
        "--stage-timeout",
        type=float,
        default=None,
        help="stop a dbt command after this many seconds (reported as stopped)",
    )
    parser.add_argument(
        "--keep-home",
        action="store_true",
        help="reuse a size's shop and saved result; time only --stages again",
    )
    args = parser.parse_args(argv)
    counts = [parse_count("size", s) for s in args.sizes.split(",") if s]
    args.work.mkdir(parents=True, exist_ok=True)
    stages = tuple(s for s in args.stages.split(",") if s)
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stages {sorted(unknown)}; choose from {list(STAGES)}")
    ran = [
        stage
        for n in counts
        for stage in run_size(
            n, args.work, args.months, args.seed, stages, args.stage_timeout, args.keep_home
        ).stages
        if stage.name in ("generate", *stages)  # not those kept from an earlier run
    ]
    results = args.work / "results"
    results.mkdir(parents=True, exist_ok=True)
    if args.incremental:
        largest = max(counts or [size.interactions for size in saved_sizes(args.work)])
        stage, added, touched, n_parts = run_incremental(args.work / f"shop-{largest}")
        (results / "incremental.md").write_text(
            f"Incremental run after one more day ({added:,} events) at {largest:,} "
            f"({date.today():%Y-%m-%d}): `dbt run --select +fct_interactions` "
            f"{stage.seconds:.0f} s; partitions rewritten (file modification times): "
            f"{', '.join(touched) or 'none'} of {n_parts}." + ("" if stage.ok else " FAILED")
        )
        ran.append(stage)
    for name, timing in (("demo", run_demo), ("tests", run_tests)):
        if getattr(args, name):
            stage = timing(args.work)
            (results / f"{name}.md").write_text(
                f"`{stage.name}` ({date.today():%Y-%m-%d}): {stage.seconds:.0f} s"
                + ("" if stage.ok else " FAILED")
            )
            ran.append(stage)
    extra = [
        line
        for kind in ("incremental", "demo", "tests")
        if (results / f"{kind}.md").is_file()
        for line in ("", (results / f"{kind}.md").read_text().strip())
    ]
    text = report(saved_sizes(args.work), extra)
    print(text)
    (args.work / "figures.md").write_text(text + "\n")
    if args.update_readme:
        update_readme(text)
    return 0 if all(stage.ok for stage in ran) else 1


if __name__ == "__main__":
    sys.exit(main())
