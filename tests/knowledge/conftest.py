"""Shared fixtures for the pure-Python knowledge tests (no database, no Django)."""

import shutil
from pathlib import Path

import pytest

from imsclinic.knowledge.loader import DATA_DIR, load_knowledge


@pytest.fixture(scope="session")
def kb():
    """The packaged knowledge base."""
    return load_knowledge()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the data directory for broken-row tests."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target
