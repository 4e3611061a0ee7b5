"""Run a compiled dbt Python model on open-source Spark.

The compiled code (the model file, dbt's helpers, then our `py_write_table`) expects a
global `spark`. We execute it with `spark` bound either to the in-process session
(`session`) or to a Spark Connect session (`connect`). The model's file name is kept
in the code object, so a model that raises shows its own traceback.
"""

from __future__ import annotations

import linecache
import socket
import time
import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from dbt.adapters.base import PythonJobHelper
from dbt.adapters.cartwheel.connections import CartwheelCredentials
from dbt_common.exceptions import DbtRuntimeError


@dataclass
class SubmissionResult:
    model: str
    seconds: float


class _ExecHelper(PythonJobHelper):
    def __init__(self, parsed_model: dict[str, Any], credentials: CartwheelCredentials) -> None:
        self.parsed_model = parsed_model
        self.credentials = credentials
        self.name = parsed_model.get("unique_id") or parsed_model.get("alias", "python model")
        self.path = parsed_model.get("original_file_path") or f"<{self.name}>"

    def session(self) -> Any:
        raise NotImplementedError

    def submit(self, compiled_code: str) -> SubmissionResult:
        spark = self.session()
        compiled_code = self._align_with_model_file(compiled_code)
        started = time.perf_counter()
        # Register the compiled source so tracebacks show the model's own lines.
        linecache.cache[self.path] = (
            len(compiled_code),
            None,
            compiled_code.splitlines(keepends=True),
            self.path,
        )
        code = compile(compiled_code, self.path, "exec")
        namespace: dict[str, Any] = {"spark": spark, "__name__": "__dbt_python_model__"}
        try:
            exec(code, namespace)  # noqa: S102 - running the user's model is the point
        except Exception as exc:  # noqa: BLE001 - re-raised with the model's traceback
            raise DbtRuntimeError(self._describe(exc)) from exc
        return SubmissionResult(model=self.name, seconds=time.perf_counter() - started)

    def _align_with_model_file(self, compiled_code: str) -> str:
        """Drop the blank lines the materialization puts before the model's code, so
        line numbers in tracebacks are the model file's own."""
        raw = self.parsed_model.get("raw_code") or ""
        start = compiled_code.find(raw) if raw else -1
        if start > 0 and not compiled_code[:start].strip():
            return compiled_code[start:]
        return compiled_code

    def _describe(self, exc: BaseException) -> str:
        """The traceback from the model's first frame on (dbt's own frames dropped)."""
        frames = traceback.extract_tb(exc.__traceback__)
        first = next((i for i, f in enumerate(frames) if f.filename == self.path), 0)
        lines = traceback.format_list(frames[first:])
        lines += traceback.format_exception_only(type(exc), exc)
        return f"Python model {self.name} failed:\nTraceback (most recent call last):\n" + (
            "".join(lines).rstrip()
        )


class SessionPythonJobHelper(_ExecHelper):
    """In dbt's own process, on the session dbt-spark's `session` method uses."""

    def session(self) -> Any:
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.enableHiveSupport()
        for key, value in (self.credentials.server_side_parameters or {}).items():
            builder = builder.config(key, value)
        return builder.getOrCreate()


class ConnectPythonJobHelper(_ExecHelper):
    """Over Spark Connect, to the application behind the Thrift server."""

    def session(self) -> Any:
        url = self.parsed_model["config"].get("connect_url") or self.credentials.connect_url
        if not url:
            raise DbtRuntimeError(
                f"Python model {self.name}: no Spark Connect URL; set `connect_url` in the profile"
            )
        check_reachable(url)
        # The classic builder (not pyspark.sql.connect's) switches pyspark into Connect
        # mode for this process, so pyspark.sql.functions and pyspark.ml go remote too.
        from pyspark.sql import SparkSession

        try:
            return SparkSession.builder.remote(url).getOrCreate()
        except Exception as exc:  # noqa: BLE001
            raise DbtRuntimeError(f"cannot open Spark Connect session at {url}: {exc}") from exc


def check_reachable(url: str, timeout: float = 5.0) -> None:
    """Fail fast, naming the URL, when nothing listens at a Spark Connect URL."""
    parsed = urlparse(url)
    if parsed.scheme != "sc" or not parsed.hostname:
        raise DbtRuntimeError(f"invalid Spark Connect URL {url!r}: expected sc://host:port")
    port = parsed.port or 15002
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            return
    except OSError as exc:
        raise DbtRuntimeError(f"Spark Connect server at {url} is unreachable: {exc}") from exc
