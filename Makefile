# One command to run the app, one to run every test. Both set everything up first.
PYTHON ?= python3.11
VENV ?= .venv
BIN = $(VENV)/bin
# uv installs the pinned packages (pyproject.toml) into the venv: 7 s on a fresh clone where pip
# took 50 s of a 4-minute `make test` budget (docs/adr/0010-uv-installs-the-venv.md).
UV_VERSION = 0.13.8

.PHONY: run test test-again screenshots setup lint format migrations-check ci clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --upgrade pip -e '.[dev]'
	@touch $@

run: setup
	$(BIN)/imsclinic serve

# Tests run in parallel worker processes (pytest-xdist, one per core, at most 4); each worker has
# its own test database and Redis database (tests/workers.py). `make test PYTEST_ARGS=...` adds
# arguments; `.venv/bin/pytest tests/<area>` runs a part in one process. Tests are handed out in
# the order tests/conftest.py sets (`--no-loadscope-reorder`: xdist would hand out its largest
# groups first, and both workers waited for the migrated database those groups start from).
PYTEST_WORKERS = -n auto --maxprocesses=4 --dist loadgroup --no-loadscope-reorder
# Some machines set PYTHONDONTWRITEBYTECODE. The suite then re-compiled the app in each of its
# ~100 subprocesses (CLI commands, servers) and re-rewrote every test module's asserts in each
# worker: about a minute of CPU. The test run keeps its bytecode (in ignored __pycache__/ folders).
PYTEST = env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest

test: setup
	$(PYTEST) $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Iterating locally: keep the test database between runs (stale after a new migration: use
# `make test`, which always builds it afresh, as CI does).
test-again: setup
	$(PYTEST) $(PYTEST_WORKERS) --reuse-db $(PYTEST_ARGS)

# The browser tests again, saving a PNG of each page they pass through in test-artifacts/ (at 390,
# 768 and 1366 px where the test checks a layout). `make test` skips the PNGs (~0.3 s each).
screenshots: setup
	IMSCLINIC_SCREENSHOTS=1 $(PYTEST) $(PYTEST_WORKERS) tests/e2e $(PYTEST_ARGS)

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
