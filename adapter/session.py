"""Fixes to dbt-spark's in-process session connection."""

from __future__ import annotations

from typing import Any

from dbt.adapters.spark.session import SessionConnectionWrapper


class CartwheelSessionConnectionWrapper(SessionConnectionWrapper):
    """dbt-spark's session wrapper with string bindings escaped.

    Upstream quotes string bindings without escaping them, so a seed value such as
    "New Year's Day" breaks the generated SQL. Bindings are inlined as Spark SQL string
    literals, so backslashes and single quotes are escaped here.
    """

    @classmethod
    def _fix_binding(cls, value: Any) -> str | float:
        if value is None:
            return "null"
        if isinstance(value, str):
            escaped = value.replace("\\", "\\\\").replace("'", "\\'")
            return f"'{escaped}'"
        return super()._fix_binding(value)
