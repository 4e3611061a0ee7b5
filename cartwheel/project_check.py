"""The project check: what reviewers would otherwise catch by hand.

Reads dbt's `manifest.json` (and `catalog.json` when present) and fails on:

* a model, or a column of a model, without a description (catalog columns too, when a
  catalog is there, so undeclared columns cannot hide);
* a model without a primary-key test (`unique` + `not_null` on one column, or
  `cartwheel_unique_combination` with `not_null` on each of its columns);
* a staging model that joins;
* a mart (or ML model) that reads a source directly (the raw-row audit may);
* a model name that breaks the prefix of its folder;
* a `ref` to a model in a later layer (staging < intermediate < marts < ml).

Usage: `python -m cartwheel.project_check [--target-path target]` after `dbt parse`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

# folder (first path part under models/ or python_models/) -> (layer rank, allowed prefixes)
LAYERS: dict[str, tuple[int, tuple[str, ...]]] = {
    "staging": (1, ("stg_", "base_")),
    "intermediate": (2, ("int_",)),
    "audit": (3, ("audit_",)),
    "marts/core": (3, ("fct_", "dim_")),
    "marts/analytics": (3, ("",)),
    "ml": (4, ("ml_",)),
    "python_models": (4, ("ml_",)),
}
REJECTED_SUFFIX = "_rejected"  # staging's reject tables: `<source>_rejected`
JOIN = re.compile(r"\bjoin\b", re.IGNORECASE)
COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/|\{#.*?#\}", re.DOTALL)
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)  # e.g. `cols | join(', ')`


@dataclass(frozen=True)
class Problem:
    node: str
    message: str

    def __str__(self) -> str:
        return f"{self.node}: {self.message}"


def layer_of(node: dict) -> tuple[str, int, tuple[str, ...]] | None:
    path = node["original_file_path"]
    if path.startswith("python_models/"):
        return ("python_models", *LAYERS["python_models"])
    relative = path.removeprefix("models/")
    for folder in sorted(LAYERS, key=len, reverse=True):
        if relative.startswith(folder + "/"):
            return (folder, *LAYERS[folder])
    return None


def primary_key_problems(model_id: str, tests: list[dict]) -> list[str]:
    unique_columns = set()
    not_null_columns = set()
    combos: list[list[str]] = []
    for test in tests:
        meta = test.get("test_metadata") or {}
        name = meta.get("name")
        kwargs = meta.get("kwargs") or {}
        column = kwargs.get("column_name") or test.get("column_name")
        if name == "unique" and column:
            unique_columns.add(column)
        elif name == "not_null" and column:
            not_null_columns.add(column)
        elif name == "cartwheel_unique_combination":
            combos.append(list(kwargs.get("columns") or []))
    if unique_columns & not_null_columns:
        return []
    if any(combo and set(combo) <= not_null_columns for combo in combos):
        return []
    return ["no primary-key test (unique + not_null on a key, or a unique combination)"]


def check(manifest: dict, catalog: dict | None = None) -> list[Problem]:
    problems: list[Problem] = []
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == manifest_project(manifest)
    }
    tests_by_model: dict[str, list[dict]] = defaultdict(list)
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test":
            attached = node.get("attached_node") or next(
                iter(node.get("depends_on", {}).get("nodes", [])), None
            )
            if attached:
                tests_by_model[attached].append(node)
    catalog_nodes = (catalog or {}).get("nodes", {})

    for uid, node in sorted(models.items()):
        name = node["name"]
        if not node.get("description", "").strip():
            problems.append(Problem(uid, "model has no description"))
        for column, spec in node.get("columns", {}).items():
            if not (spec.get("description") or "").strip():
                problems.append(Problem(uid, f"column {column!r} has no description"))
        for column in catalog_nodes.get(uid, {}).get("columns", {}):
            if column.lower() not in {c.lower() for c in node.get("columns", {})}:
                problems.append(Problem(uid, f"column {column!r} is not documented"))
        for message in primary_key_problems(uid, tests_by_model[uid]):
            problems.append(Problem(uid, message))

        layer = layer_of(node)
        if layer is None:
            problems.append(
                Problem(uid, f"is in no known layer folder: {node['original_file_path']}")
            )
            continue
        folder, rank, prefixes = layer
        if not (
            name.startswith(prefixes) or (folder == "staging" and name.endswith(REJECTED_SUFFIX))
        ):
            problems.append(
                Problem(uid, f"name {name!r} breaks the {folder}/ prefix rule {list(prefixes)}")
            )
        code = COMMENT.sub("", node.get("raw_code", ""))
        if folder == "staging" and JOIN.search(JINJA.sub("", code)):
            problems.append(Problem(uid, "staging model joins (staging is rename, cast, clean)"))
        depends = node.get("depends_on", {}).get("nodes", [])
        reads_source = any(d.startswith("source.") for d in depends)
        if folder.startswith(("marts", "ml", "python_models")) and reads_source:
            problems.append(Problem(uid, "reads a source directly; go through staging"))
        for parent in depends:
            parent_node = models.get(parent)
            parent_layer = layer_of(parent_node) if parent_node else None
            if parent_layer and parent_layer[1] > rank:
                problems.append(
                    Problem(
                        uid, f"refs {parent_node['name']!r} from a later layer ({parent_layer[0]})"
                    )
                )
    return problems


def manifest_project(manifest: dict) -> str:
    return manifest.get("metadata", {}).get("project_name") or "cartwheel"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-path", type=Path, default=Path("target"))
    args = parser.parse_args(argv)
    manifest_path = args.target_path / "manifest.json"
    if not manifest_path.exists():
        print(f"project check: no {manifest_path}; run `dbt parse` first", file=sys.stderr)
        return 2
    manifest = json.loads(manifest_path.read_text())
    catalog_path = args.target_path / "catalog.json"
    catalog = json.loads(catalog_path.read_text()) if catalog_path.exists() else None
    problems = check(manifest, catalog)
    n_models = sum(1 for n in manifest["nodes"].values() if n["resource_type"] == "model")
    for problem in problems:
        print(f"project check: {problem}")
    status = "FAILED" if problems else "passed"
    print(f"project check {status}: {n_models} models, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
