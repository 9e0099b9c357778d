"""Shared fixtures, including the named cast every access test uses.

The cast (healthchecks' Alice/Bob/Charlie idea, adapted to a clinic):
- alice: practitioner at clinic A, with a current registration and needling authorisation. Owns clinic A's records.
- bob: front desk at clinic A. Sees demographics and appointments, never clinical notes.
- olivia: clinic admin (owner) at clinic A.
- carol: practitioner at clinic B. Has no business with clinic A: everything of A is a 404 to her.
- pat: a portal patient at clinic A (patient_a is her record). Sees only her own record.
"""

import gc
import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from imsclinic.accounts.models import Role
from imsclinic.audit import triggers
from imsclinic.core.backup import remove_sqlite
from tests import workers
from tests.factories import (
    ClinicFactory,
    MembershipFactory,
    NeedlingAuthorisationFactory,
    PatientFactory,
    ProfessionalRegistrationFactory,
    UserFactory,
)
from tests.factories.accounts import TEST_PASSWORD

_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


def pytest_configure(config):
    """Collect cyclic garbage less often in the test processes.

    A test run allocates millions of short-lived objects (querysets, model instances, fixtures),
    and the default threshold (700 allocations) ran the collector thousands of times over a
    heap that keeps growing: about 8% of a worker's CPU on the database-heavy areas. Production
    processes keep Python's defaults.
    """
    gc.set_threshold(100_000, 50, 100)
    _start_sqlite_template_in_the_controller(config)


def _start_sqlite_template_in_the_controller(config):
    is_controller = bool(config.getoption("numprocesses", None)) and not hasattr(
        config, "workerinput"
    )
    if not is_controller or "DATABASE_URL" in os.environ or config.getoption("reuse_db"):
        return
    directory = Path(tempfile.mkdtemp(prefix="imsclinic-test-db-"))
    template, process = workers.start_sqlite_template(directory)
    config.stash[_SQLITE_TEMPLATE] = (template, process, directory)


