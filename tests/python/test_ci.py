"""CI runs the Makefile's targets, not copies of them; `make check` (dbt-bouncer) holds."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9-]*):", text, flags=re.MULTILINE))


def test_workflow_parses_and_every_run_step_is_a_make_target() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1: on -> True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    steps = workflow["jobs"]["checks"]["steps"]
    runs = [step["run"].strip() for step in steps if "run" in step]
    assert runs, "no run steps"
    targets = make_targets()
    for command in runs:
        match = re.fullmatch(r"make ([a-z0-9-]+)", command)
        assert match, f"CI step is not a make target: {command!r}"
        assert match.group(1) in targets, f"no Makefile target {match.group(1)!r}"
    for required in ("sqlfluff", "ruff", "pytest", "dbt-build-thrift", "docs-generate"):
        assert f"make {required}" in runs
    names = [step.get("uses", "") for step in steps]
    assert any(n.startswith("actions/setup-python") for n in names)
    assert any(n.startswith("actions/setup-java") for n in names)
    assert any(n.startswith("actions/upload-artifact") for n in names)


def test_make_targets_resolve() -> None:
    for target in ("sqlfluff", "ruff", "check", "pytest", "dbt-build-thrift", "docs-generate"):
        dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0, dry.stderr


# Each planted file breaks one rule of dbt-bouncer.yml; (check, resource it must name).
PLANTED = {
    "models/staging/rees46/stg_rees46__joined.sql": "select e.value from "
    "{{ source('rees46', 'events') }} as e join {{ source('rees46', 'events') }} as f "
    "on e.value = f.value",
    # Jinja's join filter is no SQL join: allowed in staging
    "models/staging/rees46/stg_rees46__jinja.sql": "{% set cols = ['a', 'b'] %}"
    "select {{ cols | join(', ') }} from {{ source('rees46', 'events') }}",
    "models/intermediate/int_undocumented.sql": "select 1 as a",
    "models/intermediate/int_half_documented.sql": "select 1 as a",
    "models/intermediate/int_nullable_pair.sql": "select 1 as a, 2 as b",
    "models/intermediate/int_not_null_pair.sql": "select 1 as a, 2 as b",
    "models/intermediate/int_reads_mart.sql": "select * from {{ ref('fct_interactions') }}",
    "models/intermediate/int_joins_source.sql": "select * from {{ ref('int_hub') }} "
    "join {{ source('planted', 'raw') }} using (a)",
    "models/intermediate/int_only_child.sql": "select * from {{ ref('int_hub') }}",
    "models/intermediate/int_rejoin.sql": "select * from {{ ref('int_only_child') }} "
    "join {{ ref('int_hub') }} using (a)",
    "models/intermediate/int_hub.sql": "select 1 as a",
    **{
        f"models/intermediate/int_leaf_{i}.sql": "select * from {{ ref('int_hub') }}"
        for i in range(1, 5)
    },
    "models/marts/core/fct_from_source.sql": "select * from {{ source('rees46', 'events') }}",
    "models/marts/core/orders.sql": "select * from {{ ref('fct_interactions') }}",
    "models/scratch/scratch_model.sql": "select 1 as a",
    "models/staging/rees46/stg_rees46__reads_int.sql": "select * from {{ ref('int_hub') }}",
    "models/staging/rees46/rees46_events.sql": "select 1 as a",
    "models/intermediate/hub_two.sql": "select 1 as a",
    "models/marts/core/fct_reads_ml.sql": "select * from {{ ref('ml_split_report') }}",
    "models/ml/recs.sql": "select 1 as a",
    "models/ml/ml_from_source.sql": "select * from {{ source('rees46', 'events') }}",
    "models/ml/ml_hub.sql": "select 1 as a",
    "models/staging/rees46/base_rees46__hub.sql": "select 1 as a",
    **{
        f"models/staging/rees46/stg_rees46__hub_{i}.sql": (
            "select * from {{ ref('base_rees46__hub') }}"
        )
        for i in range(1, 6)
    },
    **{f"models/ml/ml_leaf_{i}.sql": "select * from {{ ref('ml_hub') }}" for i in range(1, 7)},
    "seeds/planted_seed.csv": "a\n1",
    "macros/planted_macro.sql": "{% macro planted_macro() %}1{% endmacro %}",
    "models/intermediate/_planted__models.yml": """version: 2
sources:
  - name: planted
    description: a source without freshness
    tables:
      - name: raw
        description: raw rows
      - name: raw_again
        description: the same table under a second name
        identifier: raw
      - name: orphan
