"""Credentials and connection manager: dbt-spark's, under the `cartwheel` type."""

from __future__ import annotations

from dataclasses import dataclass

from dbt.adapters.cartwheel import lock
from dbt.adapters.cartwheel.session import CartwheelSessionConnectionWrapper
from dbt.adapters.contracts.connection import Connection
from dbt.adapters.exceptions.connection import FailedToConnectError
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
        credentials = connection.credentials
        if getattr(credentials, "method", None) == "session":  # the embedded target
            try:
                lock.acquire(lock.home_of(credentials.server_side_parameters or {}))
            except lock.HomeLocked as exc:
                raise FailedToConnectError(str(exc)) from None
        connection = super().open(connection)
        if isinstance(connection.handle, SessionConnectionWrapper):
            connection.handle.__class__ = CartwheelSessionConnectionWrapper
        return connection
