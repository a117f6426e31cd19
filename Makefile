# gridops developer entry points. `make help` lists them.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: help setup prereqs demo connector test lint unit integration browser protos clean

help:
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([^:]+):.*## (.*)/  \1\t\2/' | sort

$(VENV)/.installed: pyproject.toml
	@echo "setup: creating $(VENV) and installing gridops with its dev tools (about a minute, once)"
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed ## create .venv and install gridops with the dev tools

demo: setup ## the whole stack on the simulated exchange; prints the dashboard URL
	$(BIN)/gridops demo

connector: setup ## run the connector on the simulated exchange
	$(BIN)/gridops connector --exchange sim

prereqs: ## what the tests need beyond pip: openssl, chromium, PostgreSQL, helm; idempotent
	hack/test-prereqs.sh
	hack/build-tools.sh host

test: setup prereqs lint unit integration browser bench-smoke ## lint, type-check and run the test suite

lint: setup ## ruff, mypy --strict and the import-layer contract
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: setup ## pure-logic tests, with coverage (printed; the pure layers' floor is 80 %)
	$(BIN)/pytest tests/unit -q --cov --cov-report= $(PYTEST_ARGS)
	$(PY) tools/coverage_report.py

integration: setup prereqs ## real gRPC servers and processes on localhost
	$(BIN)/pytest tests/integration -q $(PYTEST_ARGS)

browser: setup prereqs ## the dashboard in headless chromium against real processes
	$(BIN)/pytest tests/browser -q $(PYTEST_ARGS)

protos: setup ## regenerate gridops/v1 from protos/
	$(PY) tools/genproto.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache

-include hack/cluster.mk
-include hack/compose.mk
include bench/bench.mk
