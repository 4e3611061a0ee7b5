"""The adapter: SparkAdapter with Python submission methods for open-source Spark."""

from __future__ import annotations

from typing import Any

from dbt.adapters.base import PythonJobHelper
from dbt.adapters.cartwheel.connections import CartwheelConnectionManager
from dbt.adapters.cartwheel.python_submissions import (
    ConnectPythonJobHelper,
    SessionPythonJobHelper,
)
from dbt.adapters.contracts.connection import AdapterResponse
from dbt.adapters.spark.connections import SparkConnectionMethod
from dbt.adapters.spark.impl import SparkAdapter


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