models:
  - name: int_half_documented
    description: a model whose key is unique but may be null
    columns:
      - name: a
        data_tests: [unique]
  - name: int_nullable_pair
    description: a combination key one of whose columns may be null
    data_tests:
      - cartwheel_not_null_columns:
          arguments:
            columns: [a]
      - cartwheel_unique_combination:
          arguments:
            columns: [a, b]
    columns:
      - name: a
        description: not null
      - name: b
        description: may be null
  - name: int_not_null_pair
    description: a combination key whose columns are not null (one test for both)
    data_tests:
      - cartwheel_not_null_columns:
          arguments:
            columns: [a, b]
      - cartwheel_unique_combination:
          arguments:
            columns: [a, b]
    columns:
      - name: a
        description: not null
      - name: b
        description: not null
""",
}
BROKEN = [
    ("check_model_code_does_not_contain_regexp_pattern", "stg_rees46__joined"),
    ("check_model_description_populated", "int_undocumented"),
    ("check_model_has_primary_key_test", "int_undocumented"),
    ("check_model_column_description_populated", "int_half_documented"),
    ("check_model_has_primary_key_test", "int_half_documented"),  # unique without not_null
    ("check_model_has_primary_key_test", "int_nullable_pair"),  # b of (a, b) may be null
    ("check_lineage_permitted_upstream_models", "int_reads_mart"),
    ("check_model_does_not_directly_join_to_source", "int_joins_source"),
    ("check_model_does_not_rejoin_upstream_concepts", "int_rejoin"),
    ("check_model_max_fanout", "int_hub"),
    ("check_lineage_source_cannot_be_used", "fct_from_source"),
    ("check_model_names", "orders"),
    ("check_model_directories", "scratch_model"),
    ("check_source_freshness_populated", "planted_raw"),
    ("check_lineage_permitted_upstream_models", "stg_rees46__reads_int"),
    ("check_lineage_permitted_upstream_models", "fct_reads_ml"),
    ("check_model_names", "rees46_events"),
    ("check_model_names", "hub_two"),
    ("check_model_names", "recs"),
    ("check_lineage_source_cannot_be_used", "ml_from_source"),
    ("check_model_max_fanout", "ml_hub"),  # the ML layer's limit (5)
    ("check_model_max_fanout", "base_rees46__hub"),  # the parsed models' limit (4)
    ("check_source_description_populated", "planted_orphan"),
    ("check_source_not_orphaned", "planted_orphan"),
    ("check_duplicate_sources", "planted_raw_again"),
    ("check_seed_description_populated", "planted_seed"),
    ("check_macro_description_populated", "planted_macro"),
]


def test_make_check_names_each_planted_violation_and_passes_the_project(tmp_path) -> None:
    """`make check` (dbt-bouncer) on a copy of the project with a violation of each rule
    (each instance of a rule with several: every layer's names and permitted upstreams)."""
    copy = tmp_path / "project"
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in tracked:
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    for name, text in PLANTED.items():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_text(text + "\n")
    env = {**os.environ, "COLUMNS": "250", "CARTWHEEL_HOME": str(tmp_path / "home")}
    env.pop("MAKEFLAGS", None)
    # `-o setup`: the copy shares our virtualenv, which it must not reinstall from itself
    done = subprocess.run(
        ["make", "-o", "setup", "check"], cwd=copy, env=env, capture_output=True, text=True
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    for check_name, resource in BROKEN:
        assert re.search(rf"{check_name}:\d+:{re.escape(resource)}\b", output), (
            f"make check did not name {resource} for {check_name}:\n{output[-4000:]}"
        )
    report = json.loads((copy / "target" / "check" / "bouncer.json").read_text())
    failures = [r["check_run_id"].split(":") for r in report if r["outcome"] == "failed"]
    failed = {resource for _, _, resource in failures}
    planted = {Path(n).stem for n in PLANTED} | {
        f"planted_{t}" for t in ("raw", "raw_again", "orphan")
    }
    joins = {resource for check, _, resource in failures if check == BROKEN[0][0]}
    assert joins == {"stg_rees46__joined"}  # not stg_rees46__jinja
    # a combination whose columns cartwheel_not_null_columns covers is a key
    assert "int_not_null_pair" not in failed
    # the project itself breaks no rule: only the planted files (and their sources) fail
    assert failed <= planted, sorted(failed - planted)
