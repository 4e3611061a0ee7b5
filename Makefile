# cartwheel: the two commands a new machine needs are `make demo` and `make test`.
# CI (.github/workflows/ci.yml and .ci/run) calls these same targets, never copies of them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
export CARTWHEEL_HOME ?= $(CURDIR)/.cartwheel
export DBT_PROFILES_DIR ?= $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export PYSPARK_PYTHON := $(BIN)/python
# Slim CI: a folder holding the manifest of the latest main build (empty = full build).
DBT_STATE ?= state
DOCS_PORT ?= 8080

STAMP := $(VENV)/.installed

.PHONY: setup demo test lint ruff sqlfluff check pytest docs docs-generate \
        dbt-build-thrift slim-state server-start server-stop clean bench-quality bench-speed bench-cluster tune \
        dashboard dashboard-screenshots

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/ensure-chromium.sh scripts/ensure-mermaid.sh
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	@command -v java >/dev/null || [ -x "$$JAVA_HOME/bin/java" ] || { echo "error: java not found (Java 17 is required)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-mermaid.sh $(VENV)/share/cartwheel/mermaid.min.js
	$(BIN)/python -m cartwheel.jvm
	touch $(STAMP)

## The main job end to end on the embedded Spark session, then a summary.
demo: setup
	$(BIN)/python -m cartwheel.demo

## Everything CI checks: lint, the project check, the whole test suite.
test: setup lint check pytest

lint: ruff sqlfluff

ruff: setup
	$(BIN)/ruff check cartwheel ml adapter python_models tests benchmarks
	$(BIN)/ruff format --check cartwheel ml adapter python_models tests benchmarks

sqlfluff: setup
	$(BIN)/sqlfluff lint models tests

## Project rules (dbt-bouncer.yml: descriptions, keys, layers, names, lineage) on the parsed project.
check: setup
	$(BIN)/dbt parse --target lint --target-path target/check --quiet
	$(BIN)/dbt-bouncer run --config-file dbt-bouncer.yml --show-all-failures \
	  --output-file target/check/bouncer.json

pytest: setup
	$(BIN)/python -m pytest

## Tune ALS on the validation window (the grid in the als_grid_* vars) and build with the winner; later builds reuse it (ml_tuning).
tune: setup
	$(BIN)/dbt build --target local --vars '{ml_tune: true}' $(TUNE_ARGS)

## The recommender leaderboard on the real data sets in ../shared and generated shops (slow: builds the whole DAG per data set).
bench-quality: setup
	$(BIN)/python benchmarks/bench_quality.py --update-readme $(BENCH_ARGS)

## The speed benchmark: scaling table (1M, 3M, 10M), demo and test timings (slow).
bench-speed: setup
	$(BIN)/python benchmarks/bench_speed.py $(BENCH_ARGS)

## The cluster benchmark: a 1M full build on a 2-worker standalone cluster next to local[2] (slow).
bench-cluster: setup
	$(BIN)/python benchmarks/bench_cluster.py $(BENCH_ARGS)

## The docs site (dbt docs, column lineage, star-schema ERD), served by dbt on 127.0.0.1:$(DOCS_PORT).
docs: docs-generate
	$(BIN)/dbt docs serve --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

## The Streamlit dashboard over the marts, on 127.0.0.1 (DASHBOARD_PORT, default 8501).
DASHBOARD_PORT ?= 8501
dashboard: setup
	$(BIN)/cartwheel dashboard --port $(DASHBOARD_PORT)

## The README's dashboard screenshots (docs/dashboard/), from the marts of $$CARTWHEEL_HOME.
dashboard-screenshots: setup
	$(BIN)/python -m cartwheel.dashboard.screenshots --out docs/dashboard

## dbt docs generate, then dbt-colibri's column lineage and dbterd's ERD beside it in target/.
docs-generate: setup
	$(BIN)/dbt docs generate --target $${CARTWHEEL_TARGET:-local}
	$(BIN)/python -m cartwheel.docs --target-path target

## dbt build on the thrift target against a server started (and stopped) here.
## With $(DBT_STATE)/manifest.json present: slim CI, only state:modified+ deferring to it.
dbt-build-thrift: setup
	$(BIN)/cartwheel server start
	set -e; trap '$(BIN)/cartwheel server stop' EXIT; \
	if [ -f "$(DBT_STATE)/manifest.json" ]; then \
	  echo "slim CI: building state:modified+ against $(DBT_STATE)/manifest.json"; \
	  $(BIN)/dbt build --target thrift --select state:modified+ --defer --state $(DBT_STATE); \
	else \
	  echo "no $(DBT_STATE)/manifest.json: full build"; \
	  $(BIN)/dbt build --target thrift; \
	fi

## Slim CI: fetch the manifest of the latest successful main build into $(DBT_STATE)/.
## Without gh, a token or such a build, says so and leaves the full build to run.
slim-state:
	@if command -v gh >/dev/null && [ -n "$$GITHUB_REPOSITORY" ]; then \
	  run_id=$$(gh run list --repo "$$GITHUB_REPOSITORY" --workflow ci.yml --branch main \
	    --status success --limit 1 --json databaseId --jq '.[0].databaseId'); \
	  if [ -n "$$run_id" ] && gh run download "$$run_id" --repo "$$GITHUB_REPOSITORY" \
	    --name dbt-manifest-main --dir "$(DBT_STATE)"; then \
	    echo "slim CI: main manifest of run $$run_id in $(DBT_STATE)/"; exit 0; fi; \
	fi; \
	echo "slim CI: no main manifest available: the dbt build will be a full build"

server-start: setup
	$(BIN)/cartwheel server start

server-stop: setup
	$(BIN)/cartwheel server stop

clean:
	rm -rf target logs .pytest_cache
