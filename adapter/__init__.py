"""dbt-cartwheel: dbt-spark plus Python models on open-source Spark.

Installed as the dbt adapter package `dbt.adapters.cartwheel` (profile `type: cartwheel`).
It keeps every dbt-spark feature (all its macros are inherited through
`dependencies=["spark"]`) and adds Python model submission:

* `method: session`: the model runs in dbt's own process, on the same in-process
  SparkSession that dbt-spark's session cursor uses;
* `method: thrift`: SQL goes over Thrift as in dbt-spark, Python models go to the same
  Spark application over Spark Connect (`connect_url` in the profile).
"""

from pathlib import Path

from dbt.adapters.base import AdapterPlugin
from dbt.adapters.cartwheel.connections import (  # noqa: F401
    CartwheelConnectionManager,
    CartwheelCredentials,
)
from dbt.adapters.cartwheel.impl import CartwheelAdapter
from dbt.adapters.cartwheel.scheduling import install as install_scheduling

# dbt starts the ready node with the longest chain still to run after it (scheduling.py)
install_scheduling()

Plugin = AdapterPlugin(
    adapter=CartwheelAdapter,  # type: ignore[arg-type]
    credentials=CartwheelCredentials,
    include_path=str(Path(__file__).parent / "include"),
    # the name in include/dbt_project.yml: without it dbt derives "dbt_include" from the
    # folder, loads our macros as an ordinary package and never dispatches to them
    project_name="dbt_cartwheel",
    dependencies=["spark"],
)
