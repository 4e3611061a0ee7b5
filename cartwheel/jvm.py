"""A class-data sharing (CDS) archive of the classes a Spark JVM loads, made once per
install, so each JVM we start maps them instead of loading them from ~250 jars.

Every `dbt` command on the embedded target starts a JVM and spent ~15 s before its first
node (JVM and SparkContext 7 s, the Hive metastore 5 s, the first query 3 s); with this
archive ~8 s. The test suite starts dozens of them, and the server one per start.

- `python -m cartwheel.jvm` (run by `make setup`) writes the archive: a short Spark workload
  in a child JVM started with `-XX:ArchiveClassesAtExit` (JDK 13+ dynamic archives); it is
  kept only once a JVM started with `-Xshare:on` has used it (a damaged archive crashes the
  JVM that maps it). Failing that, setup goes on without one.
- `java_options()` gives the flags that use it, or "" when there is none for this Java and
  this pyspark (the archive's name holds a key of both): the embedded session (adapter)
  and `cartwheel server start` add them to the driver's Java options.

A JVM that cannot map the archive (another JDK build, another class path) runs as without
it; the flags also silence the JVM's CDS messages, so nothing reaches dbt's output.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"

# For small data (the demo's shop, the test suite's): compile with C1 only, in a code
# cache large enough for Spark's generated classes (C1's default 48 MB fills and its
# sweeper then takes a fifth of the JVM's CPU). On the 200k-event demo shop C2's
# compilations cost ~90 s of CPU (of ~350) that short queries never pay back; on a
# 2M-event raw drop C1 alone parsed 2.5x slower, so the profile's default stays tiered.
SMALL_DATA_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m"

# What the archive's JVM runs: the Hive catalog on Derby, external text tables, JSON and CSV
# parsing, partitioned Parquet writes, joins, windows, aggregates, Arrow to and from pandas:
# the classes a dbt build and its Python models load.
WORKLOAD = """
import sys
from pyspark.sql import SparkSession

home, options = sys.argv[1], sys.argv[2]
spark = (
    SparkSession.builder.enableHiveSupport()
    .master("local[2]")
    .config("spark.sql.warehouse.dir", f"{home}/warehouse")
    .config("spark.hadoop.javax.jdo.option.ConnectionURL",
            "jdbc:derby:;databaseName=metastore_db;create=true")
    .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={home} {options}")
    .config("spark.ui.enabled", "false")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.driver.bindAddress", "127.0.0.1")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
with open(f"{home}/raw.txt", "w") as raw:
    raw.write('{"user_id": "u1", "price": 2.5, "ts": "2023-01-02 10:00:00"}\\n' * 50)
statements = [
    "create schema if not exists w",
    f"create table w.raw (value string) using text location '{home}/raw.txt'",
    "create table w.events using parquet partitioned by (m) as select "
    "from_json(value, 'user_id string, price double, ts string') as j, 1 as m from w.raw",
    "create or replace view w.v as select j.user_id as user_id, j.price as price, "
    "to_timestamp(j.ts) as ts, m from w.events",
    "insert overwrite table w.events partition (m) select j, m from w.events",
    "select user_id, sum(price), count(distinct ts), percentile_approx(price, 0.5), "
    "max_by(ts, price) from w.v group by user_id",
    "select *, row_number() over (partition by user_id order by ts desc) as n, "
    "rank() over (order by price) as r from w.v",
    "select a.user_id, b.price from w.v as a left join w.v as b on a.user_id = b.user_id "
    "where b.price > 1",
    "select from_csv('1,x', 'a int, b string'), try_cast('x' as int), "
    "date_trunc('month', current_timestamp()), sha2('x', 256)",
    "describe table extended w.events",
    "show table extended in w like '*'",
    "analyze table w.events compute statistics",
]
for sql in statements:
    spark.sql(sql).collect()
frame = spark.table("w.v").toPandas()
spark.createDataFrame(frame).groupBy("user_id").count().collect()
spark.stop()
"""


# A JVM that must map the archive (-Xshare:on) runs one query: fails on an unusable archive.
CHECK = """
import sys
from pyspark.sql import SparkSession

spark = (
    SparkSession.builder.master("local[1]")
    .config("spark.driver.extraJavaOptions", sys.argv[1])
    .config("spark.ui.enabled", "false")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.driver.bindAddress", "127.0.0.1")
    .getOrCreate()
)
print(spark.range(3).count())
spark.stop()
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600
    )


def spark_home() -> Path:
    """The pyspark wheel's folder: its bin/ scripts and jars/ (no Spark download)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def java_binary() -> Path | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return (Path(java_home) / "bin" / "java").resolve()
    found = shutil.which("java")
    return Path(found).resolve() if found else None


@functools.cache  # the adapter asks on every connection it opens
def archive_path() -> Path | None:
    """Where this install keeps the archive for this Java and these Spark jars."""
    java = java_binary()
    if java is None:
        return None
    jars = sorted(p.name for p in (spark_home() / "jars").glob("*.jar"))
    key = hashlib.sha256("\n".join([str(java), str(java.stat().st_mtime_ns), *jars]).encode())
    return Path(sys.prefix) / "share" / "cartwheel" / f"spark-{key.hexdigest()[:12]}.jsa"


def java_options() -> str:
    """JVM flags that map the archive, or "" when it was not made."""
    path = archive_path()
    if path is None or not path.is_file():
        return ""
    return f"-XX:SharedArchiveFile={path} {QUIET}"


def usable(archive: Path) -> bool:
    """A Spark JVM maps `archive` (with -Xshare:on it would not start otherwise) and runs."""
    with tempfile.TemporaryDirectory(prefix="cartwheel-cds-") as scratch:
        # a crash report of a damaged archive goes to the scratch folder, no core dump
        crash = f"-XX:ErrorFile={scratch}/hs_err_%p.log -XX:-CreateCoredumpOnCrash"
        done = _python(CHECK, f"-Xshare:on -XX:SharedArchiveFile={archive} {QUIET} {crash}")
    return done.returncode == 0 and done.stdout.strip().endswith("3")


def create(path: Path) -> Path:
    """Run the workload in a JVM that writes its loaded classes to `path` at exit; the file
    appears only once a JVM has used it (a truncated archive would crash every JVM)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        with tempfile.TemporaryDirectory(prefix="cartwheel-cds-") as home:
            done = _python(WORKLOAD, home, f"-XX:ArchiveClassesAtExit={partial} {QUIET}")
        if done.returncode != 0 or not partial.is_file():
            raise RuntimeError(
                f"its workload failed (exit {done.returncode}): {done.stderr[-2000:]}"
            )
        if not usable(partial):
            raise RuntimeError("a Spark JVM could not map it")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def main() -> int:
    path = archive_path()
    if path is None:
        print("cartwheel.jvm: no Java found: no class-data sharing archive", file=sys.stderr)
        return 1
    if path.is_file():
        print(f"cartwheel.jvm: {path} exists")
        return 0
    for old in path.parent.glob("spark-*.jsa"):  # another Java or pyspark's: unusable now
        old.unlink()
    try:
        create(path)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        # not fatal: every JVM starts as it would without the archive, only slower
        print(f"cartwheel.jvm: no class-data sharing archive ({exc})", file=sys.stderr)
        return 0
    print(f"cartwheel.jvm: wrote {path} ({path.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
