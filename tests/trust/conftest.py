"""Fixtures of the trust tests."""

import pytest

from tests import workers
from tests.trust import loadkit


@pytest.fixture(scope="session")
def load_database_template(tmp_path_factory, migrated_data_dir_template):
    """The load clinic's data directory, made once per test worker from the migrated template:
    each load or kill test starts from a copy (`loadkit.copy_database`). Tests using it share
    the xdist group "migrated-data-dir", so one worker migrates once for all of them."""
    data_dir = tmp_path_factory.mktemp("load-template") / "data"
    workers.copy_migrated_data_dir(migrated_data_dir_template, data_dir)
    return loadkit.prepare_database(data_dir).parent
