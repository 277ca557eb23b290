# The Makefile is the contract: CI runs `make test` (.ci/run), users run `make demo`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ZAITAKU := $(BIN)/zaitaku
DEMO_WAREHOUSE := data/demo.duckdb

.PHONY: install test lint format demo bench clean lock

install: $(VENV)/.installed

# Exact pins live in requirements.lock; pip installs zaitaku itself in editable mode on top.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

demo: install
	$(BIN)/python -m zaitaku_cli.demo.run --warehouse $(DEMO_WAREHOUSE)

bench: install
	$(BIN)/python benchmarks/run.py

# Regenerate requirements.lock from the ranges in pyproject.toml (needs the registry).
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet -e '.[dev]'
	.lockenv/bin/pip freeze --exclude-editable | grep -v '^zaitaku' > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) data/processed/* $(DEMO_WAREHOUSE) .pytest_cache .mypy_cache .ruff_cache
