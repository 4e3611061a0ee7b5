"""`make docs`: generate the dbt docs site (manifest + catalog) and serve it locally.

    python -m cartwheel.docs [--port N] [--host 127.0.0.1] [--no-serve] [--target local]
                             [--target-path DIR]

1. `dbt docs generate --target <t>` (the dbt next to this Python, the repo as project dir,
   `DBT_PROFILES_DIR` defaulting to `<repo>/profiles`); prints how long it took and how
   long the catalog queries took. The catalog is read from the built tables, so build
   first (`make demo`, or `dbt build`).
2. serves `target/` (index.html, manifest.json, catalog.json) with Python's http.server on
   `http://<host>:<port>` (port: `--port`, else `$CARTWHEEL_DOCS_PORT`, else 8080).

From Python (and the tests): `generate(target, target_path)` runs it and returns its
seconds; `serve(directory, host, port)` returns a started `ThreadingHTTPServer`.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cartwheel.home import home

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
SITE_FILES = ("index.html", "manifest.json", "catalog.json")


class DocsError(RuntimeError):
    """`dbt docs generate` failed; the message says why, in a line or two."""


def dbt_binary() -> Path:
    return Path(sys.executable).parent / "dbt"


def _timestamp(event: dict) -> float | None:
    try:
        return datetime.fromisoformat(event["info"]["ts"].replace("Z", "+00:00")).timestamp()
    except (KeyError, TypeError, ValueError):
        return None


def explain_failure(output: str, target: str) -> str:
    """One or two lines saying why `dbt docs generate` failed, from its output."""
    text = output.lower()
    if "another instance of derby may have already booted" in text or (
        "xsdb6" in text and "derby" in text
    ):
        return (
            f"the Spark metastore under {home()} is in use by another process (a running "
            "`make demo`, `dbt build` or docs server?): wait for it or stop it, then retry."
        )
    if (
        "java gateway process exited" in text
        or "java_gateway_exited" in text
        or "java_home is not set" in text
        or "unable to locate a java runtime" in text
    ):
        return (
            "the Spark session could not start (Java 17 is required: check `java -version` "
            "and JAVA_HOME)."
        )
    if target != "local" and (
        "connection refused" in text
        or "could not connect to any of" in text
        or "tsocket" in text
        and "could not connect" in text
    ):
        return (
            f"no Spark Thrift server answered for target '{target}': start one with "
            "`cartwheel server start` (or set CARTWHEEL_THRIFT_HOST/PORT)."
        )
    if "could not find profile" in text or "profiles.yml" in text and "not found" in text:
        return (
            f"dbt found no profile for target '{target}': is DBT_PROFILES_DIR "
            f"({os.environ.get('DBT_PROFILES_DIR')}) pointing at the repo's profiles/?"
        )
    if (
        "table_or_view_not_found" in text
        or "schema_not_found" in text
        or "table or view not found" in text
        or "database '" in text
        and "not found" in text
    ):
        return (
            f"the tables are not built yet in {home()}: run `make demo` (or `dbt build "
            f"--target {target}`) first, then `make docs`."
        )
    if "does not have a target named" in text:
        return f"there is no target '{target}' in profiles/profiles.yml (try local or thrift)."
    # Otherwise dbt's own words: the first lines after its last "Encountered an error".
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    marks = [i for i, line in enumerate(lines) if line.lower().startswith("encountered an error")]
    tail = lines[marks[-1] + 1 :] if marks else [line for line in lines if "error" in line.lower()]
    generic = re.compile(r"^(encountered an error:?|[a-z ]*error:?)$", re.IGNORECASE)
    reasons = [line for line in tail if not generic.match(line)][:2] or lines[-2:]
    return " / ".join(reasons)[:600] if reasons else "dbt printed nothing (see logs/dbt.log)."


def generate(target: str = "local", target_path: Path | None = None) -> float:
    """Run `dbt docs generate`; print its progress and timings; return its seconds.

    Besides the whole command's wall time (returned), prints the time of the warehouse
    metadata queries behind the catalog: dbt-spark's `show table extended in <schema>`
    (run while dbt fills its relation cache: the catalog's source), dbt's own "Building
    catalog" step, which reads that cache, and the first SQL statement, which also starts
    the Spark session on the local target.
    Raises `DocsError` with a short reason when dbt fails.
    """
    dbt = dbt_binary()
    if not dbt.exists():
        raise DocsError(f"no dbt at {dbt}: run `make setup` first.")
    command = [str(dbt), "--log-format", "json", "--log-level", "debug"]
    command += ["--log-format-file", "debug", "docs", "generate"]
    command += ["--target", target, "--project-dir", str(PROJECT)]
    if target_path is not None:
        command += ["--target-path", str(target_path)]
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(PROJECT / "profiles")),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    print(f"$ dbt docs generate --target {target}", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert proc.stdout is not None
    output: list[str] = []
    catalog_started = catalog_written = None
    last_sql: dict[str, str] = {}  # thread -> SQL it is running
    listings: list[float] = []  # seconds of each `show table extended` query
    first_statement: float | None = None  # seconds of the first SQL statement
    first_is_listing = False
    for line in proc.stdout:
        line = line.rstrip("\n")
        try:
            event = json.loads(line)
            info = event["info"]
        except (ValueError, KeyError, TypeError):
            # Not one of dbt's events (JVM or Python stderr): keep it for the diagnosis.
            output.append(line)
            continue
        name, msg, level = info.get("name"), info.get("msg", ""), info.get("level")
        data = event.get("data") or {}
        if name == "SQLQuery":
            last_sql[info.get("thread", "")] = str(data.get("sql", "")).lower()
        elif name == "SQLQueryStatus":
            elapsed = float(data.get("elapsed") or 0.0)
            listing = "show table extended" in last_sql.pop(info.get("thread", ""), "")
            if first_statement is None:
                first_statement, first_is_listing = elapsed, listing
            if listing:
                listings.append(elapsed)
        elif name == "BuildingCatalog":
            catalog_started = _timestamp(event)
        elif name == "CatalogWritten":
            catalog_written = _timestamp(event)
        if level == "debug":
            continue
        output.append(msg)
        if msg.strip():
            stamp = datetime.now().strftime("%H:%M:%S")
            print(f"{stamp}  {msg}", flush=True)
    returncode = proc.wait()
    total = time.perf_counter() - started
    if returncode != 0:
        raise DocsError(
            f"dbt docs generate failed (exit {returncode}): "
            + explain_failure("\n".join(output), target)
        )
    step = (
        catalog_written - catalog_started
        if catalog_started is not None and catalog_written is not None
        else None
    )
    print(f"dbt docs generate took {total:.1f} s, of which:", flush=True)
    if first_statement is not None:
        print(
            f"  {first_statement:5.1f} s  first SQL statement (starts the Spark session)",
            flush=True,
        )
    if listings:
        note = ", with the first statement" if first_is_listing else ""
        print(
            f"  {sum(listings):5.1f} s  catalog queries: show table extended in "
            f"{len(listings)} schema(s){note}",
            flush=True,
        )
    if step is not None:
        print(f"  {step:5.1f} s  building catalog.json from those results", flush=True)
    directory = target_path or PROJECT / "target"
    catalog = directory / "catalog.json"
    if catalog.exists():
        nodes = json.loads(catalog.read_text()).get("nodes", {})
        if not nodes:
            print(
                f"warning: the catalog is empty (no tables in {home()}): the site shows "
                "models but no columns; run `make demo` first for a full catalog.",
                flush=True,
            )
    return total


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files, no caching (regenerated docs show on reload), no request log."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's name)
        pass


def serve(directory: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT):
    """Serve `directory` on host:port from a background thread; returns the started server.

    Port 0 picks a free port (read it back from `server.server_address[1]`). Stop it with
    `server.shutdown(); server.server_close()`.
    """
    directory = Path(directory).resolve()
    missing = [name for name in SITE_FILES if not (directory / name).exists()]
    if missing:
        raise DocsError(
            f"{directory} has no {', '.join(missing)}: run `python -m cartwheel.docs "
            "--no-serve` (dbt docs generate) first."
        )
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="cartwheel-docs", daemon=True)
    thread.start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cartwheel.docs",
        description="Generate the dbt docs site (dbt docs generate) and serve target/.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("CARTWHEEL_DOCS_PORT", DEFAULT_PORT)),
        help="port to serve on (default: $CARTWHEEL_DOCS_PORT, else 8080; 0 = any free port)",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (127.0.0.1)")
    parser.add_argument(
        "--target",
        default=os.environ.get("CARTWHEEL_TARGET", "local"),
        help="dbt target whose tables the catalog describes (default: local)",
    )
    parser.add_argument(
        "--target-path",
        type=Path,
        default=None,
        help="where dbt writes the site (default: the project's target/)",
    )
    parser.add_argument(
        "--no-serve", action="store_true", help="only generate target/, do not serve it"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT / "profiles"))

    target_path = args.target_path.resolve() if args.target_path else None
    directory = target_path or PROJECT / "target"
    try:
        generate(args.target, target_path)
    except DocsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.no_serve:
        print(f"docs site written to {directory} (serve it with `make docs`)")
        return 0
    try:
        server = serve(directory, args.host, args.port)
    except OSError as error:
        print(
            f"error: cannot serve on {args.host}:{args.port} ({error.strerror or error}): "
            "pass --port N or set CARTWHEEL_DOCS_PORT",
            file=sys.stderr,
        )
        return 1
    except DocsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    print(f"serving the dbt docs site from {directory} at http://{host}:{port}", flush=True)
    print("press Ctrl+C to stop", flush=True)
    # Stop cleanly on Ctrl+C (even when started in the background, where shells ignore
    # SIGINT) and on SIGTERM.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
