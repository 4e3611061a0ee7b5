"""CI runs the Makefile's targets, not copies of them; the project check holds."""

from __future__ import annotations

import json
import re
import subprocess

import yaml

from cartwheel.project_check import check
from conftest import ROOT, run_dbt

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


def test_project_check_passes_on_the_manifest(cartwheel_home) -> None:
    result = run_dbt("parse", target="lint")
    assert result.returncode == 0, result.output[-3000:]
    manifest = json.loads((ROOT / "target" / "pytest-lint" / "manifest.json").read_text())
    assert check(manifest) == []
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) >= 30


def test_project_check_catches_what_reviewers_would() -> None:
    def model(name: str, path: str, code: str = "select 1", depends=(), description="d"):
        return {
            "resource_type": "model",
            "package_name": "cartwheel",
            "name": name,
            "original_file_path": path,
            "raw_code": code,
            "description": description,
            "columns": {"id": {"description": ""}},
            "depends_on": {"nodes": list(depends)},
        }

    manifest = {
        "metadata": {"project_name": "cartwheel"},
        "nodes": {
            "model.cartwheel.stg_a": model(
                "stg_a", "models/staging/a/stg_a.sql", "select * from x join y on true"
            ),
            "model.cartwheel.stg_c": model(
                "stg_c",
                "models/staging/c/stg_c.sql",
                "{% set cols = ['a', 'b'] %} select {{ cols | join(', ') }} from x",
            ),
            "model.cartwheel.orders": model(
                "orders", "models/marts/core/orders.sql", depends=["source.cartwheel.a.b"]
            ),
            "model.cartwheel.int_b": model(
                "int_b",
                "models/intermediate/int_b.sql",
                depends=["model.cartwheel.orders"],
                description="",
            ),
        },
    }
    messages = [str(p) for p in check(manifest)]
    joined = "\n".join(messages)
    assert "stg_a: staging model joins" in joined
    assert "stg_c: staging model joins" not in joined  # Jinja's join filter is no SQL join
    assert "orders: reads a source directly" in joined
    assert "orders: name 'orders' breaks the marts/core/ prefix rule" in joined
    assert "int_b: refs 'orders' from a later layer" in joined
    assert "int_b: model has no description" in joined
    assert "column 'id' has no description" in joined
    assert sum("no primary-key test" in m for m in messages) == 4