_SQLITE_TEMPLATE = pytest.StashKey[tuple]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist (controller): tell each worker where the migrated database will appear."""
    started = node.config.stash.get(_SQLITE_TEMPLATE, None)
    if started:
        node.workerinput[workers.SQLITE_TEMPLATE_KEY] = str(started[0])


def pytest_unconfigure(config):
    started = config.stash.get(_SQLITE_TEMPLATE, None)
    if started:
        _, process, directory = started
        workers.stop_sqlite_template(process, directory)


def pytest_collection_finish(session):
    # The imported modules and the collected tests live as long as the run: keep them out of
    # every later collection.
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Start the slow tests that need no database first, then the groups, then the rest.

    pytest-django orders the database tests first and the tests without a database last, which
    put the load, kill and serve tests (each a minute of subprocesses) at the very end of a run,
    where one worker finishes alone while the other waits. Tests without a database may run
    anywhere, so the slow ones go first; the quick ones stay last, to even the workers out.

    Among the slow ones, those outside an xdist group go before the groups: every group's
    session fixture starts from the migrated SQLite database that the controller builds in the
    background (~9 s of CPU), and when the groups came first both workers sat waiting for it.
    The order holds because `make test` runs xdist with `--no-loadscope-reorder` (xdist would
    otherwise hand out the largest groups first).

    (Spreading the browser tests through the run, to fill their waits with other tests' work,
    made the run slower: 208 s to 233 s on the same machine.)
    """

    def place(item):
        slow_without_database = item.get_closest_marker("slow") is not None and not (
            item.get_closest_marker("django_db") or _DB_FIXTURES & set(item.fixturenames)
        )
        grouped = item.get_closest_marker("xdist_group") is not None
        if slow_without_database and not grouped:
            return 0
        return 1 if grouped else 2

    items.sort(key=place)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """Hash test passwords with MD5 instead of PBKDF2's million iterations.

    Every user factory sets a password; at 0.37 s per PBKDF2 hash the authorisation matrix alone
    spent minutes hashing. Production keeps Django's default hashers (the settings tests run the
    real settings module in subprocesses, untouched by this override).
    """
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _audit_triggers_survive_flush(request, django_db_blocker):
    """Keep the append-only triggers in place, yet let transactional tests flush their data.

    Django's test flush on SQLite deletes rows one table at a time, which the triggers refuse. For
    tests that flush (transactional_db, live_server) we drop the triggers just before the flush
    and put them back before the next test starts.
    """
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    uses_db = bool(marker) or bool(names & {"db", "transactional_db", "live_server"})
    if not uses_db:
        yield
        return
    flushes = bool(names & {"transactional_db", "live_server"}) or bool(
        marker and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("django_db_setup")
    with django_db_blocker.unblock():
        if not triggers.installed(connection):
            triggers.install(connection)
        if connection.vendor == "sqlite" and not triggers.locks_installed(connection):
            triggers.install_locks(connection)
    _flushes_skip_django_content_types()
    if flushes:
        request.getfixturevalue("transactional_db")
    yield
    # PostgreSQL flushes with TRUNCATE, which the row triggers do not refuse: keep them there.
    if flushes and connection.vendor == "sqlite":
        with django_db_blocker.unblock():
            triggers.drop(connection)
            triggers.drop_locks(connection)


def _flushes_skip_django_content_types():
    """After each transactional test Django flushes every table, then sends post_migrate, whose
    contrib receivers write back ~90 content types and ~360 permissions: a tenth of a second
    per flush, 3% of the suite. The app reads neither table (roles are its own, and the one
    `ContentType` a Django admin log entry needs is created on demand), so once the test
    database exists the two receivers are off for the rest of the worker's run; the app's own
    post_migrate receivers still run.

    Off for good, not around each test: the flush runs in pytest-django's own teardown, after
    our fixtures have finished, so receivers put back at our teardown were back for the flush."""
    from django.contrib.contenttypes.management import create_contenttypes
    from django.contrib.contenttypes.models import ContentType
    from django.db.models.signals import post_migrate

    post_migrate.disconnect(dispatch_uid="django.contrib.auth.management.create_permissions")
    post_migrate.disconnect(create_contenttypes)
    # Ids cached before a flush name rows that are gone.
    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counts live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _audit_anchor_per_test(settings, _anchor_directory):
    """Each test anchors its audit chains in a file of its own: an anchor left by an earlier
    test's (since flushed or rolled back) rows would look like a cut-off chain."""
    settings.AUDIT_ANCHOR_PATH = _anchor_directory / f"audit-anchor-{next(_ANCHOR_NUMBERS)}.json"


_ANCHOR_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def _anchor_directory(tmp_path_factory):
    """One directory for every test's anchor file. (A numbered directory per test cost more than
    some tests: pytest lists the directories made so far to number the next.)"""
    return tmp_path_factory.mktemp("anchors")


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_modify_db_settings):
    """pytest-django's `--reuse-db` switch, and under xdist on SQLite: this worker's test
    database is a copy of the controller's migrated one (tests/workers.py), kept by Django as
    it is and removed at the end of the run."""
    reuse_db = request.config.getvalue("reuse_db")
    template = getattr(request.config, "workerinput", {}).get(workers.SQLITE_TEMPLATE_KEY)
    if reuse_db or not template or connection.vendor != "sqlite":
        yield reuse_db
        return
    test_database = Path(connection.settings_dict["TEST"]["NAME"])
    workers.copy_sqlite_template(Path(template), test_database)
    yield True
    connection.close()
    remove_sqlite(test_database)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    """pytest-django's test database, and on SQLite a copy of it as migrated, taken before any
    test has run (`migrated_data_dir_template` starts from it instead of migrating again)."""
    global _PRISTINE_SQLITE
    # pytest-django creates the test database only when a collected test needs one: a run of
    # tests without the database leaves the connection on the development database.
    made_test_database = (
        connection.settings_dict["NAME"] == connection.settings_dict["TEST"]["NAME"]
    )
    if connection.vendor == "sqlite" and made_test_database:
        pristine = tmp_path_factory.mktemp("pristine") / "imsclinic.sqlite3"
        with django_db_blocker.unblock():
            source = sqlite3.connect(connection.settings_dict["NAME"])
            target = sqlite3.connect(pristine)
            with target:
                source.backup(target)
            source.close()
            target.close()
        _PRISTINE_SQLITE = pristine
    yield


