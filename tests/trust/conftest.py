"""Fixtures of the trust tests."""

import pytest

from tests.trust import loadkit


@pytest.fixture(scope="session")
def load_database_template(tmp_path_factory):
    """The load clinic's data directory, migrated once per test worker: each load or kill test
    starts from a copy (`loadkit.copy_database`). Tests using it share the xdist group
    "sqlite-load", so one worker migrates once for all of them."""
    return loadkit.prepare_database(tmp_path_factory.mktemp("load-template") / "data").parent
