# One command to run the app, one to run every test. Both set everything up first.
PYTHON ?= python3.11
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test test-again setup lint format migrations-check ci clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

run: setup
	$(BIN)/imsclinic serve

test: setup
	$(BIN)/pytest

# Iterating locally: keep the test database between runs (stale after a new migration: use
# `make test`, which always builds it afresh, as CI does).
test-again: setup
	$(BIN)/pytest --reuse-db

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: setup
	$(BIN)/imsclinic makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
