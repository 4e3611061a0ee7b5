"""The adapter: SparkAdapter with Python submission methods for open-source Spark."""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.base import PythonJobHelper, available
from dbt.adapters.base.relation import BaseRelation
from dbt.adapters.cartwheel.connections import CartwheelConnectionManager
from dbt.adapters.cartwheel.python_submissions import (
    ConnectPythonJobHelper,
    SessionPythonJobHelper,
)
from dbt.adapters.contracts.connection import AdapterResponse
from dbt.adapters.spark.connections import SparkConnectionMethod
from dbt.adapters.spark.impl import SparkAdapter
from dbt_common.exceptions import DbtRuntimeError


class CartwheelAdapter(SparkAdapter):
    ConnectionManager = CartwheelConnectionManager  # type: ignore[assignment]

    @property
    def default_python_submission_method(self) -> str:
        credentials = self.config.credentials
        if credentials.method == SparkConnectionMethod.SESSION:
            return "session"
        if getattr(credentials, "connect_url", None):
            return "connect"
        return super().default_python_submission_method

    @property
    def python_submission_helpers(self) -> dict[str, type[PythonJobHelper]]:
        return {
            **super().python_submission_helpers,
            "session": SessionPythonJobHelper,
            "connect": ConnectPythonJobHelper,
        }

    def generate_python_submission_response(self, submission_result: Any) -> AdapterResponse:
        seconds = getattr(submission_result, "seconds", None)
        message = f"OK ({seconds:.1f}s)" if seconds is not None else "OK"
        return AdapterResponse(_message=message)

    @available
    def raw_root_path(self, root: str) -> str:
        """The raw root as Spark should read it: a URL or an absolute path unchanged; a
        relative path, on the embedded session, made absolute against dbt's working
        directory, as the shell that set it reads it.

        Spark resolves a relative table location against its own folders, not the working
        directory: `CARTWHEEL_HOME=.cartwheel` made the raw tables empty and the build
        "reconciled" zero rows while the files sat under ./.cartwheel/raw. A Thrift server
        has folders of its own, so there a relative root is an error naming it."""
        if "://" in root or root.startswith(("/", "file:")):
            return root
        if self.config.credentials.method == SparkConnectionMethod.SESSION:
            return os.path.abspath(root)
        raise DbtRuntimeError(
            f"the raw root {root!r} is a relative path, which the Spark Thrift server would "
            "resolve against its own folders: set it to an absolute path or URL "
            "(CARTWHEEL_RAW_ROOT, CARTWHEEL_HOME or the raw_root var)"
        )

    @available
    def clear_orphan_location(self, relation: BaseRelation) -> str | None:
        """Embedded session: remove the folder of a managed table the catalog does not know
        before the table is created there, and return it (else None).

        A create killed mid-way (dbt stopped or the machine lost while a model is written,
        after the old table was dropped) leaves the folder, and every later run of that
        model fails with Spark's LOCATION_ALREADY_EXISTS. Over Thrift the folder belongs
        to the server's file system, so that error stays (it names the folder)."""
        if self.config.credentials.method != SparkConnectionMethod.SESSION:
            return None
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
        jvm, state = spark._jvm, spark._jsparkSession.sessionState()
        catalog = state.catalog()
        schema, name = relation.schema, relation.identifier
        if not schema or not name or not catalog.databaseExists(schema):
            return None
        table = jvm.org.apache.spark.sql.catalyst.TableIdentifier(
            name, jvm.scala.Option.apply(schema), jvm.scala.Option.apply(None)
        )
        if catalog.tableExists(table):
            return None
        path = jvm.org.apache.hadoop.fs.Path(catalog.defaultTablePath(table))
        files = path.getFileSystem(state.newHadoopConf())
        if not files.exists(path):
            return None
        files.delete(path, True)
        return str(path.toString())
