"""Where the dashboard's numbers come from: the marts, read as they are.

- `LocalWarehouse`: the embedded `local` target's managed tables, read straight from their
  Parquet folders under `$CARTWHEEL_HOME/warehouse/<schema>.db/` with pyarrow (no Spark
  start, so pages load in a moment).
- `ThriftWarehouse`: through a running Thrift server (ours or a cluster's), with PyHive.
  Table names are checked identifiers; every value is bound as a query parameter.

`from_env()` picks one with the env vars the dbt profile reads (`CARTWHEEL_TARGET`,
`CARTWHEEL_SCHEMA`, `CARTWHEEL_THRIFT_HOST`, `CARTWHEEL_THRIFT_PORT`). A mart that is not
built raises `MartMissing`, whose message names the dbt command that builds it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from cartwheel.home import home

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
REJECTED_TABLES = (
    "rees46_rejected",
    "amazon_reviews_rejected",
    "amazon_meta_rejected",
    "interactions_rejected",
)


class MartMissing(LookupError):
    """A mart that has not been built (yet)."""

    def __init__(self, mart: str) -> None:
        super().__init__(
            f"`{mart}` is not built yet: run `dbt build --select +{mart}` (or `make demo`)"
        )
        self.mart = mart


class Warehouse(Protocol):
    def table(self, name: str, columns: tuple[str, ...] | None = None) -> pd.DataFrame: ...

    def user_rows(self, name: str, user_id: str) -> pd.DataFrame: ...

    def recommendations(self, user_id: str) -> pd.DataFrame: ...


def identifier(name: str) -> str:
    """`name` if it is a plain SQL identifier (table and column names are never bound)."""
    if not IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a table or column name: {name!r}")
    return name


class LocalWarehouse:
    """The embedded target's Parquet tables, read with pyarrow."""

    def __init__(self, data_home: Path, schema: str) -> None:
        self.root = data_home / "warehouse" / f"{identifier(schema)}.db"

    def _dataset(self, name: str):
        import pyarrow.dataset as ds

        path = self.root / identifier(name)
        if not path.is_dir() or not any(path.rglob("*.parquet")):
            raise MartMissing(name)
        return ds.dataset(path, format="parquet", partitioning="hive")

    def table(self, name: str, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        cols = list(columns) if columns else None
        return self._dataset(name).to_table(columns=cols).to_pandas()

    def user_rows(self, name: str, user_id: str) -> pd.DataFrame:
        import pyarrow.dataset as ds

        table = self._dataset(name).to_table(filter=ds.field("user_id") == str(user_id))
        return table.to_pandas()

    def recommendations(self, user_id: str) -> pd.DataFrame:
        """`ml_recommendations_enriched` for one user (a view: built here from its tables)."""
        recs = self.user_rows("ml_recommendations", user_id)
        products = self.table("dim_products", ("product_id", "product_title", "category"))
        return recs.merge(products, on="product_id", how="left")


class ThriftWarehouse:
    """The marts through a Thrift server; values bound as parameters by PyHive."""

    def __init__(self, host: str, port: int, schema: str) -> None:
        self.host, self.port, self.schema = host, port, identifier(schema)

    def _query(self, sql: str, parameters: dict[str, Any] | None = None) -> pd.DataFrame:
        from pyhive import hive

        conn = hive.connect(host=self.host, port=self.port, username="cartwheel-dashboard")
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(sql, parameters)
            except Exception as exc:
                missing = re.search(r"TABLE_OR_VIEW_NOT_FOUND|Table or view not found", str(exc))
                name = re.search(rf"{self.schema}\.(\w+)", sql)
                if missing and name:
                    raise MartMissing(name.group(1)) from None
                raise
            columns = [d[0].split(".")[-1] for d in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=columns)
        finally:
            conn.close()

    def table(self, name: str, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        cols = ", ".join(identifier(c) for c in columns) if columns else "*"
        return self._query(f"select {cols} from {self.schema}.{identifier(name)}")

    def user_rows(self, name: str, user_id: str) -> pd.DataFrame:
        sql = f"select * from {self.schema}.{identifier(name)} where user_id = %(user_id)s"
        return self._query(sql, {"user_id": str(user_id)})

    def recommendations(self, user_id: str) -> pd.DataFrame:
        return self.user_rows("ml_recommendations_enriched", user_id)


def from_env() -> Warehouse:
    """The warehouse of the profile's target, chosen by the same env vars as the profile."""
    schema = os.environ.get("CARTWHEEL_SCHEMA", "cartwheel")
    if os.environ.get("CARTWHEEL_TARGET", "local") == "thrift":
        host = os.environ.get("CARTWHEEL_THRIFT_HOST", "127.0.0.1")
        return ThriftWarehouse(host, int(os.environ.get("CARTWHEEL_THRIFT_PORT", "10000")), schema)
    return LocalWarehouse(home(), schema)


def rejected_reasons(warehouse: Warehouse) -> pd.DataFrame:
    """`source, reject_reason, rows` over every `<source>_rejected` table that exists."""
    frames = []
    for name in REJECTED_TABLES:
        try:
            reasons = warehouse.table(name, ("reject_reason",))
        except MartMissing:
            continue
        counts = reasons.value_counts("reject_reason").rename("rows").reset_index()
        frames.append(counts.assign(source=name.removesuffix("_rejected")))
    columns = ["source", "reject_reason", "rows"]
    return pd.concat(frames)[columns] if frames else pd.DataFrame(columns=columns)


def lorenz_curve(counts: pd.Series) -> pd.DataFrame:
    """Cumulative share of interactions held by the least popular share of products."""
    ordered = counts.sort_values().to_numpy(dtype=float)
    total = ordered.sum() or 1.0
    n = len(ordered)
    return pd.DataFrame(
        {
            "product_share": [0.0, *((i + 1) / n for i in range(n))],
            "interaction_share": [0.0, *(ordered.cumsum() / total)],
        }
    )
