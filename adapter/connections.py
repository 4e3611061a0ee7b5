"""Credentials and connection manager: dbt-spark's, under the `cartwheel` type."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from dbt.adapters.cartwheel import lock
from dbt.adapters.cartwheel.session import CartwheelSessionConnectionWrapper
from dbt.adapters.cartwheel.thrift import CartwheelPyhiveConnectionWrapper
from dbt.adapters.contracts.connection import Connection
from dbt.adapters.exceptions.connection import FailedToConnectError
from dbt.adapters.spark.connections import (
    PyhiveConnectionWrapper,
    SparkConnectionManager,
    SparkCredentials,
)
from dbt.adapters.spark.session import SessionConnectionWrapper
from dbt_common.exceptions import DbtRuntimeError


@dataclass
class CartwheelCredentials(SparkCredentials):
    """dbt-spark credentials plus the Spark Connect URL used for Python models."""

    connect_url: str | None = None

    @property
    def type(self) -> str:
        return "cartwheel"

    def _connection_keys(self) -> tuple[str, ...]:
        return (*super()._connection_keys(), "method", "connect_url")


def is_transport_failure(exc: BaseException | None) -> bool:
    """True for a lost or refused connection to the Thrift server (not a SQL error)."""
    from thrift.transport.TTransport import TTransportException

    return isinstance(exc, TTransportException | OSError | EOFError)


def server_gone(credentials: SparkCredentials, exc: BaseException) -> str:
    return (
        f"the Spark Thrift server at {credentials.host}:{credentials.port} is gone "
        f"({type(exc).__name__}: {exc}). Start it again (`cartwheel server start`, or the "
        "cluster's server) and run `dbt retry` to finish what this run did not"
    )


def with_class_archive(parameters: dict[str, str]) -> None:
    """The embedded session's JVM maps the install's class archive (`cartwheel.jvm`), if made."""
    from cartwheel import jvm

    key = "spark.driver.extraJavaOptions"
    options = parameters.get(key, "")
    extra = jvm.java_options()
    if extra and "SharedArchiveFile" not in options:
        parameters[key] = f"{options} {extra}".strip()


class CartwheelConnectionManager(SparkConnectionManager):
    TYPE = "cartwheel"

    @contextmanager
    def exception_handler(self, sql: str) -> Iterator[None]:
        """dbt-spark's handler, but a server that went away is named as such."""
        try:
            with super().exception_handler(sql):
                yield
        except DbtRuntimeError as exc:
            cause = exc.__context__
            if is_transport_failure(cause):
                raise DbtRuntimeError(server_gone(self.profile.credentials, cause)) from cause
            raise

    @classmethod
    def open(cls, connection: Connection) -> Connection:
        credentials = connection.credentials
        if getattr(credentials, "method", None) == "session":  # the embedded target
            with_class_archive(credentials.server_side_parameters)
            home = lock.home_of(credentials.server_side_parameters or {})
            try:
                if home is not None:
                    lock.acquire(home)
            except lock.HomeLocked as exc:
                raise FailedToConnectError(str(exc)) from None
        try:
            connection = super().open(connection)
        except FailedToConnectError as exc:
            cause = exc.__cause__
            if getattr(credentials, "method", None) == "thrift" and is_transport_failure(cause):
                raise FailedToConnectError(server_gone(credentials, cause)) from cause
            raise
        if isinstance(connection.handle, SessionConnectionWrapper):
            connection.handle.__class__ = CartwheelSessionConnectionWrapper
        elif isinstance(connection.handle, PyhiveConnectionWrapper):
            connection.handle.__class__ = CartwheelPyhiveConnectionWrapper
        return connection
