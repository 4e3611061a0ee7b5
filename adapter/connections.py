"""Credentials and connection manager: dbt-spark's, under the `cartwheel` type."""

from __future__ import annotations

from dataclasses import dataclass

from dbt.adapters.cartwheel.session import CartwheelSessionConnectionWrapper
from dbt.adapters.contracts.connection import Connection
from dbt.adapters.spark.connections import SparkConnectionManager, SparkCredentials
from dbt.adapters.spark.session import SessionConnectionWrapper


@dataclass
class CartwheelCredentials(SparkCredentials):
    """dbt-spark credentials plus the Spark Connect URL used for Python models."""

    connect_url: str | None = None

    @property
    def type(self) -> str:
        return "cartwheel"

    def _connection_keys(self) -> tuple[str, ...]:
        return (*super()._connection_keys(), "method", "connect_url")


class CartwheelConnectionManager(SparkConnectionManager):
    TYPE = "cartwheel"

    @classmethod
    def open(cls, connection: Connection) -> Connection:
        connection = super().open(connection)
        if isinstance(connection.handle, SessionConnectionWrapper):
            connection.handle.__class__ = CartwheelSessionConnectionWrapper
        return connection
