"""The adapter's Python submission: errors a user must be able to read."""

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


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway dbt project with one Python model that raises."""
    project = tmp_path_factory.mktemp("tiny_project")
    (project / "models").mkdir()
    (project / "models" / "boom.py").write_text(FAILING_MODEL)
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
    result = run_dbt("run", target="local", project_dir=tiny_project)
    assert result.returncode == 1
    assert_model_traceback(result.output)


def test_connect_model_error_shows_model_traceback(
    tiny_project: Path, spark_server: ServerInfo
) -> None:
    result = run_dbt("run", target="thrift", project_dir=tiny_project, env=spark_server.env)
    assert result.returncode == 1
    assert_model_traceback(result.output)


def test_unreachable_connect_url_is_named(tiny_project: Path, spark_server: ServerInfo) -> None:
    from cartwheel.server import free_port

    url = f"sc://127.0.0.1:{free_port()}"
    env = {**spark_server.env, "CARTWHEEL_CONNECT_URL": url}
    result = run_dbt("run", target="thrift", project_dir=tiny_project, env=env)
    assert result.returncode == 1
    assert f"Spark Connect server at {url} is unreachable" in result.output
