"""The adapter's Python submission: errors a user must be able to read, and the table it
writes (our `py_write_table`, not dbt-spark's: partitioned as the model asks)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT, ServerInfo, run_dbt

FAILING_MODEL = """\
def helper(value):
    raise ValueError(f"bad value {value} in the model")


def model(dbt, session):
    dbt.config(materialized="table")
    return helper(42)
"""

PARTITIONED_MODEL = """\
import pandas as pd


def model(dbt, session):
    dbt.config(materialized="table", partition_by=["month"])
    return pd.DataFrame({"month": [1, 1, 2], "n": [10, 20, 30]})
"""


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway dbt project: one Python model that raises, one partitioned by month."""
    project = tmp_path_factory.mktemp("tiny_project")
    (project / "models").mkdir()
    (project / "models" / "boom.py").write_text(FAILING_MODEL)
    (project / "models" / "parted.py").write_text(PARTITIONED_MODEL)
    (project / "dbt_project.yml").write_text(
        "name: tiny\nversion: '1.0'\nconfig-version: 2\nprofile: cartwheel\n"
        "model-paths: ['models']\n"
    )
    shutil.copy(ROOT / "profiles" / "profiles.yml", project / "profiles.yml")
    return project


def assert_model_traceback(output: str) -> None:
    assert "Python model model.tiny.boom failed" in output
    assert 'File "models/boom.py", line 7, in model' in output
    assert 'File "models/boom.py", line 2, in helper' in output
    assert "ValueError: bad value 42 in the model" in output


def test_session_model_error_shows_model_traceback(
    tiny_project: Path, cartwheel_home: Path
) -> None:
    result = run_dbt("run", "--select", "boom", target="local", project_dir=tiny_project)
    assert result.returncode == 1
    assert_model_traceback(result.output)


def test_connect_model_error_shows_model_traceback(
    tiny_project: Path, spark_server: ServerInfo
) -> None:
    result = run_dbt(
        "run", "--select", "boom", target="thrift", project_dir=tiny_project,
        env=spark_server.env,
    )  # fmt: skip
    assert result.returncode == 1
    assert_model_traceback(result.output)


def test_unreachable_connect_url_is_named(tiny_project: Path, spark_server: ServerInfo) -> None:
    from cartwheel.server import free_port

    url = f"sc://127.0.0.1:{free_port()}"
    env = {**spark_server.env, "CARTWHEEL_CONNECT_URL": url}
    result = run_dbt("run", "--select", "boom", target="thrift", project_dir=tiny_project, env=env)
    assert result.returncode == 1
    assert f"Spark Connect server at {url} is unreachable" in result.output


def test_a_python_model_is_written_partitioned_as_configured(
    tiny_project: Path, cartwheel_home: Path
) -> None:
    """`partition_by` of a Python model reaches the write: one folder per month. dbt-spark's
    own py_write_table ignored it; ours ran only once the plugin named its macro package."""
    import pyarrow.parquet as pq

    schema = "t_python_models"
    result = run_dbt(
        "run", "--select", "parted", target="local", project_dir=tiny_project,
        env={"CARTWHEEL_SCHEMA": schema},
    )  # fmt: skip
    assert result.returncode == 0, result.output
    table = cartwheel_home / "warehouse" / f"{schema}.db" / "parted"
    assert sorted(p.name for p in table.glob("month=*")) == ["month=1", "month=2"]
    assert sorted(pq.read_table(table / "month=1").column("n").to_pylist()) == [10, 20]
    assert pq.read_table(table / "month=2").column("n").to_pylist() == [30]
