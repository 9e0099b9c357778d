"""The suite's own parallel machinery does what tests/workers.py and the markers promise."""

import os
import sqlite3

import pytest


@pytest.mark.xdist_group("group-probe")
def test_an_xdist_group_reaches_the_scheduler(request):
    """`--dist loadgroup` sends a group to one worker only if the worker sees the group in the
    node id. pytest 9 ignores pytest-xdist 3.8's rewrite of it, and every group then ran on every
    worker, each building its own copy of the group's session fixture (a migrate each)."""
    # On a worker, xdist keeps the controller's `--dist loadgroup` as this flag.
    if os.environ.get("PYTEST_XDIST_WORKER") is None or not getattr(
        request.config.option, "loadgroup", False
    ):
        pytest.skip("runs under `make test` (pytest-xdist with --dist loadgroup)")
    assert request.node.nodeid.endswith("@group-probe")


TABLES = "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"


@pytest.mark.django_db
def test_a_worker_test_database_is_the_controller_migrated_one(request):
    """Under xdist on SQLite each worker copies the database the controller migrated while the
    workers collected the tests (tests/workers.py), instead of migrating its own."""
    from django.db import connection

    from tests import workers

    template = getattr(request.config, "workerinput", {}).get(workers.SQLITE_TEMPLATE_KEY)
    if template is None:
        pytest.skip("runs under `make test` on SQLite (the xdist controller makes the template)")
    with connection.cursor() as cursor:
        cursor.execute(TABLES)
        mine = cursor.fetchall()
    with sqlite3.connect(template) as db:
        migrated = db.execute(TABLES).fetchall()
    db.close()
    assert mine == migrated
    assert len(migrated) > 50  # the app's tables, as migrated
    with connection.cursor() as cursor:  # the copy, not a migrate of the worker's own
        cursor.execute("PRAGMA user_version")
        assert cursor.fetchone()[0] == workers.TEMPLATE_USER_VERSION
