# cartwheel: the two commands a new machine needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export CARTWHEEL_HOME ?= $(CURDIR)/.cartwheel
export DBT_PROFILES_DIR ?= $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export PYSPARK_PYTHON := $(CURDIR)/$(BIN)/python

STAMP := $(VENV)/.installed

.PHONY: setup demo test lint ruff sqlfluff pytest dbt-build-thrift server-start server-stop clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	@command -v java >/dev/null || { echo "error: java not found (Java 17 is required)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/python -m cartwheel.demo

test: setup lint
	$(BIN)/python -m pytest

lint: ruff sqlfluff

ruff: setup
	$(BIN)/ruff check cartwheel ml adapter python_models tests benchmarks
	$(BIN)/ruff format --check cartwheel ml adapter python_models tests benchmarks

sqlfluff: setup
	$(BIN)/sqlfluff lint models tests

server-start: setup
	$(BIN)/cartwheel server start

server-stop: setup
	$(BIN)/cartwheel server stop

clean:
	rm -rf target logs .pytest_cache
