"""One dbt run at a time on an embedded (session) target's data home.

Two runs on one `$CARTWHEEL_HOME` at once (two terminals, a cron job overlapping a manual
run) would share its Derby metastore and race on the same tables. The first run to open a
session connection takes an exclusive, non-blocking `flock` on `<home>/dbt.lock` and holds
it until its process ends (the kernel releases it even when the process is killed); a
second run fails at once, naming the lock and its holder's pid.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import IO

LOCK_NAME = "dbt.lock"
_held: dict[Path, IO[str]] = {}


class HomeLocked(RuntimeError):
    """Another process holds the data home's lock."""


def home_of(server_side_parameters: dict[str, str]) -> Path | None:
    """The data home of an embedded target: the folder holding its warehouse; None for an
    in-memory catalog (the lint target), which keeps nothing on disk to share."""
    if server_side_parameters.get("spark.sql.catalogImplementation") == "in-memory":
        return None
    warehouse = server_side_parameters.get("spark.sql.warehouse.dir", "spark-warehouse")
    return Path(warehouse).expanduser().resolve().parent


def acquire(home: Path) -> Path:
    """Take (or keep, in this process) the lock of `home`; HomeLocked if another has it."""
    path = home / LOCK_NAME
    if path in _held:
        return path
    home.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown pid"
        handle.close()
        raise HomeLocked(
            f"another dbt run is using this data home: {path} is locked by {holder}. "
            "Two runs at once would corrupt its Derby metastore and race on the same tables; "
            "wait for that run to end, or give this one its own CARTWHEEL_HOME"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} (since {time.strftime('%Y-%m-%d %H:%M:%S')})\n")
    handle.flush()
    _held[path] = handle  # held until the process ends
    return path