_PRISTINE_SQLITE = None


@pytest.fixture(scope="session")
def migrated_data_dir_template(tmp_path_factory, django_db_setup):
    """A SQLite data directory holding a database as `imsclinic migrate` leaves it, once per
    worker: on SQLite a copy of the worker's freshly created test database (Django's test runner
    made it with the same migrate), otherwise migrated by `imsclinic migrate` in a subprocess.

    (Without a test database in this run, as when only such tests are selected, it migrates too.)
    A fresh migrate costs ~10 s of CPU. Tests about a migrated installation (a production
    server's start, a load on gunicorn, an upgrade from an older schema) copy this directory
    (`workers.copy_migrated_data_dir`) instead of migrating again; tests/core/test_serve.py still
    serves a directory that starts empty. Tests using it share the xdist group
    "migrated-data-dir", so one worker makes it once for all of them.
    """
    data_dir = tmp_path_factory.mktemp("migrated-template")
    if _PRISTINE_SQLITE is not None:
        shutil.copyfile(_PRISTINE_SQLITE, data_dir / "imsclinic.sqlite3")
        return data_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DATABASE_URL", None)
    env["IMSCLINIC_DATA_DIR"] = str(data_dir)
    made = subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "imsclinic.cli", "migrate", "--no-input", "-v0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=workers.HANG_GUARD_SECONDS,
    )
    assert made.returncode == 0, made.stderr
    return data_dir


@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture
def clinic_a(db):
    return ClinicFactory(name="Bow Valley Test Clinic", slug="clinic-a")


@pytest.fixture
def clinic_b(db):
    return ClinicFactory(
        name="Harbour Test Clinic", slug="clinic-b", time_zone="America/Vancouver", region="BC"
    )


@pytest.fixture
def alice(clinic_a):
    user = UserFactory(username="alice", first_name="Alice", last_name="Practitioner")
    MembershipFactory(user=user, clinic=clinic_a, role=Role.PRACTITIONER)
    ProfessionalRegistrationFactory(user=user)
    NeedlingAuthorisationFactory(user=user)
    return user


@pytest.fixture
def bob(clinic_a):
    user = UserFactory(username="bob", first_name="Bob", last_name="Frontdesk")
    MembershipFactory(user=user, clinic=clinic_a, role=Role.FRONT_DESK)
    return user


@pytest.fixture
def olivia(clinic_a):
    user = UserFactory(username="olivia", first_name="Olivia", last_name="Owner")
    MembershipFactory(user=user, clinic=clinic_a, role=Role.CLINIC_ADMIN)
    return user


@pytest.fixture
def carol(clinic_b):
    user = UserFactory(username="carol", first_name="Carol", last_name="Elsewhere")
    MembershipFactory(user=user, clinic=clinic_b, role=Role.PRACTITIONER)
    ProfessionalRegistrationFactory(user=user, jurisdiction="CA-BC")
    NeedlingAuthorisationFactory(user=user, jurisdiction="CA-BC")
    return user


@pytest.fixture
def patient_a(clinic_a):
    return PatientFactory(clinic=clinic_a, given_name="Patricia", family_name="Nguyen")


@pytest.fixture
def pat(patient_a):
    user = UserFactory(username="pat", first_name="Patricia", last_name="Nguyen")
    patient_a.portal_user = user
    patient_a.save(update_fields=["portal_user"])
    return user


@pytest.fixture
def patient_b(clinic_b):
    return PatientFactory(clinic=clinic_b, given_name="Brian", family_name="Other")


@pytest.fixture
def cast(alice, bob, olivia, carol, pat):
    """Everyone at once, by name."""
    return {"alice": alice, "bob": bob, "olivia": olivia, "carol": carol, "pat": pat}


def login(client, user):
    client.force_login(user)
    return client
