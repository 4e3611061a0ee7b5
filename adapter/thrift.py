"""Fixes to dbt-spark's Thrift connection: how often a running query is polled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbt.adapters.spark.connections import PyhiveConnectionWrapper

FIRST_POLL_SECONDS = 0.02


def poll_delays(first: float, ceiling: float) -> Iterator[float]:
    """``first``, doubling at each poll, never above ``ceiling``."""
    delay = first
    while True:
        yield min(delay, ceiling)
        delay *= 2


class CartwheelPyhiveConnectionWrapper(PyhiveConnectionWrapper):
    """dbt-spark's Thrift wrapper, polling a running statement with a growing delay.

    dbt-spark runs each statement asynchronously and asks for its state; Spark's Thrift
    server answers that request when the statement ends or after 5 s
    (`hive.server2.long.polling.timeout`), and dbt-spark then slept ``poll_interval``
    (the profile's, an integer, 5 s by default) before asking again: a statement of 5.5 s
    took 10.5 s, as many model and test nodes of a large build do. Here the delays start
    at 20 ms and double up to ``poll_interval`` (1 s in our profile): with long polling a
    statement ends at most one short delay after it finished; a server without it is asked
    more often only while the statement is young.

    dbt-spark's loop reads ``self.poll_interval`` before each sleep; this class makes that
    attribute the next delay (a data descriptor wins over the value dbt-spark's
    ``__init__`` stored on the instance, which stays the ceiling).
    """

    _delays: Iterator[float] | None = None

    @property
    def _ceiling(self) -> float:
        return float(self.__dict__.get("poll_interval", 5))

    @property  # type: ignore[override]
    def poll_interval(self) -> float:
        return self._ceiling if self._delays is None else next(self._delays)

    @poll_interval.setter
    def poll_interval(self, value: float) -> None:
        self.__dict__["poll_interval"] = value

    def _execute_with_polling(self, sql: str, bindings: Any) -> None:
        self._delays = poll_delays(FIRST_POLL_SECONDS, self._ceiling)
        try:
            super()._execute_with_polling(sql, bindings)
        finally:
            self._delays = None
