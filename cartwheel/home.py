"""One data home: everything cartwheel writes at run time lives under $CARTWHEEL_HOME."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = ".cartwheel"


def home() -> Path:
    """The data home, absolute; `$CARTWHEEL_HOME` or `./.cartwheel`."""
    return Path(os.environ.get("CARTWHEEL_HOME", DEFAULT_HOME)).expanduser().resolve()


def raw_root() -> Path:
    """Where raw shop files land (the dbt var `raw_root` defaults to the same place)."""
    return Path(os.environ.get("CARTWHEEL_RAW_ROOT", home() / "raw")).expanduser().resolve()


def server_dir() -> Path:
    """The local Thrift/Connect server's own warehouse, metastore, log and pid file."""
    return home() / "server"
