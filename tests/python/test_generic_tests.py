"""The project's own generic data tests fail on planted bad rows (a throwaway dbt project
with one hand-made model), so a green build means something."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_dbt

MODEL = """\
select 1 as id, 'a' as x, cast(null as string) as y, 5 as n
union all
select 2 as id, cast(null as string) as x, 'b' as y, 50 as n
union all
select 3 as id, 'c' as x, 'd' as y, 7 as n
"""

SCHEMA = """\
version: 2
models:
  - name: planted
    data_tests:
      - cartwheel_not_null_columns:
          name: nulls_in_x_or_y
          arguments:
            columns: [x, y]
      - cartwheel_not_null_columns:
          name: no_nulls_in_id_or_n
          arguments:
            columns: [id, n]
      - cartwheel_columns_in_range:
          name: n_or_id_out_of_range
          arguments:
            columns:
              n: {min_value: 0, max_value: 10}
              id: {min_value: 1, max_value: 3, inclusive: false}
      - cartwheel_columns_in_range:
          name: n_and_id_in_range
          arguments:
            columns:
              n: {min_value: 5}
              id: {min_value: 1, max_value: 3}
    columns:
      - name: n
        data_tests:
          - cartwheel_in_range:
              name: n_above_ten
              arguments:
                min_value: 0
                max_value: 10
"""


@pytest.fixture(scope="module")
def planted_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("planted_project")
    (project / "models").mkdir()
    (project / "models" / "planted.sql").write_text(MODEL)
    (project / "models" / "_planted.yml").write_text(SCHEMA)
    shutil.copytree(ROOT / "macros" / "generic_tests", project / "macros" / "generic_tests")
    (project / "dbt_project.yml").write_text(
        "name: planted\nversion: '1.0'\nconfig-version: 2\nprofile: cartwheel\n"
        "model-paths: ['models']\nmacro-paths: ['macros']\n"
    )
    return project


def test_generic_tests_fail_on_planted_rows(planted_project: Path, cartwheel_home: Path) -> None:
    result = run_dbt(
        "build", target="local", project_dir=planted_project, env={"CARTWHEEL_SCHEMA": "t_planted"}
    )
    assert result.returncode == 1, result.output[-3000:]
    statuses = {key.split(".")[2]: status for key, status in result.statuses().items()}
    assert statuses["nulls_in_x_or_y"] == "fail"  # rows 1 (y) and 2 (x)
    assert statuses["no_nulls_in_id_or_n"] == "pass"
    assert statuses["n_above_ten"] == "fail"  # n = 50
    assert statuses["n_or_id_out_of_range"] == "fail"  # row 2 (n = 50), rows 1 and 3 (strict id)
    assert statuses["n_and_id_in_range"] == "pass"  # inclusive bounds: n = 5, id = 1 and 3 pass
    failures = {r["unique_id"].split(".")[2]: r["failures"] for r in result.run_results["results"]}
    assert failures["nulls_in_x_or_y"] == 2 and failures["n_above_ten"] == 1
    assert failures["n_or_id_out_of_range"] == 3
